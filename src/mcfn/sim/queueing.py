"""Open queueing-station model: Poisson arrivals into a :class:`~mcfn.sim.resources.ServerPool`.

The validation model of the simulator (M/M/1, M/M/c against :mod:`mcfn.sim.theory`) and the workload of the
engine benchmark. Sojourn times are kept in a NumPy array, not one Python object per job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mcfn.sim.engine import Simulator
from mcfn.sim.resources import ServerPool


@dataclass(frozen=True, eq=False)
class StationStats:
    """Outcome of :func:`simulate_station`. ``mean_in_system`` is time-averaged (for Little's law)."""

    sojourn_s: np.ndarray
    arrived: int
    completed: int
    horizon_s: float
    mean_in_system: float
    utilisation: float
    events: int

    @property
    def mean_sojourn_s(self) -> float:
        return float(self.sojourn_s.mean())

    @property
    def throughput_per_s(self) -> float:
        return self.completed / self.horizon_s


def simulate_station(
    *,
    arrival_rate: float,
    service_rate: float,
    servers: int = 1,
    jobs: int = 100_000,
    seed: int = 0,
) -> StationStats:
    """Simulate ``jobs`` Poisson arrivals with exponential service at ``servers`` FIFO servers.

    The run stops when the last arrival's job completes; every arrived job completes (conservation).
    """
    if arrival_rate <= 0 or service_rate <= 0:
        raise ValueError("arrival_rate and service_rate must be positive")
    sim = Simulator(seed=seed)
    # Python floats, not NumPy scalars: scalar arithmetic on the hot path is several times faster.
    interarrival = sim.stream("arrivals").exponential(1.0 / arrival_rate, size=jobs).tolist()
    service = sim.stream("service").exponential(1.0 / service_rate, size=jobs).tolist()
    pool = ServerPool(sim, servers=servers)
    station = _OpenStation(sim, pool, interarrival, service)
    sim.schedule(interarrival[0], station.arrive, 0)
    sim.run()
    horizon = sim.now
    return StationStats(
        sojourn_s=np.array(station.sojourn_s),
        arrived=jobs,
        completed=station.completed,
        horizon_s=horizon,
        mean_in_system=pool.number_in_system_area() / horizon,
        utilisation=pool.busy_area / (horizon * servers),
        events=sim.events_processed,
    )


class _OpenStation:
    """The arrival process and the sojourn records of one :func:`simulate_station` run."""

    __slots__ = (
        "_arrival_s",
        "_arrived",
        "_finished",
        "_interarrival",
        "_pool",
        "_service",
        "_sim",
        "completed",
        "sojourn_s",
    )

    def __init__(self, sim: Simulator, pool: ServerPool, interarrival: list[float], service: list[float]) -> None:
        self._sim = sim
        self._pool = pool
        self._interarrival = interarrival
        self._service = service
        self._arrival_s = [0.0] * len(service)
        self.sojourn_s = [math.nan] * len(service)
        self.completed = 0
        self._arrived, self._finished = self.arrive, self.finish  # bound once, not once per job

    def arrive(self, job: int) -> None:
        sim = self._sim
        self._arrival_s[job] = sim.now
        self._pool.submit(self._service[job], job, self._finished)
        if job + 1 < len(self._service):
            sim._push(sim.now + self._interarrival[job + 1], 0, self._arrived, (job + 1,))

    def finish(self, job: int, now: float) -> None:
        self.sojourn_s[job] = now - self._arrival_s[job]
        self.completed += 1
