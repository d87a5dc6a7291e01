"""A layer graph as stages: op-class work per layer, compute times on compute nodes, contiguous balanced cuts.

The pieces that turn a partition of a layer graph into what the engines run: the runtime
(:mod:`mcfn.runtime.plan`) cuts real torch modules with them, the simulator (:mod:`mcfn.scenario.zoo`) derives
a service's stage list from a zoo model. Op classes are those of :class:`mcfn.compute.Work`, so a stage's time
on a CPU, GPU or NPU follows that kind's per-op-class throughput.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from mcfn.compute.node import OP_CLASSES, ComputeNode, OpClass, Work
from mcfn.models.graph import LayerGraph, Node

#: Layer-graph ops (lower-case module class or function names) by op class; anything else is element-wise, the
#: default of :func:`mcfn.models.flops.module_flops`. A node whose dense work the profiler counted says its class
#: itself (:attr:`mcfn.models.graph.Node.op_class`).
_OP_CLASSES: tuple[tuple[OpClass, tuple[str, ...]], ...] = (
    (OpClass.CONV, ("conv",)),
    (OpClass.MATMUL, ("linear", "matmul", "mm", "bmm", "baddbmm", "multiheadattention", "scaled_dot_product")),
    (OpClass.OTHER, ("pool", "mean", "sum", "amax", "max", "min")),
)


def op_class(op: str) -> OpClass:
    """The op class of a layer-graph op name (``conv2d`` → conv, ``linear`` → matmul, ``maxpool2d`` → other)."""
    return next((cls for cls, keys in _OP_CLASSES if any(key in op for key in keys)), OpClass.ELEMENTWISE)


def layer_class(node: Node) -> OpClass:
    """The op class of a layer-graph node: the class of its counted dense work, or else of its op name."""
    return OpClass(node.op_class) if node.op_class else op_class(node.op)


def layer_work(node: Node) -> Work:
    """The work of one layer-graph node: its FLOPs in its op class."""
    return Work({layer_class(node): node.flops})


def stage_work(graph: LayerGraph, members: Iterable[int]) -> Work:
    """The FLOPs of the graph nodes at positions ``members``, by op class."""
    per_op = np.zeros(len(OP_CLASSES))
    for i in members:
        per_op += layer_work(graph.nodes[i]).per_op_flops
    return Work(dict(zip(OP_CLASSES, per_op.tolist(), strict=True)))


def compute_table_s(graph: LayerGraph, players: Sequence[ComputeNode]) -> np.ndarray:
    """Seconds one VM of each compute node in ``players`` needs for each graph node; shape (nodes, players).

    This is the ``compute_s`` table of :func:`mcfn.partition.plan_horizontal` when tier ``k`` is played by
    ``players[k]``: each layer at its op class's throughput on that node's kind.
    """
    return np.array([[player.compute_time_s(layer_work(node)) for player in players] for node in graph.nodes])


def balanced_stages(graph: LayerGraph, stages: int) -> np.ndarray:
    """Stage number of every graph node: ``stages`` contiguous runs of the topological order of about equal FLOPs.

    Each cut is placed where the running FLOP total first reaches ``k / stages`` of the whole (so a stage ends on
    the layer that crosses its share), and every stage keeps at least one layer. O(nodes). A heuristic for
    pipelines of equal-speed workers, not a latency optimum (that is :func:`mcfn.partition.plan_horizontal`).
    Raises ``ValueError`` unless ``1 <= stages <= nodes``.
    """
    order = graph.topological_order
    if not 1 <= stages <= len(order):
        raise ValueError(f"model {graph.name!r} has {len(order)} layers; stages must be 1..{len(order)}")
    cumulative = np.cumsum([graph.nodes[i].flops for i in order])
    targets = cumulative[-1] * np.arange(1, stages) / stages
    first = np.searchsorted(cumulative, targets, side="left") + 1  # first position of stages 1..n-1
    for k in range(stages - 1):  # every stage keeps at least one layer
        low = first[k - 1] + 1 if k else 1
        first[k] = min(max(first[k], low), len(order) - (stages - 1 - k))
    stage_of = np.empty(len(order), dtype=int)
    stage_of[list(order)] = np.searchsorted(first, np.arange(len(order)), side="right")
    return stage_of
