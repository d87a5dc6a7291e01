"""The result of an allocation: one type for every scheme and method, with the spec's JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from mcfn.allocation.evaluation import Evaluation
from mcfn.allocation.problem import Instance

Status = Literal["optimal", "infeasible", "error"]


class TaskAllocation(NamedTuple):
    """What one task received and what it achieves (SI units). Rejected tasks hold nothing. (A named tuple: a
    result of N tasks makes N of them, and a tuple is made several times faster than a dataclass.)"""

    id: str
    bandwidth_hz: float
    compute_hz: float
    compression: float
    upload_s: float
    compute_s: float
    latency_s: float
    accuracy: float
    upload_energy_j: float
    admitted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationResult:
    """Outcome of :func:`mcfn.allocation.allocate`.

    ``utility`` and every per-task number come from :func:`mcfn.allocation.evaluation.evaluate` applied to the
    returned bandwidth, compute and compression, so they can be recomputed from the instance and those three.
    ``reason`` explains an ``infeasible`` or ``error`` status; ``history`` is SCA's utility per iterate.
    """

    status: Status
    scheme: str
    method: str
    utility: float
    iterations: int
    solve_time_s: float
    tasks: tuple[TaskAllocation, ...]
    reason: str | None = None
    solver: str | None = None
    history: tuple[float, ...] = ()

    @property
    def rejected(self) -> int:
        return sum(not t.admitted for t in self.tasks)

    @property
    def upload_energy_j(self) -> float:
        """The terminals' transmit energy over every task (J)."""
        return sum(t.upload_energy_j for t in self.tasks)

    def to_json_dict(self) -> dict[str, Any]:
        """The result JSON (``docs/formats/allocation.md``); ``reason`` is added only when status is not optimal."""
        out: dict[str, Any] = {
            "status": self.status,
            "scheme": self.scheme,
            "method": self.method,
            "utility": self.utility,
            "iterations": self.iterations,
            "solve_time_s": self.solve_time_s,
            "tasks": [
                {
                    "id": t.id,
                    "bandwidth_hz": t.bandwidth_hz,
                    "compute_hz": t.compute_hz,
                    "compression": t.compression,
                    "upload_s": t.upload_s,
                    "compute_s": t.compute_s,
                    "latency_s": t.latency_s,
                    "accuracy": t.accuracy,
                    "upload_energy_j": t.upload_energy_j,
                    "admitted": t.admitted,
                }
                for t in self.tasks
            ],
            "rejected": self.rejected,
        }
        if self.reason is not None:
            out["reason"] = self.reason
        return out


def task_allocations(instance: Instance, evaluation: Evaluation) -> tuple[TaskAllocation, ...]:
    """Per-task records of an evaluation, in the instance's task order."""
    e = evaluation
    columns = (
        e.bandwidth_hz,
        e.compute_hz,
        e.compression,
        e.upload_s,
        e.compute_s,
        e.latency_s,
        e.accuracy,
        e.upload_energy_j,
    )
    return tuple(
        TaskAllocation(task.id, *values, admitted)
        for task, *values, admitted in zip(
            instance.tasks, *(c.tolist() for c in columns), e.admitted.tolist(), strict=True
        )
    )
