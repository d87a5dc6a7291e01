"""The deployment record: what runs where, the predicted latency and accuracy, and why the cloud was used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcfn.orchestration.uplink import UplinkAllocation
from mcfn.routing.router import StagedRoute


@dataclass(frozen=True, slots=True, kw_only=True)
class DeploymentRecord:
    """One request's deployment.

    ``allocated`` is true when the joint radio / compute allocation of its base station set its bandwidth, its
    compute share (of one VM of the node that runs its first stage) and its compression; otherwise the terminal
    gets an equal share of the uplink and sends its data uncompressed, and its share is a whole VM. ``latency_s``
    is the uplink plus every stage's network, queueing and compute time plus the result's return.
    """

    request_id: str
    terminal: str
    route: StagedRoute
    allocated: bool
    bandwidth_hz: float
    compression: float
    compute_share: float
    uplink_s: float
    latency_s: float
    accuracy: float
    deadline_s: float
    cloud_reason: str | None

    @property
    def meets_deadline(self) -> bool:
        return self.latency_s <= self.deadline_s

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "request": self.request_id,
            "terminal": self.terminal,
            "stages": [
                {
                    "service": s.service_id,
                    "node": s.node_id,
                    "path": list(s.path),
                    "network_s": s.network_s,
                    "queue_s": s.queue_s,
                    "compute_s": s.compute_s,
                }
                for s in self.route.stages
            ],
            "return_path": list(self.route.return_path),
            "allocated": self.allocated,
            "bandwidth_hz": self.bandwidth_hz,
            "compression": self.compression,
            "compute_share": self.compute_share,
            "uplink_s": self.uplink_s,
            "latency_s": self.latency_s,
            "accuracy": self.accuracy,
            "deadline_s": self.deadline_s,
            "meets_deadline": self.meets_deadline,
            "cloud_reason": self.cloud_reason,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployment:
    """Every request's record, and the last allocation solved at each base station (by station id; a string says
    why none could serve the batch)."""

    records: tuple[DeploymentRecord, ...]
    allocations: dict[str, UplinkAllocation | str]
