"""Compute measurement in three levels, after the IETF CATS metric drafts.

K. Yao, C. Li, L. M. Contreras, J. Ros-Giralt, G. Zeng, "CATS Metrics Definition", IETF Internet-Draft
draft-ietf-cats-metric-definition-08 (work in progress, 2026) grades the metrics that service instances expose by
abstraction level:

- **L0, raw metrics**: per-resource measurements in their own units, no abstraction (here: throughput per op class
  in FLOP/s, memory in bytes, VM slots, busy VMs, queued FLOPs) — :class:`RawMetrics`;
- **L1, normalised metrics**: one unitless score per category, comparable across vendors and kinds (here:
  ``compute``, ``memory``, ``availability``, each in ``[0, 1]``) — :func:`normalise`;
- **L2, a single overall metric**: one score per instance that a router can rank by — :func:`overall_score`.

The draft standardises the levels, not L0 itself nor the aggregation and normalisation functions; ours are: a
capacity ``x`` scores ``x / (x + x_ref)`` (0.5 at the reference, saturating, so no outlier can dominate);
availability is the free share of VM slots times ``1 / (1 + backlog_s / backlog_ref_s)``; L2 is a weighted geometric
mean, so a node that is worthless in one category (no free VM) scores low overall however fast it is. All functions
are vectorised over nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfn.compute.fleet import Fleet
from mcfn.network.radio import FloatArray

CATEGORIES: tuple[str, ...] = ("compute", "memory", "availability")


@dataclass(frozen=True, eq=False, kw_only=True)
class RawMetrics:
    """L0: raw per-resource metrics of the nodes of a fleet, one row (or entry) per node, SI units."""

    node_ids: tuple[str, ...]
    flops_per_s: FloatArray  # (nodes, op classes), one VM
    memory_bytes: FloatArray
    vm_slots: FloatArray
    busy_vms: FloatArray
    queue_flops: FloatArray

    @classmethod
    def of(cls, fleet: Fleet, *, busy_vms: FloatArray, queue_flops: FloatArray) -> RawMetrics:
        """L0 metrics of ``fleet`` in a given load state."""
        return cls(
            node_ids=fleet.node_ids,
            flops_per_s=1.0 / fleet.seconds_per_flop,
            memory_bytes=fleet.memory_bytes,
            vm_slots=fleet.vm_slots.astype(float),
            busy_vms=np.asarray(busy_vms, dtype=float),
            queue_flops=np.asarray(queue_flops, dtype=float),
        )


@dataclass(frozen=True, kw_only=True)
class Reference:
    """The reference values at which an L1 score is 0.5: a mid-range edge server by default."""

    flops_per_s: float = 10e12
    memory_bytes: float = 32e9
    backlog_s: float = 0.05


@dataclass(frozen=True, eq=False)
class Scores:
    """L1: one ``[0, 1]`` score per category (``CATEGORIES``) and node: ``values[node, category]``."""

    node_ids: tuple[str, ...]
    values: FloatArray

    def category(self, name: str) -> FloatArray:
        return self.values[:, CATEGORIES.index(name)]


def normalise(raw: RawMetrics, reference: Reference | None = None) -> Scores:
    """L0 → L1: saturating per-category scores (see the module docstring)."""
    ref = reference or Reference()
    peak = raw.flops_per_s.mean(axis=1)
    aggregate = peak * raw.vm_slots
    compute = aggregate / (aggregate + ref.flops_per_s)
    memory = raw.memory_bytes / (raw.memory_bytes + ref.memory_bytes)
    free_share = np.clip(raw.vm_slots - raw.busy_vms, 0.0, None) / raw.vm_slots
    backlog_s = raw.queue_flops / aggregate
    availability = free_share / (1.0 + backlog_s / ref.backlog_s)
    return Scores(raw.node_ids, np.column_stack([compute, memory, availability]))


def overall_score(scores: Scores, weights: tuple[float, ...] = (0.5, 0.2, 0.3)) -> FloatArray:
    """L1 → L2: weighted geometric mean of the category scores (weights in ``CATEGORIES`` order, normalised)."""
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(CATEGORIES),) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be {len(CATEGORIES)} non-negative numbers, not all zero; got {weights}")
    with np.errstate(divide="ignore"):
        return np.exp(np.log(scores.values) @ (w / w.sum()))
