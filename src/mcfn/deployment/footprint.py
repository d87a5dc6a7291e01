"""What a deployable item costs: its memory and the time to load it.

An *item* is one stage of one way to serve a service (a model variant's stage, :mod:`mcfn.services`): the unit a
node loads, keeps and evicts. Its memory is its weights — the zoo's parameter counts times the bytes of the
variant's dtype (4 for float32, 1 for int8) — plus its activations, the peak of the tensors alive at once while the
stage runs one input in topological order (:func:`activation_bytes`). Loading it takes
``overhead_s + weights_bytes · 8 / read_bps`` from the node's local storage (:func:`load_s`), or, fetched from the
cloud's registry, the transfer of its weights over the wired network (the simulator carries those bits like any
transfer) plus ``overhead_s``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mcfn.models.graph import LayerGraph


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """A deployable item: ``item_id`` (the catalogue id of a stage, ``service/option/stage``), its weights and its
    peak activation bytes."""

    item_id: str
    weights_bytes: float
    activation_bytes: float = 0.0

    @property
    def memory_bytes(self) -> float:
        """What the item holds while loaded: weights and activations."""
        return self.weights_bytes + self.activation_bytes


def load_s(weights_bytes: float, *, read_bps: float, overhead_s: float) -> float:
    """Seconds to load ``weights_bytes`` of weights from local storage read at ``read_bps`` bits per second, plus a
    fixed ``overhead_s`` (building the module, allocating its buffers)."""
    if read_bps <= 0:
        raise ValueError(f"read_bps must be positive, got {read_bps}")
    return overhead_s + 8.0 * weights_bytes / read_bps


def activation_bytes(graph: LayerGraph, members: Sequence[int]) -> float:
    """Peak bytes of the tensors alive at once while the nodes ``members`` (graph indices, in topological order) run
    one input: each node's output is allocated when it runs and freed after its last reader among ``members``
    (kept to the end if a node outside ``members`` reads it: it leaves the stage); the stage's inputs from outside
    are alive until their last reader. Linear in the members and their edges."""
    inside = set(members)
    position = {v: i for i, v in enumerate(members)}
    frees: dict[int, list[int]] = {}  # position -> tensors whose last reader inside runs there
    last: dict[int, int] = {}
    for v in members:
        for u in graph.predecessors[v]:
            last[u] = position[v]
    for u, at in last.items():
        leaves = u in inside and (not graph.successors[u] or any(s not in inside for s in graph.successors[u]))
        if not leaves:
            frees.setdefault(at, []).append(u)
    live = float(sum(graph.nodes[u].output_bytes for u in last if u not in inside))
    peak = live
    for i, v in enumerate(members):
        live += graph.nodes[v].output_bytes
        peak = max(peak, live)
        live -= sum(graph.nodes[u].output_bytes for u in frees.get(i, ()))
    return peak
