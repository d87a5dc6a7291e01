"""Accuracy against the amount of training data, measured: the points that eq. (1) is fitted to.

For each fraction of the training set, a fresh model (:mod:`mcfn.training.model`) trains on a random subset of
that size and is scored on the whole held-out test set; ``repeats`` draws per fraction give the spread. Every
subset trains for the same number of mini-batch steps, :data:`STEPS` (assumed; at least one epoch), so that a small
subset is not also under-trained: the curve measures data, not optimisation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mcfn.allocation.problem import MBIT
from mcfn.training import model as mlp
from mcfn.training.data import Dataset

#: Mini-batch steps every subset trains for (assumed).
STEPS = 400


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One measured point: ``samples`` training samples (``data_mbit`` of data), test ``accuracy``."""

    fraction: float
    repeat: int
    samples: int
    data_mbit: float
    epochs: int
    accuracy: float


def epochs_for(samples: int) -> int:
    """Epochs that make :data:`STEPS` mini-batch steps over ``samples`` samples (at least one)."""
    return max(1, math.ceil(STEPS * mlp.BATCH / samples))


def measure(
    dataset: Dataset,
    fractions: Sequence[float],
    *,
    repeats: int,
    rng: np.random.Generator,
    progress: Callable[[int], None] | None = None,
) -> list[CurvePoint]:
    """Train on each fraction of ``dataset``'s training set ``repeats`` times; ``progress(done)`` after each."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    bad = [f for f in fractions if not 0 < f <= 1]
    if bad or not fractions:
        raise ValueError(f"fractions must be in (0, 1], got {list(fractions)}")
    arch = mlp.Architecture(features=dataset.features, classes=dataset.classes)
    total = len(dataset.y_train)
    points = []
    for fraction in sorted(fractions):
        samples = max(dataset.classes, round(fraction * total))
        for repeat in range(repeats):
            subset = rng.choice(total, size=samples, replace=False)
            net = mlp.build(arch, rng)
            epochs = epochs_for(samples)
            mlp.train(net, dataset.x_train[subset], dataset.y_train[subset], epochs=epochs, rng=rng)
            _, accuracy = mlp.evaluate(net, dataset.x_test, dataset.y_test)
            points.append(
                CurvePoint(
                    fraction=float(fraction),
                    repeat=repeat,
                    samples=samples,
                    data_mbit=samples * dataset.bits_per_sample / MBIT,
                    epochs=epochs,
                    accuracy=accuracy,
                )
            )
            if progress is not None:
                progress(len(points))
    return points
