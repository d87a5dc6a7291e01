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
    arrival_s = [0.0] * jobs
    sojourn = [math.nan] * jobs
    done = 0

    def finish(job: int, now: float) -> None:
        nonlocal done
        sojourn[job] = now - arrival_s[job]
        done += 1

    schedule, submit = sim.schedule, pool.submit

    def arrive(job: int) -> None:
        arrival_s[job] = sim.now
        submit(service[job], job, finish)
        if job + 1 < jobs:
            schedule(interarrival[job + 1], arrive, job + 1)

    sim.schedule(interarrival[0], arrive, 0)
    sim.run()
    horizon = sim.now
    return StationStats(
        sojourn_s=np.array(sojourn),
        arrived=jobs,
        completed=done,
        horizon_s=horizon,
        mean_in_system=pool.number_in_system_area() / horizon,
        utilisation=pool.busy_area / (horizon * servers),
        events=sim.events_processed,
    )
