"""Speed-up of a sweep with workers: local processes, and a local multi-node Ray cluster, measured in one run.

The same grid (the default scenario, ``equal-bandwidth`` uplink, ``--duration-s`` simulated seconds, ``--runs``
seeds under ``compute-aware``) runs without a cache: in 1 local process, in ``--workers`` local processes, then on a
Ray cluster of one node and of ``--nodes`` nodes on this host (``ray.cluster_utils.Cluster``: several raylets, as
``ray start`` on several machines; one CPU each, ``RAY_AUTH_MODE=disabled``). Reported: wall seconds and the speed-up
over one worker of the same kind; near-linear means close to the number of workers while they have cores of their
own (the machine's load is printed: other work shares the cores). For local processes also the CPU seconds the
runs took and the cores they obtained (CPU seconds over wall seconds): a speed-up can only be near-linear in the
cores a sweep actually gets.

Usage: ``python benchmarks/sweep.py [--runs N] [--duration-s S] [--workers N] [--nodes N] [--no-ray]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from mcfn.experiments.executor import Job, execute
from mcfn.experiments.grid import run_point
from mcfn.network.topology.io import yaml_load
from mcfn.scenario import DEFAULT_SCENARIO_YAML


def jobs(runs: int, duration_s: float) -> list[Job]:
    """``runs`` seeds of the default scenario under ``compute-aware``."""
    document = yaml_load(DEFAULT_SCENARIO_YAML)
    document["duration_s"] = duration_s
    document["radio"]["uplink_policy"] = "equal-bandwidth"
    return [Job(run_point, ({**document, "seed": seed}, "compute-aware")) for seed in range(runs)]


def cpu_s() -> float:
    """CPU seconds of this process and of its ended children (the local workers)."""
    return sum(
        r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def timed(work: list[Job], **how: object) -> float:
    wall_s, _ = timed_cpu(work, **how)
    return wall_s


def timed_cpu(work: list[Job], **how: object) -> tuple[float, float]:
    """Wall seconds of ``work``, and the CPU seconds it took here and in local workers (not Ray's)."""
    started, cpu_started = time.perf_counter(), cpu_s()
    execute(work, **how)
    return time.perf_counter() - started, cpu_s() - cpu_started


def on_ray(work: list[Job], nodes: int) -> float:
    """Wall seconds of ``work`` on a fresh local Ray cluster of ``nodes`` one-CPU nodes."""
    from ray.cluster_utils import Cluster

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        return timed(work, ray_address=cluster.address)
    finally:
        cluster.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="independent runs in the grid (default 8)")
    parser.add_argument("--duration-s", type=float, default=60.0, help="simulated seconds per run (default 60)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local processes (default: cores)")
    parser.add_argument("--nodes", type=int, default=2, help="Ray nodes of one CPU each (default 2)")
    parser.add_argument("--no-ray", action="store_true", help="measure local processes only")
    args = parser.parse_args()
    work = jobs(args.runs, args.duration_s)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.runs} runs of {args.duration_s:g} s simulated; load average {load} on {os.cpu_count()} cores")
    one, one_cpu = timed_cpu(work, workers=1)
    many, many_cpu = timed_cpu(work, workers=args.workers)
    # cores obtained = CPU seconds / wall seconds: on a shared machine a worker may get much less than a core
    print(f"local, 1 process: {one:6.1f} s   ({one_cpu:.1f} CPU-s, {one_cpu / one:.2f} cores obtained)")
    print(
        f"local, {args.workers} processes: {many:6.1f} s   speed-up {one / many:.2f}x   "
        f"({many_cpu:.1f} CPU-s, {many_cpu / many:.2f} cores obtained)"
    )
    if not args.no_ray:
        single = on_ray(work, 1)
        several = on_ray(work, args.nodes)
        print(f"Ray, 1 node of 1 CPU: {single:6.1f} s")
        print(f"Ray, {args.nodes} nodes of 1 CPU: {several:6.1f} s   speed-up {single / several:.2f}x")


if __name__ == "__main__":
    main()
