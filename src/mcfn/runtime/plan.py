"""STAND-IN split planner: cut a model whose top-level children form a chain into contiguous stages.

This module exists only until the partitioning issue's executable split plans land; the runtime depends on
nothing here but :class:`ModelPlan` / :class:`StagePlan` (a stage is a named ``torch.nn.Module`` taking one
tensor to one tensor) and :func:`build_stages`, so the real planner replaces it behind the same interface.

A model qualifies when running its top-level children in order — with ``flatten(1)`` before a classifier head,
as torchvision's classifiers do in ``forward`` — gives the model's own output (checked on a random input). Weights
are drawn from ``torch.manual_seed(seed)``, so every process that builds the same plan holds the same weights.
Stages are cut to balance FLOPs counted by ``torch.utils.flop_counter`` (convolutions and matrix products).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcfn.compute.node import Work

if TYPE_CHECKING:
    import torch

#: Models the runtime knows: name -> default input shape (batch of one).
MODELS: dict[str, tuple[int, ...]] = {
    "tiny-cnn": (1, 3, 32, 32),
    "resnet18": (1, 3, 224, 224),
    "resnet34": (1, 3, 224, 224),
    "alexnet": (1, 3, 224, 224),
    "vgg11": (1, 3, 224, 224),
}


@dataclass(frozen=True, kw_only=True)
class StagePlan:
    """Stage ``index`` of a model: children ``[start, stop)`` of its chain, ``flops`` of work, tensor shapes."""

    model: str
    seed: int
    index: int
    start: int
    stop: int
    flops: float
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]

    @property
    def service_id(self) -> str:
        """The stage's service id in the routing catalogue: ``model/index``."""
        return f"{self.model}/{self.index}"

    @property
    def output_bits(self) -> float:
        return 32.0 * math.prod(self.output_shape)


@dataclass(frozen=True, kw_only=True)
class ModelPlan:
    """A model cut into stages that run in order."""

    model: str
    seed: int
    input_shape: tuple[int, ...]
    stages: tuple[StagePlan, ...]

    @property
    def input_bits(self) -> float:
        return 32.0 * math.prod(self.input_shape)


def chain_of(name: str, *, seed: int) -> torch.nn.Sequential:
    """The model ``name`` (weights from ``seed``) as a ``Sequential`` of its top-level children, in eval mode.

    Raises ``ValueError`` for an unknown model or one whose children do not form a chain.
    """
    import torch

    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    torch.manual_seed(seed)
    model = _tiny_cnn() if name == "tiny-cnn" else getattr(_torchvision().models, name)(weights=None)
    model.eval()
    children = list(model.children())
    if isinstance(children[-1], torch.nn.Linear | torch.nn.Sequential) and not isinstance(model, torch.nn.Sequential):
        children.insert(-1, torch.nn.Flatten(1))
    chain = torch.nn.Sequential(*children).eval()
    sample = torch.randn(MODELS[name], generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        try:
            same = torch.allclose(chain(sample), model(sample), atol=1e-6)
        except RuntimeError:
            same = False
    if not same:
        raise ValueError(f"model {name!r}: its top-level children do not form a chain")
    return chain


def plan_model(name: str, *, stages: int, seed: int = 0) -> ModelPlan:
    """Cut ``name`` into ``stages`` contiguous stages of about equal FLOPs (each with at least one child)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    chain = chain_of(name, seed=seed)
    if not 1 <= stages <= len(chain):
        raise ValueError(f"model {name!r} has {len(chain)} chained children; stages must be 1..{len(chain)}")
    shapes, flops = [MODELS[name]], []
    x = torch.zeros(MODELS[name])
    with torch.no_grad():
        for child in chain:
            counter = FlopCounterMode(display=False)
            with counter:
                x = child(x)
            flops.append(float(counter.get_total_flops()))
            shapes.append(tuple(x.shape))
    cuts = _balanced_cuts(flops, stages)
    plans = tuple(
        StagePlan(
            model=name,
            seed=seed,
            index=k,
            start=a,
            stop=b,
            flops=sum(flops[a:b]),
            input_shape=shapes[a],
            output_shape=shapes[b],
        )
        for k, (a, b) in enumerate(itertools.pairwise(cuts))
    )
    return ModelPlan(model=name, seed=seed, input_shape=MODELS[name], stages=plans)


def build_stages(stages: tuple[StagePlan, ...]) -> dict[str, torch.nn.Module]:
    """The executable module of each stage by service id, built from its model's seed (so every process gets the
    same weights); each model is built once."""
    chains = {key: chain_of(key[0], seed=key[1]) for key in {(stage.model, stage.seed) for stage in stages}}
    return {stage.service_id: chains[stage.model, stage.seed][stage.start : stage.stop] for stage in stages}


def stage_work(stage: StagePlan) -> Work:
    """The stage's work for the router: its counted FLOPs, as convolution work."""
    return Work({"conv": stage.flops})


def _balanced_cuts(flops: list[float], parts: int) -> list[int]:
    """Boundaries ``0 = c_0 < … < c_parts = n``: cut ``k`` where the running FLOPs first pass ``k / parts``."""
    n, total = len(flops), sum(flops) or 1.0
    cuts, running = [0], 0.0
    for i, f in enumerate(flops):
        running += f
        left = parts - len(cuts)
        if left > 0 and running >= total * len(cuts) / parts and n - (i + 1) >= left:
            cuts.append(i + 1)
    while len(cuts) < parts:  # too few heavy children: take the last ones one by one
        cuts.append(n - (parts - len(cuts)))
    return [*sorted(set(cuts)), n]


def _tiny_cnn() -> torch.nn.Module:
    """A small CNN for tests and demos (CIFAR-sized input, ten classes)."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(1),
        nn.Linear(64, 10),
    )


def _torchvision() -> Any:
    from mcfn.models._torchvision import import_torchvision

    return import_torchvision()
