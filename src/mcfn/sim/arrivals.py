"""Task arrivals: Poisson streams per terminal and service, or a per-service trace of ``t,terminal`` rows.

The Poisson streams of every terminal and every service with a rate are superposed into one stream of rate
``terminals · Σ λ_s`` (a sum of independent Poisson processes is Poisson), and each arrival's service and terminal
are drawn in proportion to their rates: one pending event for all of them, drawn in NumPy batches and read through
memoryviews (Python numbers as Python, C reads compiled: no Python object per arrival until the model's call), the
event handing the kernel the arrival's place in the batch (a :class:`~mcfn.sim.engine.Handler`'s job id). A service
with ``arrivals_path`` instead replays its trace, one pending event per trace. Every arrival also carries a work
scale: an Exp(1) draw for services with ``work: exponential`` (validation runs), else 1.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mcfn.scenario import Scenario
from mcfn.sim.engine import Handler, Simulator

#: ``on_arrival(service, terminal, work_scale)``.
OnArrival = Callable[[int, int, float], None]
#: Poisson arrivals drawn per batch.
_BATCH = 4096


def read_arrival_trace(path: str | Path, *, terminals: int) -> tuple[list[float], list[int]]:
    """Times (s, sorted) and terminal indices of a ``t,terminal`` CSV with a header; errors name file and line."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise ValueError(f"cannot read arrival trace {path}: {exc.strerror or exc}") from None
    if not rows or not {"t", "terminal"} <= set(rows[0]):
        raise ValueError(f"{path}: expected a header with columns t,terminal")
    arrivals = []
    for line, row in enumerate(rows, start=2):
        try:
            t, terminal = float(row["t"]), int(row["terminal"])
        except (TypeError, ValueError):
            raise ValueError(f"{path}:{line}: t must be a number and terminal an integer") from None
        if not (t >= 0 and 0 <= terminal < terminals):
            raise ValueError(f"{path}:{line}: need t >= 0 and 0 <= terminal < {terminals}, got {t}, {terminal}")
        arrivals.append((t, terminal))
    arrivals.sort()
    return [t for t, _ in arrivals], [k for _, k in arrivals]


class Arrivals(Handler):
    """Schedules every task arrival of ``scenario`` before ``duration_s`` on ``sim``."""

    def __init__(self, sim: Simulator, scenario: Scenario, *, on_arrival: OnArrival) -> None:
        self._sim = sim
        self._on_arrival = on_arrival
        self._until_s = scenario.duration_s
        self._terminals = scenario.terminals.count
        services = scenario.services
        self._exponential = [s.work == "exponential" for s in services]
        self._rng = sim.stream("arrivals")
        self._work_rng = sim.stream("trace-work")
        self._poisson = np.flatnonzero([s.rate_per_terminal_per_s is not None for s in services])
        rates = np.array([services[i].rate_per_terminal_per_s for i in self._poisson], dtype=float)
        self._total_rate = float(rates.sum()) * self._terminals
        self._service_p = rates / rates.sum() if len(self._poisson) else rates
        self._drawn = _BATCH  # the batch's arrivals scheduled so far: all, there is none yet
        if len(self._poisson):
            self._next_poisson()
        for i, service in enumerate(services):
            if service.arrivals_path is not None:
                times, terminals = read_arrival_trace(service.arrivals_path, terminals=self._terminals)
                self._next_traced(i, times[::-1], terminals[::-1])

    def _next_poisson(self) -> None:
        """Schedule the next Poisson arrival (its entry in the batch), drawing a new batch when this one is used."""
        i = self._drawn
        if i == _BATCH:
            rng, n = self._rng, _BATCH
            self._batch_gaps = memoryview(rng.exponential(1.0 / self._total_rate, n))
            self._batch_services = memoryview(self._poisson[rng.choice(len(self._poisson), size=n, p=self._service_p)])
            self._batch_terminals = memoryview(rng.integers(self._terminals, size=n))
            self._batch_scales = memoryview(rng.exponential(1.0, n) if any(self._exponential) else np.ones(n))
            i = 0
        self._drawn = i + 1
        at_s = self._sim.now + self._batch_gaps[i]
        if at_s < self._until_s:
            self._sim._push_job(at_s, self, i)

    def handle(self, job: int) -> None:
        """The Poisson arrival of entry ``job`` of the batch (read before the next is scheduled: that may draw a new
        batch)."""
        service, terminal, scale = self._batch_services[job], self._batch_terminals[job], self._batch_scales[job]
        self._next_poisson()
        self._on_arrival(service, terminal, scale if self._exponential[service] else 1.0)

    def _next_traced(self, service: int, times: list[float], terminals: list[int]) -> None:
        """Schedule the trace's next arrival (``times`` and ``terminals`` reversed: the next is last)."""
        if times and times[-1] < self._until_s:
            at_s = max(times.pop(), self._sim.now)
            self._sim.schedule_at(at_s, self._traced_arrival, service, terminals.pop(), times, terminals)

    def _traced_arrival(self, service: int, terminal: int, times: list[float], terminals: list[int]) -> None:
        self._next_traced(service, times, terminals)
        scale = float(self._work_rng.exponential(1.0)) if self._exponential[service] else 1.0
        self._on_arrival(service, terminal, scale)
