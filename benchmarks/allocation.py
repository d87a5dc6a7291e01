"""The allocation methods side by side on the same instances: the fast interior-point method, the conic exact
method (cvxpy + Clarabel, the reference) and the seed's SCA.

Three parts, all in this one process so the ratios compare like with like (medians of interleaved repeats):

1. **Speed**, N in {20, 100, 500}: the spec's default scenario replicated (10 MHz and 100 Gcycle/s per 20 tasks, so
   no task is rejected); time of a whole ``allocate`` call, admission included, each method timed in blocks of
   back-to-back calls that alternate with the other's (a call right after a conic solve finds the caches cold and
   pays ~0.15 ms more at N = 20: the simulator calls the solver back to back). Also the fast method's Newton
   steps and its time against the physical limit stated here: one evaluation of its KKT residual (every task's
   latency, accuracy and constraint values, and the Lagrangian's gradient) — any method that checks optimality
   pays that at least once.
2. **A station's decision**: 1 to 10 uploads through the lean entry the simulator's joint-allocation uplink uses
   (``solve_formulation``: no admission, the caller turns a new task away), and the simulator's own mean time per
   solved decision (posing the batch and applying the answer included) on 10 s of the default scenario.
3. **Equal optimum**: random instances of every scheme with binding deadlines, binding accuracy floors, scarce
   and plentiful resources and infeasible sets (statuses, admissions and utilities against the conic method).

Usage: ``python benchmarks/allocation.py [--seeds K] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from mcfn.allocation import (
    Instance,
    InstanceSpec,
    Method,
    Scheme,
    allocate,
    generate_instance,
    random_station,
    solve_formulation,
)
from mcfn.allocation.barrier import Barrier
from mcfn.allocation.evaluation import utility_scale
from mcfn.allocation.fast import _phase_one
from mcfn.allocation.schemes import formulate
from mcfn.scenario import default_scenario
from mcfn.sim.run import simulate

SIZES = (20, 100, 500)
#: Goals of issue 14: fast against exact at N = 20 and N = 500, and a station's decision.
GOALS = {20: 100.0, 500: 30.0}
DECISION_GOAL_S = 200e-6


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def speed(n_tasks: int, seeds: int, with_sca: bool) -> dict[str, float]:
    scale = n_tasks / 20
    spec = InstanceSpec(terminals=n_tasks // 2, bandwidth_mhz=10.0 * scale, capacity_gcycles=100.0 * scale)
    fast_s, exact_s, sca_s, steps, residual_s, gaps = [], [], [], [], [], []
    for seed in range(seeds):
        instance = generate_instance(spec, np.random.default_rng(seed))
        for _ in range(2):  # the methods alternate in blocks, each block's calls back to back (each method warm)
            fast_times = [timed(allocate, instance, method=Method.FAST) for _ in range(5)]
            exact_times = [timed(allocate, instance, method=Method.EXACT) for _ in range(3)]
            fast_s += [t for t, _ in fast_times]
            exact_s += [t for t, _ in exact_times]
        fast, exact = fast_times[-1][1], exact_times[-1][1]
        if with_sca:
            sca_s.append(timed(allocate, instance, method=Method.SCA)[0])
        assert fast.status == exact.status == "optimal", (fast.reason, exact.reason)
        steps.append(fast.iterations)
        gaps.append(abs(fast.utility - exact.utility) / abs(exact.utility))
        residual_s.append(kkt_residual_s(instance))
    row = {
        "n_tasks": n_tasks,
        "fast_s": statistics.median(fast_s),
        "exact_s": statistics.median(exact_s),
        "newton_steps": statistics.median(steps),
        "kkt_residual_s": statistics.median(residual_s),
        "max_rel_gap": max(gaps),
    }
    row["speedup"] = row["exact_s"] / row["fast_s"]
    row["over_residual"] = row["fast_s"] / row["kkt_residual_s"]
    if with_sca:
        row["sca_s"] = statistics.median(sca_s)
    return row


def kkt_residual_s(instance: Instance, repeats: int = 200) -> float:
    """Time of one evaluation of the fast method's KKT residual at its optimum (the physical limit above)."""
    barrier = Barrier()
    barrier.pose(formulate(Scheme.PROPOSED, instance.scaled()))
    _phase_one(barrier)
    s = instance.scaled()
    barrier.optimise(1e-9, 1e-10 * s.n, float(np.sum(s.weight * s.p)))
    started = time.perf_counter()
    for _ in range(repeats):
        barrier.residual(1e6, 0.0)
    return (time.perf_counter() - started) / repeats


def decisions(seeds: int) -> dict[str, float]:
    """A station's decision: 1 to 10 uploads of the spec's task types, and the simulator's mean per solved decision."""
    times: dict[int, list[float]] = {}
    for n in range(1, 11):
        for seed in range(seeds * 10):
            spec = InstanceSpec(terminals=n, tasks_per_terminal=1, bandwidth_mhz=20.0, capacity_gcycles=80.0)
            form = formulate(Scheme.PROPOSED, generate_instance(spec, np.random.default_rng(seed)).scaled())
            t, raw = timed(solve_formulation, form)
            if raw is not None:
                times.setdefault(n, []).append(t)
    every = [t for ts in times.values() for t in ts]
    scenario = default_scenario().model_copy(update={"duration_s": 10.0})
    joint = simulate(scenario, "compute-aware").summary["uplink_allocation"]
    return {
        "median_s": statistics.median(every),
        "p90_s": float(np.percentile(every, 90)),
        "median_at_10_s": statistics.median(times[10]),
        "simulator_mean_s": joint["mean_solve_s"],
        "simulator_solves": joint["solves"],
    }


def agreement(count: int) -> dict[str, float]:
    """Fast against exact on ``count`` random instances per scheme, with and without admission."""
    rng = np.random.default_rng(2026)
    worst, mismatches, fallbacks, total, rejecting, infeasible = 0.0, 0, 0, 0, 0, 0
    for _ in range(count):
        instance = random_station(rng)
        for scheme in Scheme:
            for admission in (True, False):
                fast = allocate(instance, scheme=scheme, admission=admission)
                exact = allocate(instance, scheme=scheme, method=Method.EXACT, admission=admission)
                total += 1
                same = fast.status == exact.status and [t.admitted for t in fast.tasks] == [
                    t.admitted for t in exact.tasks
                ]
                mismatches += not same
                fallbacks += "fallback" in (fast.solver or "")
                rejecting += exact.rejected > 0 and admission
                infeasible += exact.status == "infeasible"
                if same and exact.status == "optimal":
                    worst = max(worst, abs(fast.utility - exact.utility) / utility_scale(instance, exact.utility))
    return {
        "solves": total,
        "status_or_admission_mismatches": mismatches,
        "max_rel_gap": worst,
        "with_rejections": rejecting,
        "infeasible": infeasible,
        "conic_fallbacks": fallbacks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="instances per size (default 3)")
    parser.add_argument("--random", type=int, default=50, help="random instances for the optimum check (default 50)")
    parser.add_argument("--no-sca", action="store_true", help="leave the seed's SCA out (it takes seconds at N = 500)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()
    rows = [speed(n, args.seeds, not args.no_sca) for n in SIZES]
    station = decisions(args.seeds)
    agree = agreement(args.random)
    if args.json:
        print(json.dumps({"speed": rows, "decision": station, "agreement": agree}, indent=2))
        return
    print("1. speed: one allocate() call, admission included; medians of alternating blocks of repeats")
    print(
        f"{'N':>5} {'fast':>9} {'exact':>9} {'exact/fast':>11} {'goal':>6} {'steps':>6} {'KKT eval':>9} {'fast/KKT':>9}"
        f" {'sca':>8} {'max rel gap':>12}"
    )
    for r in rows:
        goal = f">={GOALS[r['n_tasks']]:.0f}x" if r["n_tasks"] in GOALS else ""
        sca = f"{r['sca_s'] * 1e3:>6.1f}ms" if "sca_s" in r else f"{'-':>8}"
        print(
            f"{r['n_tasks']:>5} {r['fast_s'] * 1e3:>7.3f}ms {r['exact_s'] * 1e3:>7.1f}ms {r['speedup']:>10.0f}x"
            f" {goal:>6} {r['newton_steps']:>6.0f} {r['kkt_residual_s'] * 1e6:>7.1f}us {r['over_residual']:>8.0f}x"
            f" {sca} {r['max_rel_gap']:>12.1e}"
        )
    print(
        f"2. a station's decision, 1-10 uploads: median {station['median_s'] * 1e6:.0f} us, p90 "
        f"{station['p90_s'] * 1e6:.0f} us, median at 10 uploads {station['median_at_10_s'] * 1e6:.0f} us "
        f"(goal <= {DECISION_GOAL_S * 1e6:.0f} us); in the simulator (default scenario, 10 s): "
        f"{station['simulator_solves']} solved decisions, mean {station['simulator_mean_s'] * 1e6:.0f} us each"
    )
    print(
        f"3. equal optimum: {agree['solves']} solves (every scheme, with and without admission; "
        f"{agree['with_rejections']} with rejections, {agree['infeasible']} infeasible): "
        f"{agree['status_or_admission_mismatches']} status/admission mismatches, max rel utility gap "
        f"{agree['max_rel_gap']:.1e} (goal <= 1e-6), {agree['conic_fallbacks']} conic fallbacks"
    )


if __name__ == "__main__":
    main()
