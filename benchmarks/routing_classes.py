"""Routing policies across network classes: deadline satisfaction and mean utility, mean over seeds with a 95 % CI.

Each class is the default scenario of ``mcfn run`` (7 cells, 300 terminals, 3 services) with one change:

- ``default``: as it is (an A100's MIG slices behind a 12.5 ms WAN, 30 ms round trip from a base station);
- ``no cloud``: edge servers only;
- ``fast WAN``: the WAN's delay 5 ms;
- ``slow WAN``: the WAN's delay 80 ms;
- ``slow cloud``: a cloud no faster than an edge server (the edges' CPU, 16 VMs);
- ``heterogeneous``: edge servers of three classes cycled over the cells (a GPU, the default CPU, a half-speed CPU
  with 2 VMs);
- ``hot spot``: half of the terminals stay in the centre cell (``bs0``).

Every policy of a class runs on the same seeds (so the same arrivals, mobility and adverts). A task that misses its
deadline scores as a failed one, ``-(1 - w)`` (the project's rule for late tasks), whatever the summary of the mcfn
in use says; the table's utility is recomputed so from the per-task columns. Each cell is the mean over the seeds
``± t_{0.975, n-1} · s / √n`` (Student t, ``n`` seeds). ``--policy`` takes any policy of ``mcfn run`` (the
orchestrating ones too, and ``cloud-only``); the default is compute-aware and the four heuristics.

Usage: ``python benchmarks/routing_classes.py [--seeds N] [--duration-s S] [--policy NAME ...] [--jobs N]``.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from scipy import stats

from mcfn.network.topology.io import yaml_load
from mcfn.orchestration import ORCHESTRATED
from mcfn.routing import POLICIES as ROUTING_POLICIES
from mcfn.scenario import Scenario, parse_scenario
from mcfn.scenario.default import DEFAULT_SCENARIO_YAML
from mcfn.sim.run import simulate

POLICIES = ("compute-aware", "nearest-edge", "least-loaded", "round-robin", "random")
#: Every policy ``--policy`` accepts.
CHOICES = (*ORCHESTRATED, *ROUTING_POLICIES)
#: The edge server classes of ``heterogeneous``, cycled over the cells (cell 0 gets the first).
HETEROGENEOUS_EDGES = (
    {"kind": "gpu", "peak_flops_per_s": 2.0e12, "memory_bytes": 1.6e10, "vm_slots": 4, "degradation": 0.1},
    {"kind": "cpu", "peak_flops_per_s": 4.0e11, "memory_bytes": 3.2e10, "vm_slots": 4, "degradation": 0.1},
    {"kind": "cpu", "peak_flops_per_s": 2.0e11, "memory_bytes": 3.2e10, "vm_slots": 2, "degradation": 0.1},
)


def network_classes(document: dict[str, Any]) -> dict[str, Scenario]:
    """The classes of the module docstring, each the scenario ``document`` (decoded YAML) with one change."""

    def changed(**parts: dict[str, Any]) -> Scenario:
        updated = dict(document)
        for name, value in parts.items():
            updated[name] = {**updated.get(name, {}), **value}
        return parse_scenario(updated)

    edge = document["compute"]["edge"]
    return {
        "default": parse_scenario(document),
        "no cloud": changed(compute={"cloud": None}),
        "fast WAN": changed(network={"wan_delay_s": 0.005}),
        "slow WAN": changed(network={"wan_delay_s": 0.08}),
        "slow cloud": changed(compute={"cloud": {**edge, "memory_bytes": 1e12, "vm_slots": 16}}),
        "heterogeneous": parse_scenario(
            {**document, "compute": {"edges": list(HETEROGENEOUS_EDGES), "cloud": document["compute"]["cloud"]}}
        ),
        "hot spot": changed(terminals={"hotspot": {"station": "bs0", "share": 0.5}}),
    }


def scores(scenario: Scenario, policy: str) -> tuple[float, float]:
    """Deadline satisfaction and mean utility (late tasks scored as failed ones) of one run."""
    columns = simulate(scenario, policy).columns
    met = columns["met_deadline"]
    late_as_failed = np.where(met, columns["utility"], -(1.0 - scenario.utility_weight))
    return float(met.mean()), float(late_as_failed.mean())


def mean_ci(values: list[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95 % Student-t confidence interval (0 for one value)."""
    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return mean, 0.0
    return mean, float(stats.t.ppf(0.975, n - 1) * np.std(values, ddof=1) / np.sqrt(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per class and policy (default 5)")
    parser.add_argument("--duration-s", type=float, default=60.0, help="simulated seconds of arrivals (default 60)")
    parser.add_argument(
        "--policy", action="append", choices=CHOICES, help="policies to run (repeatable; default: the first five)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    args = parser.parse_args()
    policies = tuple(args.policy or POLICIES)
    document = {**yaml_load(DEFAULT_SCENARIO_YAML), "duration_s": args.duration_s, "drain_s": 10.0}
    classes = network_classes(document)
    runs = [
        (name, policy, seed, scenario.model_copy(update={"seed": seed}))
        for name, scenario in classes.items()
        for policy in policies
        for seed in range(args.seeds)
    ]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        results = list(pool.map(scores, [run[3] for run in runs], [run[1] for run in runs]))
    table: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for (name, policy, _, _), result in zip(runs, results, strict=True):
        table.setdefault((name, policy), []).append(result)
    print(
        f"{len(classes)} classes x {len(policies)} policies x {args.seeds} seeds, {args.duration_s:g} s each, "
        f"in {time.perf_counter() - started:.0f} s; mean over seeds ± 95 % CI (Student t); late tasks score as failed"
    )
    print(f"{'class':<14} {'policy':<14} {'deadline met (%)':>18} {'mean utility':>18}")
    for name in classes:
        for policy in policies:
            met, utility = zip(*table[(name, policy)], strict=True)
            met_mean, met_ci = mean_ci([100 * m for m in met])
            utility_mean, utility_ci = mean_ci(list(utility))
            print(
                f"{name:<14} {policy:<14} {met_mean:>10.2f} ± {met_ci:<5.2f} {utility_mean:>10.4f} ± {utility_ci:.4f}"
            )


if __name__ == "__main__":
    main()
