"""A rate-sharing station: jobs in service progress at rates that a rule re-divides whenever the set changes.

One class serves three models of the network simulator, each a rule ``rates(keys, remaining) -> rates``:

- a wired link shared by concurrent transfers (egalitarian processor sharing: ``C / n`` bit/s each;
  Kleinrock, "Time-shared systems: a theoretical treatment", JACM 14(2), 1967);
- a base station's OFDMA uplink, re-divided by an uplink policy of :mod:`mcfn.network.uplink`;
- an edge server whose ``i`` busy VMs each run ``(1 + d)^(i - 1)`` times slower (seed eq. 2), with jobs beyond
  the VM slots waiting in a FIFO queue.

Whatever the rule, the station keeps exactly one pending completion event in the kernel: on every arrival or
departure it advances every job's remaining work at the old rates, asks the rule for new rates, cancels the
pending event and schedules the next completion. The per-change cost is ``O(n)`` in the jobs in service, which
stays small in a cellular network (a handful of concurrent uploads per cell, VM slots per server).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from mcfn.sim.engine import Simulator

#: ``rates(keys, remaining)``: service rate of each job in service (work units per second), same order.
RateRule = Callable[[Sequence[Any], Sequence[float]], Sequence[float]]
#: Called with the job id when its work is done.
Finished = Callable[[int], None]


def equal_share(capacity: float) -> RateRule:
    """Egalitarian processor sharing: ``capacity / n`` each."""

    def rule(keys: Sequence[Any], remaining: Sequence[float]) -> list[float]:
        return [capacity / len(keys)] * len(keys)

    return rule


def slowed_by_parallelism(slowdown: Sequence[float]) -> RateRule:
    """Every job in service runs at ``1 / slowdown[i - 1]`` when ``i`` jobs are in service (work in seconds)."""
    speeds = [1.0 / s for s in slowdown]

    def rule(keys: Sequence[Any], remaining: Sequence[float]) -> list[float]:
        return [speeds[len(keys) - 1]] * len(keys)

    return rule


class SharingStation:
    """Jobs share a service capacity by a :data:`RateRule`; at most ``slots`` in service, the rest wait FIFO.

    Keeps time integrals for utilisation: ``busy_area`` (seconds with at least one job in service) and
    ``in_service_area`` (integral of the number in service).
    """

    __slots__ = (
        "_event",
        "_finished",
        "_keys",
        "_last_s",
        "_queue",
        "_rates",
        "_remaining",
        "_rule",
        "_sim",
        "busy_area",
        "in_service_area",
        "slots",
        "work_done",
    )

    def __init__(self, sim: Simulator, *, rule: RateRule, on_finish: Finished, slots: int | None = None) -> None:
        self._sim = sim
        self._rule = rule
        self._finished = on_finish
        self.slots = slots
        self._remaining: dict[int, float] = {}
        self._keys: dict[int, Any] = {}
        self._rates: dict[int, float] = {}
        self._queue: deque[tuple[int, float, Any]] = deque()
        self._event: int | None = None
        self._last_s = sim.now
        self.busy_area = 0.0
        self.in_service_area = 0.0
        self.work_done = 0.0

    @property
    def in_service(self) -> int:
        return len(self._remaining)

    @property
    def queued(self) -> int:
        return len(self._queue)

    def queued_work(self) -> float:
        """Work waiting for a slot (not yet in service)."""
        return sum(work for _, work, _ in self._queue)

    def submit(self, job: int, work: float, key: Any = None) -> None:
        """Add ``job`` with ``work`` units to do; ``key`` is what the rule reads about it (e.g. its SNR)."""
        self._advance()
        if self.slots is not None and len(self._remaining) >= self.slots:
            self._queue.append((job, work, key))
            return
        self._remaining[job] = work
        self._keys[job] = key
        self._reschedule()

    def drop_all(self) -> list[int]:
        """Remove every job (in service and waiting) without finishing it; returns their ids (for a failure)."""
        self._advance()
        jobs = [*self._remaining, *(job for job, _, _ in self._queue)]
        self._remaining.clear()
        self._keys.clear()
        self._rates.clear()
        self._queue.clear()
        self._reschedule()
        return jobs

    def account(self) -> None:
        """Bring the time integrals up to now (call before reading them)."""
        self._advance()

    def _advance(self) -> None:
        now = self._sim.now
        elapsed = now - self._last_s
        if elapsed > 0.0:
            remaining, rates = self._remaining, self._rates
            n = len(remaining)
            if n:
                self.busy_area += elapsed
                self.in_service_area += n * elapsed
                for job in remaining:
                    done = rates[job] * elapsed
                    remaining[job] -= done
                    self.work_done += done
            self._last_s = now

    def _reschedule(self) -> None:
        sim = self._sim
        if self._event is not None:
            sim.cancel(self._event)
            self._event = None
        remaining = self._remaining
        if not remaining:
            return
        jobs = list(remaining)
        rates = self._rule([self._keys[j] for j in jobs], [remaining[j] for j in jobs])
        self._rates = dict(zip(jobs, rates, strict=True))
        first, delay = -1, float("inf")
        for job, rate in zip(jobs, rates, strict=True):
            left = remaining[job]
            wait = (left / rate if rate > 0.0 else float("inf")) if left > 0.0 else 0.0
            if wait < delay:
                first, delay = job, wait
        self._event = sim.schedule(delay, self._complete, first)

    def _complete(self, job: int) -> None:
        self._event = None
        self._advance()
        del self._remaining[job], self._keys[job], self._rates[job]
        if self._queue:
            nxt, work, key = self._queue.popleft()
            self._remaining[nxt] = work
            self._keys[nxt] = key
        self._reschedule()
        self._finished(job)
