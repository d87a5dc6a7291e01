"""Early exit: choose the exit and the horizontal split together, for the best accuracy within a deadline.

A model with side classifiers (BranchyNet: Teerapittayanon et al., ICPR 2016) can stop after an intermediate
node and answer with that exit's lower accuracy. Edgent (Li, Zhou and Chen, "Edge AI: On-Demand Accelerating DNN
Inference via Edge Computing", IEEE TWC 2020) picks the exit and the device-edge split jointly: the most accurate
exit whose best split meets the deadline. Here each exit's model is the exit node's ancestors plus its head
(global average pool and a linear classifier unless the file gives the head's cost), split exactly over any
number of tiers by :func:`mcfn.partition.horizontal.plan_horizontal`.

Exits file (JSON; accuracies from published tables with their source, or marked ``"assumed"``)::

    {"model": "resnet18",
     "final": {"accuracy": 0.69758, "source": "torchvision ResNet18_Weights.IMAGENET1K_V1, acc@1"},
     "exits": [{"after": "layer2_1_relu_1", "accuracy": 0.5, "source": "assumed"}]}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field, ValidationError

from mcfn.models.graph import LayerGraph, Node
from mcfn.partition.horizontal import plan_horizontal
from mcfn.partition.plan import HorizontalPlan
from mcfn.partition.tiers import Tiers
from mcfn.validation import StrictModel, read_json, validation_message

FINAL = "final"
CLASSES = 1000


class ExitError(ValueError):
    """An exits file or document that cannot be used; the message is one line naming the problem."""


@dataclass(frozen=True)
class Exit:
    """A side classifier after node ``after`` (``"final"``: the full model), with its accuracy and its source."""

    after: str
    accuracy: float
    source: str
    head_flops: float | None = None
    head_output_bytes: int | None = None


@dataclass(frozen=True)
class ExitOption:
    exit: Exit
    plan: HorizontalPlan
    meets_deadline: bool


@dataclass(frozen=True)
class ExitPlan:
    """Every exit's best split, and the chosen one: the most accurate that meets the deadline, or ``None``."""

    deadline_s: float
    options: tuple[ExitOption, ...]
    chosen: ExitOption | None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "deadline_s": self.deadline_s,
            "chosen": None
            if self.chosen is None
            else _option_json(self.chosen) | {"plan": self.chosen.plan.to_json_dict()},
            "options": [_option_json(o) for o in self.options],
        }


def _option_json(option: ExitOption) -> dict[str, Any]:
    return {
        "exit": option.exit.after,
        "accuracy": option.exit.accuracy,
        "accuracy_source": option.exit.source,
        "latency_s": option.plan.latency_s,
        "meets_deadline": option.meets_deadline,
    }


def plan_early_exit(
    graph: LayerGraph, tiers: Tiers, exits: list[Exit], *, deadline_s: float, compute_s: np.ndarray | None = None
) -> ExitPlan:
    """Best split of every exit's sub-model; choose the highest accuracy within ``deadline_s`` (ties: faster).

    ``exits`` must include the ``"final"`` exit to consider the full model. ``compute_s`` (nodes × tiers, for the
    whole graph) replaces the simple model; an exit head then costs its flops at each tier's speed.
    """
    if deadline_s <= 0 or not math.isfinite(deadline_s):
        raise ValueError(f"deadline_s: must be a positive number, got {deadline_s!r}")
    options = []
    for exit_ in exits:
        sub, keep = exit_graph(graph, exit_)
        table = None
        if compute_s is not None:
            table = np.asarray(compute_s)[keep]
            if exit_.after != FINAL:
                speeds = np.array([t.flops_per_s for t in tiers.tiers])
                table = np.vstack([table, sub.nodes[-1].flops / speeds])
        plan = plan_horizontal(sub, tiers, compute_s=table)
        options.append(ExitOption(exit_, plan, plan.latency_s <= deadline_s))
    feasible = [o for o in options if o.meets_deadline]
    chosen = max(feasible, key=lambda o: (o.exit.accuracy, -o.plan.latency_s), default=None)
    return ExitPlan(deadline_s=deadline_s, options=tuple(options), chosen=chosen)


def exit_graph(graph: LayerGraph, exit_: Exit) -> tuple[LayerGraph, list[int]]:
    """The sub-model that answers at ``exit_``: the exit node's ancestors and its head; and the kept positions."""
    if exit_.after == FINAL:
        return graph, list(range(len(graph.nodes)))
    if exit_.after not in graph.index:
        raise ExitError(f"exit after {exit_.after!r}: no such node in {graph.name!r}")
    at = graph.index[exit_.after]
    keep_set = {at}
    stack = [at]
    while stack:
        for u in graph.predecessors[stack.pop()]:
            if u not in keep_set:
                keep_set.add(u)
                stack.append(u)
    keep = sorted(keep_set)
    node = graph.nodes[at]
    head = Node(
        id=f"exit@{node.id}",
        op="exit_head",
        flops=_head_flops(node) if exit_.head_flops is None else exit_.head_flops,
        output_bytes=4 * CLASSES if exit_.head_output_bytes is None else exit_.head_output_bytes,
    )
    kept_ids = {graph.nodes[i].id for i in keep}
    edges = (*tuple(e for e in graph.edges if e[0] in kept_ids and e[1] in kept_ids), (node.id, head.id))
    sub = LayerGraph(
        name=f"{graph.name}@{node.id}",
        nodes=(*(graph.nodes[i] for i in keep), head),
        edges=edges,
        input_shape=graph.input_shape,
        dtype=graph.dtype,
    )
    return sub, keep


def _head_flops(node: Node) -> float:
    """Global average pool over the exit's feature map, then a linear layer to ``CLASSES`` outputs."""
    elements = math.prod(node.output_shape) if node.output_shape else node.output_bytes // 4
    channels = node.output_shape[1] if len(node.output_shape) > 1 else elements
    return float(elements + 2 * channels * CLASSES + CLASSES)


Accuracy = Annotated[float, Field(gt=0, le=1)]


class _Final(StrictModel):
    accuracy: Accuracy
    source: Annotated[str, Field(min_length=1)]


class _Exit(StrictModel):
    after: Annotated[str, Field(min_length=1)]
    accuracy: Accuracy
    source: Annotated[str, Field(min_length=1)]
    head_flops: Annotated[float, Field(ge=0)] | None = None
    head_output_bytes: Annotated[int, Field(ge=0)] | None = None


class _Exits(StrictModel):
    model: Annotated[str, Field(min_length=1)]
    final: _Final
    exits: list[_Exit] = Field(default_factory=list)


def load_exits(path: str | Path) -> tuple[str, list[Exit]]:
    """Read an exits file: the model name and its exits, the final one first."""
    document = read_json(path, ExitError)
    try:
        model = _Exits.model_validate(document)
    except ValidationError as exc:
        raise ExitError(f"{path}: {validation_message(exc)}") from None
    exits = [Exit(FINAL, model.final.accuracy, model.final.source)]
    exits += [Exit(e.after, e.accuracy, e.source, e.head_flops, e.head_output_bytes) for e in model.exits]
    return model.model, exits
