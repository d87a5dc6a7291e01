"""The reference latency model of a horizontal plan (``docs/formats/tiers.md``, "simple"), computed from the plan alone.

This module is the referee: the planner minimises the same quantity through a cut, and every result's
``latency_s`` is this module's recomputation from the assignment. It follows the spec term by term, with no
shortcut shared with the planner: serial compute, each tensor once over each link between its producer's tier
and its farthest reader's, each used link's latency once, and the outputs' return trip to the first tier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mcfn.models.graph import LayerGraph
from mcfn.partition.tiers import Tiers


@dataclass(frozen=True)
class Breakdown:
    """Latency of a plan: compute seconds per tier that hosts nodes, transfer seconds per used link direction."""

    latency_s: float
    compute_s: dict[str, float]
    transfer_s: dict[str, float]


def simple_compute_s(graph: LayerGraph, tiers: Tiers) -> np.ndarray:
    """Seconds of each node on each tier under the simple model: ``flops / flops_per_s``; shape (nodes, tiers)."""
    flops = np.array([n.flops for n in graph.nodes], dtype=float)
    speeds = np.array([t.flops_per_s for t in tiers.tiers], dtype=float)
    return flops[:, None] / speeds[None, :]


def measured_compute_s(graph: LayerGraph, tiers: Tiers, node_latency_s: Mapping[str, float]) -> np.ndarray:
    """Seconds of each node on each tier from times measured on one machine; shape (nodes, tiers).

    The measuring machine's effective speed is ``total flops / total measured time``; a tier ``k`` times faster
    runs every node ``k`` times faster. So the total follows the tier speeds as in the simple model, while the
    share of each node follows the measurement (memory-bound layers cost more than their flops say).
    Raises ``ValueError`` naming a graph node the table lacks.
    """
    missing = [n.id for n in graph.nodes if n.id not in node_latency_s]
    if missing:
        raise ValueError(f"latency table: no time for node {missing[0]!r} ({len(missing)} nodes missing)")
    seconds = np.array([node_latency_s[n.id] for n in graph.nodes], dtype=float)
    if seconds.sum() <= 0:
        raise ValueError("latency table: all measured times are zero")
    machine_flops_per_s = graph.total_flops / seconds.sum()
    speeds = np.array([t.flops_per_s for t in tiers.tiers], dtype=float)
    return seconds[:, None] * machine_flops_per_s / speeds[None, :]


def check_assignment(graph: LayerGraph, tiers: Tiers, assignment: Sequence[int]) -> None:
    """Raise ``ValueError`` naming the node if the plan puts the input off the first tier or moves data back."""
    if len(assignment) != len(graph.nodes):
        raise ValueError(f"assignment: {len(graph.nodes)} nodes need a tier each, got {len(assignment)}")
    for i, tier in enumerate(assignment):
        if not 0 <= tier < len(tiers):
            raise ValueError(f"assignment: node {graph.nodes[i].id!r} has no tier number {tier}")
    if assignment[graph.input_index] != 0:
        raise ValueError(f"assignment: the input {graph.nodes[graph.input_index].id!r} must be on the first tier")
    for u, readers in enumerate(graph.successors):
        for v in readers:
            if assignment[v] < assignment[u]:
                names = tiers.names
                raise ValueError(
                    f"assignment: {graph.nodes[u].id!r} on {names[assignment[u]]!r} feeds "
                    f"{graph.nodes[v].id!r} on {names[assignment[v]]!r}: data only moves forward"
                )


def evaluate(
    graph: LayerGraph, tiers: Tiers, assignment: Sequence[int], compute_s: np.ndarray | None = None
) -> Breakdown:
    """The spec's latency of ``assignment`` (a tier number per node); ``compute_s`` defaults to the simple model."""
    check_assignment(graph, tiers, assignment)
    table = simple_compute_s(graph, tiers) if compute_s is None else compute_s
    names = tiers.names
    compute: dict[str, float] = {}
    for i, tier in enumerate(assignment):
        compute[names[tier]] = compute.get(names[tier], 0.0) + float(table[i, tier])
    forward_bits = [0.0] * (len(tiers) - 1)
    back_bits = [0.0] * (len(tiers) - 1)
    carried = [False] * (len(tiers) - 1)
    returned = [False] * (len(tiers) - 1)
    for u, readers in enumerate(graph.successors):
        bits = 8.0 * graph.nodes[u].output_bytes
        farthest = max((assignment[v] for v in readers), default=assignment[u])
        for link in range(assignment[u], farthest):
            forward_bits[link] += bits
            carried[link] = True
    for out in graph.outputs:
        for link in range(assignment[out]):
            back_bits[link] += 8.0 * graph.nodes[out].output_bytes
            returned[link] = True
    transfer: dict[str, float] = {}
    for i, link in enumerate(tiers.links):
        if carried[i]:
            transfer[f"{link.source}->{link.target}"] = forward_bits[i] / link.bandwidth_bps + link.latency_s
        if returned[i]:
            transfer[f"{link.target}->{link.source}"] = back_bits[i] / link.bandwidth_bps + link.latency_s
    latency = sum(compute.values()) + sum(transfer.values())
    return Breakdown(latency_s=latency, compute_s=compute, transfer_s=transfer)
