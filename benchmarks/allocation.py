"""Solve time and objective gap of the seed's SCA against the exact global optimum, N in {20, 100, 500}.

Bandwidth and edge capacity grow with N (10 MHz and 100 Gcycle/s per 20 tasks) so every size is the spec's
default scenario replicated, and no task is rejected. Both methods run in this one process, on the same
instances, so the ratios compare like with like. Usage: ``python benchmarks/allocation.py [--seeds K] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics

import numpy as np

from mcfn.allocation import InstanceSpec, Method, allocate, generate_instance

SIZES = (20, 100, 500)


def measure(n_tasks: int, seed: int) -> dict[str, float]:
    scale = n_tasks / 20
    spec = InstanceSpec(terminals=n_tasks // 2, bandwidth_mhz=10.0 * scale, capacity_gcycles=100.0 * scale)
    instance = generate_instance(spec, np.random.default_rng(seed))
    exact = allocate(instance, method=Method.EXACT)
    sca = allocate(instance, method=Method.SCA)
    assert exact.status == sca.status == "optimal", (exact.reason, sca.reason)
    return {
        "exact_s": exact.solve_time_s,
        "sca_s": sca.solve_time_s,
        "sca_iterations": sca.iterations,
        "gap": (exact.utility - sca.utility) / abs(exact.utility),
        "utility": exact.utility,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="instances per size (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    args = parser.parse_args()
    rows = []
    for n in SIZES:
        runs = [measure(n, seed) for seed in range(args.seeds)]
        rows.append(
            {
                "n_tasks": n,
                "exact_s": statistics.median(r["exact_s"] for r in runs),
                "sca_s": statistics.median(r["sca_s"] for r in runs),
                "sca_iterations": statistics.median(r["sca_iterations"] for r in runs),
                "max_rel_gap": max(abs(r["gap"]) for r in runs),
                "utility": statistics.mean(r["utility"] for r in runs),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    header = ("N", "exact (s)", "sca (s)", "sca/exact", "SCA iters", "max rel gap", "utility")
    widths = (5, 10, 9, 10, 10, 12, 9)
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
    for r in rows:
        print(
            f"{r['n_tasks']:>5} {r['exact_s']:>10.3f} {r['sca_s']:>9.3f} {r['sca_s'] / r['exact_s']:>9.1f}x "
            f"{r['sca_iterations']:>10.0f} {r['max_rel_gap']:>12.2e} {r['utility']:>9.3f}"
        )
    print(f"medians over {args.seeds} seeds; gap = (exact - sca) / |exact|, sca never above exact")


if __name__ == "__main__":
    main()
