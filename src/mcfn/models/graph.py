"""The layer graph (``docs/formats/layer-graph.md``): a DNN as a DAG of operations with their cost and output size.

A :class:`LayerGraph` is valid by construction: building one checks the structure once (unique ids, known edge
ends, exactly one input node, every node reachable from it, no cycle, no negative cost) and raises
:class:`GraphError` with one line that names the offending node or edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from graphlib import CycleError, TopologicalSorter

INPUT_OP = "input"


class GraphError(ValueError):
    """A layer graph that cannot be used; the message is one line naming the problem."""


@dataclass(frozen=True, slots=True)
class Node:
    """One operation: ``flops`` (a multiply-accumulate is 2), its output tensor's size and shape, its weights.

    ``op_class`` is the class of its dense work (``conv`` or ``matmul``) where the profiler counted it, whatever
    ``op`` is called (an ``einsum``, a functional convolution, an opaque attention function); empty, the op
    name says it (:func:`mcfn.partition.stages.layer_class`).
    """

    id: str
    op: str
    flops: float
    output_bytes: int
    param_bytes: int = 0
    output_shape: tuple[int, ...] = ()
    op_class: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise GraphError("node id: must be a non-empty string")
        for name in ("flops", "output_bytes", "param_bytes"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise GraphError(f"node {self.id!r}: {name} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class LayerGraph:
    """A model's layer graph: nodes in topological order, edges ``(producer, consumer)`` by node id."""

    name: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]
    input_shape: tuple[int, ...] = ()
    dtype: str = "float32"
    _order: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, int] = {}
        for i, node in enumerate(self.nodes):
            if node.id in index:
                raise GraphError(f"node {node.id!r}: duplicate id")
            index[node.id] = i
        for u, v in self.edges:
            for end in (u, v):
                if end not in index:
                    raise GraphError(f"edge {u!r} -> {v!r}: unknown node {end!r}")
            if u == v:
                raise GraphError(f"edge {u!r} -> {v!r}: a node cannot feed itself (cycle)")
        inputs = [n.id for n in self.nodes if n.op == INPUT_OP]
        if len(inputs) != 1:
            found = ", ".join(inputs) if inputs else "none"
            raise GraphError(f"graph {self.name!r}: needs exactly one node with op 'input', found {found}")
        preds: dict[str, set[str]] = {n.id: set() for n in self.nodes}
        for u, v in self.edges:
            preds[v].add(u)
        try:
            order = tuple(TopologicalSorter(preds).static_order())
        except CycleError as exc:
            raise GraphError(f"graph {self.name!r}: cycle through {' -> '.join(exc.args[1])}") from None
        for node_id in order:
            if node_id != inputs[0] and not preds[node_id]:
                raise GraphError(f"node {node_id!r}: has no predecessor, so the input {inputs[0]!r} cannot reach it")
        if preds[inputs[0]]:
            raise GraphError(f"node {inputs[0]!r}: the input node cannot have predecessors")
        object.__setattr__(self, "_order", tuple(index[node_id] for node_id in order))

    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each node id in :attr:`nodes`."""
        return {n.id: i for i, n in enumerate(self.nodes)}

    @property
    def topological_order(self) -> tuple[int, ...]:
        """Node positions such that every edge goes from an earlier to a later position."""
        return self._order

    @cached_property
    def input_index(self) -> int:
        return next(i for i, n in enumerate(self.nodes) if n.op == INPUT_OP)

    @cached_property
    def successors(self) -> tuple[tuple[int, ...], ...]:
        """Distinct consumers of each node's output, by position."""
        out: list[set[int]] = [set() for _ in self.nodes]
        for u, v in self.edges:
            out[self.index[u]].add(self.index[v])
        return tuple(tuple(sorted(s)) for s in out)

    @cached_property
    def predecessors(self) -> tuple[tuple[int, ...], ...]:
        """Distinct producers of each node's inputs, by position."""
        out: list[set[int]] = [set() for _ in self.nodes]
        for u, v in self.edges:
            out[self.index[v]].add(self.index[u])
        return tuple(tuple(sorted(s)) for s in out)

    @cached_property
    def outputs(self) -> tuple[int, ...]:
        """Positions of the model's outputs: the nodes nobody reads."""
        return tuple(i for i, s in enumerate(self.successors) if not s)

    @property
    def total_flops(self) -> float:
        return float(sum(n.flops for n in self.nodes))

    @property
    def total_param_bytes(self) -> int:
        return sum(n.param_bytes for n in self.nodes)

    def is_chain(self) -> bool:
        """True when the nodes form one path from the input (each has at most one producer and one consumer)."""
        return all(len(s) <= 1 for s in self.successors) and all(len(p) <= 1 for p in self.predecessors)
