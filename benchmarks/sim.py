"""Event-kernel speed: mcfn's heap kernel against a SimPy twin of the same M/M/c station, in one run.

Both simulate the same Poisson arrivals and exponential services (the same pre-drawn numbers), FIFO, ``c``
servers; both must give the same mean sojourn time. Reported: jobs and events per wall-clock second, the
ratio, and the sojourn time against Erlang C. Usage: ``python benchmarks/sim.py [--jobs N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import simpy

from mcfn.sim.queueing import simulate_station
from mcfn.sim.theory import mmc_mean_sojourn_s

ARRIVAL_RATE, SERVICE_RATE, SERVERS = 3.2, 1.0, 4


def simpy_station(jobs: int, seed: int) -> tuple[float, float]:
    """The SimPy twin: one process per job requesting a ``simpy.Resource``; returns (mean sojourn, seconds)."""
    from mcfn.sim.engine import Simulator

    streams = Simulator(seed=seed)  # same named streams as simulate_station, so the same numbers
    interarrival = streams.stream("arrivals").exponential(1.0 / ARRIVAL_RATE, size=jobs).tolist()
    service = streams.stream("service").exponential(1.0 / SERVICE_RATE, size=jobs).tolist()
    sojourn = [0.0] * jobs
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)

    def job(index: int):
        arrived = env.now
        with servers.request() as request:
            yield request
            yield env.timeout(service[index])
        sojourn[index] = env.now - arrived

    def source():
        for index in range(jobs):
            yield env.timeout(interarrival[index])
            env.process(job(index))

    started = time.perf_counter()
    env.process(source())
    env.run()
    elapsed = time.perf_counter() - started
    return float(np.mean(sojourn)), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200_000, help="jobs per run (default 200,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    started = time.perf_counter()
    ours = simulate_station(
        arrival_rate=ARRIVAL_RATE, service_rate=SERVICE_RATE, servers=SERVERS, jobs=args.jobs, seed=args.seed
    )
    ours_s = time.perf_counter() - started
    twin_mean, twin_s = simpy_station(args.jobs, args.seed)
    theory = mmc_mean_sojourn_s(ARRIVAL_RATE, SERVICE_RATE, SERVERS)
    row = {
        "jobs": args.jobs,
        "mcfn_s": ours_s,
        "simpy_s": twin_s,
        "mcfn_jobs_per_s": args.jobs / ours_s,
        "simpy_jobs_per_s": args.jobs / twin_s,
        "mcfn_events_per_s": ours.events / ours_s,
        "speedup": twin_s / ours_s,
        "mcfn_mean_sojourn_s": ours.mean_sojourn_s,
        "simpy_mean_sojourn_s": twin_mean,
        "erlang_c_mean_sojourn_s": theory,
    }
    if args.json:
        print(json.dumps(row, indent=2))
        return
    print(f"M/M/{SERVERS} station, lambda={ARRIVAL_RATE}, mu={SERVICE_RATE}, {args.jobs:,} jobs, one core")
    print(f"{'engine':<8} {'wall (s)':>9} {'jobs/s':>11} {'mean sojourn (s)':>17}")
    print(f"{'mcfn':<8} {ours_s:>9.3f} {row['mcfn_jobs_per_s']:>11,.0f} {ours.mean_sojourn_s:>17.4f}")
    print(f"{'simpy':<8} {twin_s:>9.3f} {row['simpy_jobs_per_s']:>11,.0f} {twin_mean:>17.4f}")
    print(f"{'theory':<8} {'':>9} {'':>11} {theory:>17.4f}   (Erlang C)")
    print(f"speed-up mcfn / simpy: {row['speedup']:.1f}x   ({row['mcfn_events_per_s']:,.0f} kernel events/s)")


if __name__ == "__main__":
    main()
