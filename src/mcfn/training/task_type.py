"""A fitted eq. (1) as the task-type parameters that ``mcfn allocate`` and the simulator read.

Two readings of seed eq. (1), ``y(alpha) = p - q alpha^(-r)`` with ``alpha`` in Mbit:

- **training accuracy vs data amount** (the seed's own words in §3.2, and what ``mcfn fit-accuracy`` measures): the
  accuracy a model reaches after training on ``alpha`` Mbit of data;
- **inference accuracy vs compressed input** (how :mod:`mcfn.allocation` and the simulator use it): the accuracy of
  a task whose input is compressed to ``alpha = rho · data_bits``.

The allocation instance's task ``accuracy: {p, q, r}`` (``docs/formats/allocation.md``) takes the fitted curve
as it is: a task that uploads ``alpha`` Mbit of training data to the edge, which trains on it, scores
``y(alpha)`` — the training reading. The scenario's ``accuracy_curve: {q, r}`` takes only the shape (its ``p`` is
anchored at the service's accuracy at the whole input), so there the fitted curvature is borrowed for the inference
reading, an assumption the output says.
"""

from __future__ import annotations

from typing import Any

from mcfn.allocation.io import dump_instance
from mcfn.allocation.problem import AccuracyCurve, Instance
from mcfn.training.curve import CurveFit

#: Compute cycles per flop when a training flop count becomes the allocation's cycles (assumed: one).
CYCLES_PER_FLOP = 1.0


def task_type_document(
    fit: CurveFit, *, name: str, dataset: str, flops_per_sample: float, bits_per_sample: float, epochs: int
) -> dict[str, Any]:
    """The fitted task type: ``accuracy`` for an allocation instance's tasks, ``cycles_per_bit`` of training
    ``epochs`` epochs on the edge (``flops_per_sample · epochs / bits_per_sample`` · :data:`CYCLES_PER_FLOP`),
    ``accuracy_curve`` for a scenario's service, the fit with its confidence intervals, and which reading each
    follows."""
    return {
        "name": name,
        "dataset": dataset,
        "cycles_per_bit": CYCLES_PER_FLOP * flops_per_sample * epochs / bits_per_sample,
        "accuracy": {"p": fit.p, "q": fit.q, "r": fit.r},
        "accuracy_curve": {"q": fit.q, "r": fit.r},
        "alpha_unit": "Mbit",
        "fit": fit.to_json_dict(),
        "readings": {
            "accuracy": "training accuracy vs training data amount alpha (Mbit), as fitted (seed §3.2)",
            "accuracy_curve": "the fitted shape q, r borrowed for inference accuracy vs compressed input (assumed)",
        },
    }


def with_curve(instance: Instance, curve: AccuracyCurve, *, cycles_per_bit: float) -> dict[str, Any]:
    """``instance`` as its JSON document with every task's accuracy curve and cycles per bit replaced by the fitted
    task type; raises ValueError if a task's accuracy floor is at or above the fitted ``p`` (never reachable)."""
    floors = [t.min_accuracy for t in instance.tasks if t.min_accuracy >= curve.p]
    if floors:
        raise ValueError(
            f"fitted p = {curve.p:.4f} does not exceed the instance's accuracy floor {max(floors):g}: "
            "no amount of data reaches it"
        )
    document = dump_instance(instance)
    for task in document["tasks"]:
        task["accuracy"] = {"p": curve.p, "q": curve.q, "r": curve.r}
        task["cycles_per_bit"] = cycles_per_bit
    return document
