"""Simulator speed, measured in one run.

1. Event kernel: mcfn's heap kernel against a SimPy twin and Ciw's M/M/c (Palmer et al., "Ciw: An open-source
   discrete event simulation library", J. Simulation 2019) of the same station. All simulate the same Poisson
   arrivals and exponential services (the same pre-drawn numbers; Ciw's ``Sequential`` distributions replay
   them), FIFO, ``c`` servers; all must give the same mean sojourn time. Ciw is in the ``benchmark`` extra; without
   it its row is left out. Reported: jobs and events per wall-clock second, the ratio, and Erlang C. A third
   row is the ceiling of any callback kernel on this interpreter: the same station hand-inlined into one
   ``heapq`` loop (no callbacks, no kernel, no statistics), measured in the same run.
2. Network simulation: the default scenario of ``mcfn run`` for ``--net-duration-s`` simulated seconds,
   ``--repeat`` times under ``compute-aware`` routing and under ``utility-aware`` orchestration (the chooser decides
   every task's variant, exit, compression and placement), each under both uplinks — ``joint-allocation`` (the
   default's: the seed's §3.2 solver at every upload) and ``equal-bandwidth`` (a sharing rule) — interleaved:
   simulated tasks per wall-clock second of the fastest run (and the median), and kernel events per task.
3. With ``--large``: 10,000 terminals in 61 cells until at least a million tasks have arrived, with the peak
   resident memory of the process.
4. With ``--scale``: the default model grown from 300 terminals in 7 cells to 100,000 in 1,027 at equal load per
   cell (each terminal's task rates scaled by the default's terminals per cell over the row's), under the
   ``equal-bandwidth`` uplink (the simulator core; the default's ``joint-allocation`` solves the seed's §3.2
   problem at every upload, and its default-size row is printed for reference), each row in a fresh process (its
   own peak RSS) until about ``--scale-tasks`` tasks have arrived; then the goals of issue 18: every row's tasks
   per wall second within 1.5x of the default-size row's, >= 50,000 tasks/s at 100,000 terminals, and the default
   model >= 100,000 tasks/s. ``--scale-memory`` adds two rows of 10 million tasks, 300 and 100,000 terminals (each
   one's peak RSS, the whole run's, against 2 GiB).

mcfn's hot modules run compiled when the install built them (``setup.py``); the first line says how many do.
``MCFN_PURE_PYTHON=1 python benchmarks/sim.py`` measures the same modules as plain Python.

With ``--profile`` the default model runs a second time under cProfile and the functions that take the most time
of their own are printed (profiling slows it down: the speeds above come from the unprofiled runs).

Usage: ``python benchmarks/sim.py [--jobs N] [--net-duration-s S] [--large] [--scale [--scale-memory]]
[--profile [N]] [--json]``.
"""

from __future__ import annotations

import argparse
import cProfile
import heapq
import json
import multiprocessing
import os
import pstats
import resource
import statistics
import time
from collections import deque

import numpy as np
import simpy

from mcfn import _accelerated
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


def ciw_station(jobs: int, seed: int) -> tuple[float, float] | None:
    """Ciw's M/M/c on the same draws (``None`` without Ciw); returns (mean sojourn, seconds)."""
    try:
        import ciw
    except ImportError:
        return None
    from mcfn.sim.engine import Simulator

    streams = Simulator(seed=seed)
    interarrival = streams.stream("arrivals").exponential(1.0 / ARRIVAL_RATE, size=jobs).tolist()
    service = streams.stream("service").exponential(1.0 / SERVICE_RATE, size=jobs).tolist()
    # after the last job, an arrival far beyond the end: the first ``jobs`` customers are the ones that finish
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Sequential([*interarrival, 1e12])],
        service_distributions=[ciw.dists.Sequential(service)],
        number_of_servers=[SERVERS],
    )
    started = time.perf_counter()
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(jobs, method="Finish")
    elapsed = time.perf_counter() - started
    records = simulation.get_all_records()
    return float(np.mean([r.exit_date - r.arrival_date for r in records])), elapsed


def inline_station(jobs: int, seed: int) -> tuple[float, float]:
    """The same station as one hand-written ``heapq`` loop; returns (mean sojourn, seconds)."""
    from mcfn.sim.engine import Simulator

    streams = Simulator(seed=seed)
    interarrival = streams.stream("arrivals").exponential(1.0 / ARRIVAL_RATE, size=jobs).tolist()
    service = streams.stream("service").exponential(1.0 / SERVICE_RATE, size=jobs).tolist()
    arrived_s = [0.0] * jobs
    sojourn = [0.0] * jobs
    waiting: deque[int] = deque()
    push, pop = heapq.heappush, heapq.heappop
    started = time.perf_counter()
    heap: list[tuple[float, int, bool, int]] = [(interarrival[0], 0, True, 0)]  # (time, sequence, arrival?, job)
    sequence, idle = 1, SERVERS
    while heap:
        now, _, arrival, job = pop(heap)
        if arrival:
            arrived_s[job] = now
            if idle:
                idle -= 1
                push(heap, (now + service[job], sequence, False, job))
                sequence += 1
            else:
                waiting.append(job)
            if job + 1 < jobs:
                push(heap, (now + interarrival[job + 1], sequence, True, job + 1))
                sequence += 1
        else:
            sojourn[job] = now - arrived_s[job]
            if waiting:
                queued = waiting.popleft()
                push(heap, (now + service[queued], sequence, False, queued))
                sequence += 1
            else:
                idle += 1
    elapsed = time.perf_counter() - started
    return float(np.mean(sojourn)), elapsed


def network_scenario(duration_s: float, *, large: bool, uplink_policy: str | None = None):
    """The default scenario (or the large one) for ``duration_s`` simulated seconds, with ``uplink_policy`` if given."""
    from mcfn.scenario import default_scenario

    scenario = default_scenario()
    if uplink_policy is not None:
        scenario = scenario.model_copy(
            update={"radio": scenario.radio.model_copy(update={"uplink_policy": uplink_policy})}
        )
    if large:
        services = tuple(s.model_copy(update={"rate_per_terminal_per_s": 0.1}) for s in scenario.services)
        terminals = scenario.terminals.model_copy(update={"count": 10_000})
        network = scenario.network.model_copy(update={"rings": 4})
        scenario = scenario.model_copy(update={"services": services, "terminals": terminals, "network": network})
    return scenario.model_copy(update={"duration_s": duration_s})


#: The default model's policies measured: today's routing, and the orchestrator deciding every task.
NETWORK_POLICIES = ("compute-aware", "utility-aware")
#: The uplinks measured: the default's (the seed's §3.2 allocation at every upload) and a sharing rule.
UPLINKS = ("joint-allocation", "equal-bandwidth")


def network_run(
    duration_s: float, *, large: bool, policy: str = "compute-aware", uplink_policy: str | None = None
) -> dict[str, float]:
    """One run of the default scenario (or the large one) under ``policy``; speed and cost per task."""
    from mcfn.sim.run import simulate

    scenario = network_scenario(duration_s, large=large, uplink_policy=uplink_policy)
    started = time.process_time()
    result = simulate(scenario, policy)
    cpu_s = time.process_time() - started
    summary = result.summary
    return {
        "policy": policy,
        "uplink_policy": scenario.radio.uplink_policy,
        "terminals": scenario.terminals.count,
        "simulated_s": duration_s,
        "tasks": summary["tasks"]["arrived"],
        "completed": summary["tasks"]["completed"],
        "wall_s": summary["wall_s"],
        "tasks_per_s": summary["tasks_per_wall_s"],
        "tasks_per_cpu_s": summary["tasks"]["arrived"] / cpu_s,
        "events_per_task": summary["events_per_task"],
        "events_per_s": summary["events"] / summary["wall_s"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


#: ``(terminals, rings)`` of the scaling rows: 7, 37, 217, 469 and 1,027 cells.
SCALE_ROWS = ((300, 1), (1_600, 3), (9_300, 8), (20_000, 12), (100_000, 18))
#: The default model's terminals per cell (300 in 7 cells): each scaling row scales its task rates to this load.
DEFAULT_TERMINALS_PER_CELL = 300 / 7


def cells(rings: int) -> int:
    """Cells of a hexagonal layout of ``rings`` rings around one."""
    return 3 * rings * (rings + 1) + 1


def scale_scenario(terminals: int, rings: int, tasks: float, uplink_policy: str):
    """The default scenario with ``terminals`` in ``rings`` rings at the default's load per cell, simulated until
    about ``tasks`` tasks have arrived."""
    from mcfn.scenario import default_scenario

    scenario = default_scenario()
    factor = DEFAULT_TERMINALS_PER_CELL / (terminals / cells(rings))
    services = tuple(
        s.model_copy(update={"rate_per_terminal_per_s": s.rate_per_terminal_per_s * factor}) for s in scenario.services
    )
    per_s = sum(s.rate_per_terminal_per_s for s in services) * terminals
    return scenario.model_copy(
        update={
            "services": services,
            "terminals": scenario.terminals.model_copy(update={"count": terminals}),
            "network": scenario.network.model_copy(update={"rings": rings}),
            "radio": scenario.radio.model_copy(update={"uplink_policy": uplink_policy}),
            "duration_s": max(tasks / per_s, 5.0),
        }
    )


def scale_run(terminals: int, rings: int, tasks: float, uplink_policy: str) -> dict[str, float]:
    """One scaling row (run in a fresh process: the peak RSS is the row's own)."""
    from mcfn.sim.run import simulate

    scenario = scale_scenario(terminals, rings, tasks, uplink_policy)
    started = time.process_time()
    summary = simulate(scenario, "compute-aware").summary
    cpu_s = time.process_time() - started  # the whole run (world built, simulated, summarised): on a shared machine
    return {
        "terminals": terminals,
        "cells": cells(rings),
        "uplink_policy": uplink_policy,
        "simulated_s": scenario.duration_s,
        "tasks": summary["tasks"]["arrived"],
        "wall_s": summary["wall_s"],
        "tasks_per_s": summary["tasks_per_wall_s"],
        "tasks_per_cpu_s": summary["tasks"]["arrived"] / cpu_s,
        "events_per_task": summary["events_per_task"],
        "p99_latency_s": summary["latency_s"]["p99"],
        "outside_coverage": summary["outside_coverage_share"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def scale_table(tasks: float, *, memory: bool) -> list[dict[str, float]]:
    """Every scaling row, each in a fresh spawned process, one at a time; the joint-allocation default row too."""
    arms = [(t, r, tasks, "equal-bandwidth") for t, r in SCALE_ROWS] + [(300, 1, tasks / 4, "joint-allocation")]
    if memory:  # the memory goal, at the default's size and at 100,000 terminals
        arms += [(300, 1, 1.0e7, "equal-bandwidth"), (100_000, 18, 1.0e7, "equal-bandwidth")]
    context = multiprocessing.get_context("spawn")
    rows = []
    for arm in arms:
        with context.Pool(1) as pool:
            rows.append(pool.apply(scale_run, arm))
    return rows


def print_scale(rows: list[dict[str, float]]) -> None:
    """The scaling table and the goals of issue 18, with the machine's load."""
    base, base_cpu = rows[0]["tasks_per_s"], rows[0]["tasks_per_cpu_s"]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nscaling, compute-aware, one core per run (load average {load} on {os.cpu_count()} cores):")
    print(
        f"{'terminals':>9} {'cells':>6} {'uplink':>16} {'tasks':>10} {'tasks/s':>9} {'vs 300':>7} "
        f"{'tasks/cpu-s':>11} {'vs 300':>7} {'events/task':>11} {'p99 (s)':>8} {'outside':>8} {'peak RSS':>9}"
    )
    for row in rows:
        print(
            f"{row['terminals']:>9,} {row['cells']:>6,} {row['uplink_policy']:>16} {row['tasks']:>10,} "
            f"{row['tasks_per_s']:>9,.0f} {row['tasks_per_s'] / base:>6.2f}x {row['tasks_per_cpu_s']:>11,.0f} "
            f"{row['tasks_per_cpu_s'] / base_cpu:>6.2f}x {row['events_per_task']:>11.1f} "
            f"{row['p99_latency_s']:>8.3f} {row['outside_coverage']:>7.2%} {row['peak_rss_mib']:>5,.0f} MiB"
        )
    equal = [r for r in rows if r["uplink_policy"] == "equal-bandwidth" and r["tasks"] < 5e6]
    largest = max(equal, key=lambda r: r["terminals"])
    print("goals (per wall second; per CPU second of the simulating process, the fair measure on a shared machine):")
    for key, unit in (("tasks_per_s", "tasks/s"), ("tasks_per_cpu_s", "tasks/cpu-s")):
        worst = min(r[key] for r in equal) / rows[0][key]
        print(f"goal: every row within 1.5x of the 300-terminal row ({unit}): worst {1 / worst:.2f}x slower "
              f"({'met' if worst >= 1 / 1.5 else 'not met'})")  # fmt: skip
        print(
            f"goal: >= 50,000 {unit} at {largest['terminals']:,} terminals in {largest['cells']:,} cells: "
            f"{largest[key]:,.0f} ({'met' if largest[key] >= 50_000 else 'not met'})"
        )
        print(f"goal: default model >= 100,000 {unit} on one core: {rows[0][key]:,.0f} "
              f"({'met' if rows[0][key] >= 1e5 else 'not met'})")  # fmt: skip
    for row in rows:
        if row["tasks"] >= 5e6:
            within = row["peak_rss_mib"] <= 2048
            print(
                f"goal: 10 million tasks in <= 2 GiB at {row['terminals']:,} terminals: {row['tasks']:,} tasks, peak "
                f"RSS {row['peak_rss_mib']:,.0f} MiB of 2,048 ({'met' if within else 'not met'})"
            )


def print_profile(duration_s: float, top: int) -> None:
    """Run the default model under cProfile; print the ``top`` functions by their own time."""
    from mcfn.sim.run import simulate

    scenario = network_scenario(duration_s, large=False)
    profiler = cProfile.Profile()
    profiler.runcall(simulate, scenario, "utility-aware")
    print(f"\nprofile of the default model under utility-aware ({duration_s:g} s simulated), top {top} by own time:")
    pstats.Stats(profiler).strip_dirs().sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200_000, help="jobs per run (default 200,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="passes of each engine; the best is reported")
    parser.add_argument("--net-duration-s", type=float, default=60.0, help="simulated seconds of the default model")
    parser.add_argument(
        "--uplink-policy",
        action="append",
        default=None,
        help="uplink policy of the default model (repeatable; default: joint-allocation and equal-bandwidth)",
    )
    parser.add_argument("--large", action="store_true", help="also run 10,000 terminals to >= 1 million tasks")
    parser.add_argument("--scale", action="store_true", help="also print the scaling table (300 to 100,000 terminals)")
    parser.add_argument("--scale-tasks", type=float, default=400_000, help="tasks per scaling row (default 400,000)")
    parser.add_argument("--scale-memory", action="store_true", help="with --scale: 10 million tasks, two rows")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--profile", type=int, nargs="?", const=25, default=0, metavar="N", help="print the default model's top N"
    )
    args = parser.parse_args()
    ours_s = twin_s = inline_s = ciw_s = float("inf")
    ciw_mean = None
    for _ in range(args.repeat):  # interleaved, best of each: the machine is shared, noise only adds time
        started = time.perf_counter()
        ours = simulate_station(
            arrival_rate=ARRIVAL_RATE, service_rate=SERVICE_RATE, servers=SERVERS, jobs=args.jobs, seed=args.seed
        )
        ours_s = min(ours_s, time.perf_counter() - started)
        twin_mean, seconds = simpy_station(args.jobs, args.seed)
        twin_s = min(twin_s, seconds)
        inline_mean, seconds = inline_station(args.jobs, args.seed)
        inline_s = min(inline_s, seconds)
        measured = ciw_station(args.jobs, args.seed)
        if measured is not None:
            ciw_mean, ciw_s = measured[0], min(ciw_s, measured[1])
    theory = mmc_mean_sojourn_s(ARRIVAL_RATE, SERVICE_RATE, SERVERS)
    row = {
        "jobs": args.jobs,
        "mcfn_s": ours_s,
        "simpy_s": twin_s,
        "mcfn_jobs_per_s": args.jobs / ours_s,
        "simpy_jobs_per_s": args.jobs / twin_s,
        "mcfn_events_per_s": ours.events / ours_s,
        "speedup": twin_s / ours_s,
        "inline_s": inline_s,
        "inline_speedup": twin_s / inline_s,
        "mcfn_mean_sojourn_s": ours.mean_sojourn_s,
        "simpy_mean_sojourn_s": twin_mean,
        "inline_mean_sojourn_s": inline_mean,
        "ciw_s": ciw_s if ciw_mean is not None else None,
        "ciw_mean_sojourn_s": ciw_mean,
        "speedup_over_ciw": ciw_s / ours_s if ciw_mean is not None else None,
        "erlang_c_mean_sojourn_s": theory,
    }
    uplinks = args.uplink_policy or list(UPLINKS)
    arms = [(policy, uplink) for uplink in uplinks for policy in NETWORK_POLICIES]
    runs = [
        network_run(args.net_duration_s, large=False, policy=policy, uplink_policy=uplink)
        for _ in range(args.repeat)
        for policy, uplink in arms  # interleaved: load on a shared machine hits every arm alike
    ]
    network = {
        f"{policy}, {uplink} uplink": min(mine, key=lambda run: run["wall_s"])
        | {"runs": len(mine), "median_tasks_per_s": statistics.median(run["tasks_per_s"] for run in mine)}
        for policy, uplink in arms
        for mine in [[run for run in runs if (run["policy"], run["uplink_policy"]) == (policy, uplink)]]
    }
    large = network_run(340.0, large=True) if args.large else None
    scale = scale_table(args.scale_tasks, memory=args.scale_memory) if args.scale else None
    compiled = _accelerated.compiled_modules()
    if args.json:
        document = {"compiled": compiled, "kernel": row, "network": network, "large": large, "scale": scale}
        print(json.dumps(document, indent=2))
        return
    switch = "set" if _accelerated.pure_python_requested() else "not set"
    print(f"compiled modules: {sum(compiled.values())} of {len(compiled)} (MCFN_PURE_PYTHON {switch})")
    print(f"M/M/{SERVERS} station, lambda={ARRIVAL_RATE}, mu={SERVICE_RATE}, {args.jobs:,} jobs, one core")
    print(f"{'engine':<8} {'wall (s)':>9} {'jobs/s':>11} {'mean sojourn (s)':>17}")
    print(f"{'mcfn':<8} {ours_s:>9.3f} {row['mcfn_jobs_per_s']:>11,.0f} {ours.mean_sojourn_s:>17.4f}")
    print(f"{'simpy':<8} {twin_s:>9.3f} {row['simpy_jobs_per_s']:>11,.0f} {twin_mean:>17.4f}")
    if ciw_mean is not None:
        print(f"{'ciw':<8} {ciw_s:>9.3f} {args.jobs / ciw_s:>11,.0f} {ciw_mean:>17.4f}")
    print(f"{'inline':<8} {inline_s:>9.3f} {args.jobs / inline_s:>11,.0f} {inline_mean:>17.4f}   (no kernel)")
    print(f"{'theory':<8} {'':>9} {'':>11} {theory:>17.4f}   (Erlang C)")
    print(f"speed-up mcfn / simpy: {row['speedup']:.1f}x   ({row['mcfn_events_per_s']:,.0f} kernel events/s)")
    if ciw_mean is not None:
        print(f"speed-up mcfn / ciw: {row['speedup_over_ciw']:.1f}x")
    print(f"ceiling, inline heapq loop / simpy: {row['inline_speedup']:.1f}x")
    named = [(f"default model, {policy}", run) for policy, run in network.items()] + [("large run", large)]
    for name, run in named:
        if run is None:
            continue
        print(
            f"\nnetwork simulation, {name}: {run['terminals']:,} terminals, {run['simulated_s']:g} s simulated, "
            f"{run['tasks']:,} tasks ({run['completed']:,} completed) in {run['wall_s']:.1f} s wall"
        )
        print(
            f"  {run['tasks_per_s']:,.0f} simulated tasks per wall-clock second ({run['tasks_per_cpu_s']:,.0f} per CPU "
            f"second of the run), {run['events_per_task']:.1f} kernel events per task "
            f"({run['events_per_s']:,.0f} events/s), peak RSS {run['peak_rss_mib']:,.0f} MiB"
        )
        if "runs" in run:
            print(f"  best of {run['runs']} runs; median {run['median_tasks_per_s']:,.0f} tasks per wall-clock second")
    if scale is not None:
        print_scale(scale)
    if args.profile:
        print_profile(args.net_duration_s, args.profile)


if __name__ == "__main__":
    main()
