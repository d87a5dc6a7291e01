"""Columnar per-task records: one NumPy array per field, grown by doubling; no Python object per finished task.

A task is *in flight* from :meth:`TaskTable.arrive` until it ends exactly once, by :meth:`TaskTable.complete`
or :meth:`TaskTable.fail` (with a reason); ending a task twice raises, so the accounting identity
``arrived = completed + failed + in flight`` holds at every moment by construction and is checked by the tests.
Failure reasons are short strings interned in :attr:`TaskTable.reasons`; the ``reason`` column holds their index.
"""

from __future__ import annotations

import numpy as np

IN_FLIGHT, COMPLETED, FAILED = 0, 1, 2
STATUS_NAMES = ("in_flight", "completed", "failed")

#: Column name → dtype and the value a row starts with; ``stage_node`` is two-dimensional (task, stage) and
#: handled apart. Rows are filled ahead, so that opening a record writes only what the arrival says.
_COLUMNS: dict[str, tuple[type, float]] = {
    "arrival_s": (np.float64, np.nan),
    "end_s": (np.float64, np.nan),
    "upload_s": (np.float64, 0.0),
    "compute_s": (np.float64, 0.0),
    "compression": (np.float64, 1.0),
    "compute_share": (np.float64, 1.0),
    "service": (np.int16, -1),
    "option": (np.int16, -1),
    "terminal": (np.int32, -1),
    "ingress": (np.int16, -1),
    "delivered": (np.int16, -1),
    "status": (np.int8, IN_FLIGHT),
    "reason": (np.int16, -1),
    "reroutes": (np.int8, 0),
}


class TaskTable:
    """Per-task columns; ``stage_node[t, k]`` is the fleet index that ran stage ``k`` of task ``t`` (-1: none)."""

    def __init__(self, *, stages: int, capacity: int = 1024) -> None:
        self._stages = stages
        self.count = 0
        self.completed = 0
        self.failed = 0
        self.reasons: list[str] = []
        self._reason_index: dict[str, int] = {}
        self._columns: dict[str, np.ndarray] = {}
        self._allocate(max(capacity, 16))

    def _allocate(self, capacity: int) -> None:
        old = self._columns
        new: dict[str, np.ndarray] = {}
        for name, (dtype, fill) in _COLUMNS.items():
            new[name] = np.full(capacity, fill, dtype=dtype)
        new["stage_node"] = np.full((capacity, self._stages), -1, dtype=np.int16)
        for name, values in old.items():
            new[name][: self.count] = values[: self.count]
        self._columns = new
        for name, values in new.items():
            setattr(self, name, values)
        # the columns the life of a task writes, under names of their own: typed memoryviews once compiled
        # (records.pxd), so that a write is a store rather than a NumPy call; the arrays themselves in Python
        self._arrival, self._end, self._upload = new["arrival_s"], new["end_s"], new["upload_s"]
        self._compute, self._compression, self._share = new["compute_s"], new["compression"], new["compute_share"]
        self._service, self._terminal, self._ingress = new["service"], new["terminal"], new["ingress"]
        self._option = new["option"]
        self._delivered, self._status, self._reason = new["delivered"], new["status"], new["reason"]
        self._stage_node = new["stage_node"]

    # Column attributes, bound by _allocate.
    arrival_s: np.ndarray
    end_s: np.ndarray
    upload_s: np.ndarray
    compute_s: np.ndarray
    #: Share of its input a task uploaded (seed §3.2's compression ratio; 1: uncompressed).
    compression: np.ndarray
    #: Share of one VM the allocation gave the task's first stage (seed §3.2's ``f / f_max``; 1: a whole VM).
    compute_share: np.ndarray
    service: np.ndarray
    #: The option (variant and exit, :attr:`mcfn.sim.world.World.options`) that served the task (-1: none yet).
    option: np.ndarray
    terminal: np.ndarray
    ingress: np.ndarray
    delivered: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    reroutes: np.ndarray
    stage_node: np.ndarray

    @property
    def in_flight(self) -> int:
        return self.count - self.completed - self.failed

    def arrive(self, now_s: float, service: int, terminal: int, ingress: int) -> int:
        """Open a record; returns the task id."""
        task = self.count
        if task == len(self.status):
            self._allocate(2 * task)
        self._arrival[task] = now_s
        self._service[task] = service
        self._terminal[task] = terminal
        self._ingress[task] = ingress
        self.count = task + 1
        return task

    def route(self, task: int, option: int, nodes: list[int]) -> None:
        """Record the option that serves the task and the fleet indices that run (or will run) its stages, in
        order."""
        self._option[task] = option
        for k, node in enumerate(nodes):
            self._stage_node[task, k] = node

    def uploaded(self, task: int, upload_s: float) -> None:
        """Record the seconds from arrival until the input crossed the air interface."""
        self._upload[task] = upload_s

    def compressed(self, task: int, ratio: float) -> None:
        """Record the share of its input the task uploads (seed §3.2's compression ratio)."""
        self._compression[task] = ratio

    def shared(self, task: int, share: float) -> None:
        """Record the share of one VM the allocation gave the task's first stage (seed §3.2's ``f / f_max``)."""
        self._share[task] = share

    def complete(self, task: int, now_s: float, delivered: int, compute_s: float) -> None:
        """End the task as completed, delivered through base station ``delivered`` after ``compute_s`` of compute."""
        self._end_as(task, now_s, COMPLETED, compute_s)
        self._delivered[task] = delivered
        self.completed += 1

    def fail(self, task: int, now_s: float, reason: str, compute_s: float = 0.0) -> None:
        """End the task as failed with ``reason`` after ``compute_s`` of compute."""
        self._end_as(task, now_s, FAILED, compute_s)
        code = self._reason_index.get(reason)
        if code is None:
            code = self._reason_index[reason] = len(self.reasons)
            self.reasons.append(reason)
        self._reason[task] = code
        self.failed += 1

    def _end_as(self, task: int, now_s: float, status: int, compute_s: float) -> None:
        if self._status[task] != IN_FLIGHT:
            raise RuntimeError(f"task {task} ended twice (it is already {STATUS_NAMES[self._status[task]]})")
        self._status[task] = status
        self._end[task] = now_s
        self._compute[task] = compute_s

    def view(self) -> dict[str, np.ndarray]:
        """The filled part of every column (views, not copies)."""
        return {name: values[: self.count] for name, values in self._columns.items()}
