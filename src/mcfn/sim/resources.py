"""Generic resources on top of the event kernel."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from mcfn.sim.engine import Simulator

Done = Callable[[Any, float], None]


class ServerPool:
    """``servers`` identical servers with one FIFO queue (the M/M/c station when arrivals and services are
    exponential). Keeps the time-integral of the number in system, for Little's law and utilisation.
    """

    __slots__ = (
        "_area",
        "_busy",
        "_finished",
        "_in_system",
        "_last_change_s",
        "_queue",
        "_sim",
        "busy_area",
        "servers",
    )

    def __init__(self, sim: Simulator, *, servers: int) -> None:
        if servers < 1:
            raise ValueError(f"servers must be >= 1, got {servers}")
        self._sim = sim
        self._finished = self._finish  # one bound method for every departure event, not one per job
        self.servers = servers
        self._queue: deque[tuple[float, Any, Done]] = deque()
        self._busy = 0
        self._in_system = 0
        self._area = 0.0
        self.busy_area = 0.0
        self._last_change_s = sim.now

    @property
    def in_system(self) -> int:
        return self._in_system

    @property
    def queued(self) -> int:
        return len(self._queue)

    def submit(self, service_s: float, job: Any, on_done: Done) -> None:
        """Serve ``job`` for ``service_s`` seconds once a server is free; then call ``on_done(job, now)``."""
        sim = self._sim
        now = sim.now
        elapsed = now - self._last_change_s
        if elapsed:  # the time integrals, inlined: this is the hot path of every station model
            self._area += self._in_system * elapsed
            self.busy_area += self._busy * elapsed
            self._last_change_s = now
        self._in_system += 1
        if self._busy < self.servers:
            self._busy += 1
            sim._push(now + service_s, 0, self._finished, (job, on_done))
        else:
            self._queue.append((service_s, job, on_done))

    def number_in_system_area(self) -> float:
        """Integral of the number in system over time, up to now."""
        self._account(self._sim.now)
        return self._area

    def _finish(self, job: Any, on_done: Done) -> None:
        sim = self._sim
        now = sim.now
        elapsed = now - self._last_change_s
        if elapsed:
            self._area += self._in_system * elapsed
            self.busy_area += self._busy * elapsed
            self._last_change_s = now
        self._in_system -= 1
        if self._queue:
            service_s, next_job, next_done = self._queue.popleft()
            sim._push(now + service_s, 0, self._finished, (next_job, next_done))
        else:
            self._busy -= 1
        on_done(job, now)

    def _account(self, now: float) -> None:
        elapsed = now - self._last_change_s
        if elapsed:
            self._area += self._in_system * elapsed
            self.busy_area += self._busy * elapsed
            self._last_change_s = now
