"""A service's options: every (variant, exit) pair, with its stages and its accuracy at any input compression.

Stages of a zoo variant's exit are its model's sub-graph up to the exit node plus a side classifier (global average
pool and a linear layer; :func:`mcfn.partition.early_exit.exit_graph`), cut as the variant's split says
(:func:`mcfn.scenario.zoo.split_stages`). An exit of explicit stages answers after stage ``after`` with the final
answer's size; its head's work is whatever that stage's flops already hold.

A quantised (``int8``) variant runs its convolutions and matrix products as int8 dense work
(:attr:`mcfn.compute.OpClass.INT8`), so a node's int8 units decide its speed; its elementwise and other layers stay
as they are (:func:`quantised`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mcfn.allocation.problem import AccuracyCurve
from mcfn.compute.node import OpClass
from mcfn.models.zoo import load_zoo_graph
from mcfn.network.radio import FloatArray
from mcfn.partition.early_exit import FINAL, Exit, exit_graph
from mcfn.scenario.model import Scenario, Service, StageDoc, Variant
from mcfn.scenario.zoo import split_stages

#: Op classes a quantised model runs in int8.
_DENSE = (OpClass.CONV, OpClass.MATMUL)


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One way to serve a task of service ``service`` (its index): variant ``variant``, answering at ``exit``
    (``"final"`` or the exit's node id / stage index) with ``accuracy`` at the whole input, from ``source``."""

    service: int
    variant: str
    exit: str
    precision: str
    accuracy: float
    source: str
    curve: AccuracyCurve
    data_bits: float
    stages: tuple[StageDoc, ...]

    @property
    def label(self) -> str:
        """``variant`` or ``variant@exit``."""
        return self.variant if self.exit == FINAL else f"{self.variant}@{self.exit}"

    @property
    def assumed(self) -> bool:
        """Whether the option's accuracy is assumed rather than published."""
        return self.source.strip().lower().startswith("assumed")

    def accuracy_at(self, compression: ArrayLike) -> float | FloatArray:
        """Seed eq. (1) at ``compression`` of the input (``curve``, through ``accuracy`` at the whole input); a
        float for a float, an array for an array."""
        ratio = np.asarray(compression, dtype=float)
        if self.data_bits == 0 or self.curve.q == 0:  # no input to compress, or a flat curve
            accuracy = np.full(ratio.shape, self.accuracy)
        else:
            whole = ratio >= 1.0
            with np.errstate(divide="ignore"):  # ratio 0 scores -inf, as the curve says
                curved = self.curve.accuracy(np.where(whole, 1.0, ratio) * self.data_bits)
            accuracy = np.where(whole, self.accuracy, curved)
        return float(accuracy) if accuracy.ndim == 0 else accuracy


def quantised(stage: StageDoc) -> StageDoc:
    """``stage`` of an int8 model: its conv and matmul FLOPs become int8 dense work."""
    flops = stage.flops if isinstance(stage.flops, dict) else {OpClass.MATMUL: stage.flops}
    moved = dict(flops)
    int8 = moved.pop(OpClass.INT8, 0.0) + sum(moved.pop(op, 0.0) for op in _DENSE)
    return stage.model_copy(update={"flops": {**moved, OpClass.INT8: int8}})


def service_options(scenario: Scenario) -> tuple[tuple[Option, ...], ...]:
    """Every service's options, in variant order with each variant's final answer before its exits; the first option
    of a service is its reference variant's final answer."""
    return tuple(_options(k, service, scenario) for k, service in enumerate(scenario.services))


def _options(index: int, service: Service, scenario: Scenario) -> tuple[Option, ...]:
    options = []
    for variant in service.all_variants:
        answers = [(FINAL, variant.accuracy, variant.accuracy_source, variant.stages)]
        answers += [
            (str(e.after), e.accuracy, e.source, _exit_stages(variant, e.after, scenario)) for e in variant.exits
        ]
        for exit_, accuracy, source, stages in answers:
            if variant.precision == "int8":
                stages = tuple(quantised(stage) for stage in stages)
            options.append(
                Option(
                    service=index,
                    variant=variant.label,
                    exit=exit_,
                    precision=variant.precision,
                    accuracy=accuracy,
                    source=source,
                    curve=service.curve_at(accuracy),
                    data_bits=service.data_bits,
                    stages=stages,
                )
            )
    return tuple(options)


def _exit_stages(variant: Variant, after: str | int, scenario: Scenario) -> tuple[StageDoc, ...]:
    """The stages that answer at the exit after ``after`` (module docstring)."""
    if variant.model is None:
        k = int(after)
        last = variant.stages[k].model_copy(update={"output_bits": variant.stages[-1].output_bits})
        return (*variant.stages[:k], last)
    graph = load_zoo_graph(variant.model)
    sub, _ = exit_graph(graph, Exit(str(after), 0.0, ""))
    return split_stages(sub, variant, scenario)
