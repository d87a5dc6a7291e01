"""The result of horizontal planning, and its JSON form (``docs/formats/layer-graph.md``, "Split plan")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcfn.partition.cost import Breakdown


@dataclass(frozen=True)
class HorizontalPlan:
    """A tier per node, its latency (recomputed by :func:`mcfn.partition.cost.evaluate`) and the baselines.

    ``baselines`` maps ``"<tier>-only"`` to the latency of running every node but the input on that tier.
    """

    model: str
    tier_names: tuple[str, ...]
    node_ids: tuple[str, ...]
    assignment: tuple[int, ...]
    breakdown: Breakdown
    baselines: dict[str, float]
    solve_time_s: float
    method: str

    @property
    def latency_s(self) -> float:
        return self.breakdown.latency_s

    def tier_of(self, node_id: str) -> str:
        return self.tier_names[self.assignment[self.node_ids.index(node_id)]]

    def to_json_dict(self) -> dict[str, Any]:
        """Exactly the spec's result document.

        ``breakdown.transfer_s`` has one entry per used link direction: ``"device->edge"`` for tensors moving
        forward, ``"edge->device"`` for outputs returning, each with the link's ``latency_s`` included, so that
        ``latency_s`` is the sum of all compute and transfer entries.
        """
        return {
            "model": self.model,
            "latency_s": self.latency_s,
            "assignment": {
                node: self.tier_names[tier] for node, tier in zip(self.node_ids, self.assignment, strict=True)
            },
            "breakdown": {"compute_s": self.breakdown.compute_s, "transfer_s": self.breakdown.transfer_s},
            "baselines": self.baselines,
            "solve_time_s": self.solve_time_s,
        }
