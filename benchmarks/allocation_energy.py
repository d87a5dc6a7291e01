"""The allocation's utility against the terminals' transmit energy as ``energy_weight`` grows (issue 19).

On the seed's default station (``mcfn allocate --generate``: 20 tasks, 10 MHz, 100 Gcycle/s, 23 dBm terminals)
over several seeds, the fast method solves ``max U0 − λ E`` for each weight ``λ`` (1/J), ``U0 = Σ w A − (1 − w)
T / T_max`` the seed's utility and ``E = Σ P T_up`` the terminals' transmit energy. Printed per weight: the mean
and 95 % confidence half-width (Student t over seeds) of ``U0``, ``E``, the mean accuracy and latency; the largest
gap to the conic reference (``exact``) at the same weight, relative to the utility's scale; and the fast method's
median solve time against its time at ``λ = 0``, measured in the same run. The PNG plots ``U0`` against ``E``
with both intervals, one point per weight: the trade-off curve the weight walks along.

Usage: ``python benchmarks/allocation_energy.py [--seeds K] [--out PATH] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from mcfn.allocation import InstanceSpec, Method, allocate, generate_instance
from mcfn.allocation.evaluation import utility_scale
from mcfn.experiments.stats import mean_ci

#: Energy weights (1/J): a default task sends for ~0.1 s at 0.1 W, so 10 /J already costs ~0.1 of a task's utility
#: and at 100 /J every task sends the least data its accuracy floor allows.
WEIGHTS = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0)
#: Seeds compared with the conic reference (it takes ~0.1 s a solve).
EXACT_SEEDS = 3
REPEATS = 20


def measure(seeds: int) -> dict[str, object]:
    rows = []
    for weight in WEIGHTS:
        samples: dict[str, list[float]] = {"seed_utility": [], "energy_mj": [], "accuracy": [], "latency_s": []}
        worst_gap = 0.0
        for seed in range(seeds):
            instance = generate_instance(InstanceSpec(), np.random.default_rng(seed)).replace(energy_weight=weight)
            result = allocate(instance)
            served = [t for t in result.tasks if t.admitted]
            samples["seed_utility"].append(result.utility + weight * result.upload_energy_j)
            samples["energy_mj"].append(result.upload_energy_j * 1e3)
            samples["accuracy"].append(float(np.mean([t.accuracy for t in served])))
            samples["latency_s"].append(float(np.mean([t.latency_s for t in served])))
            if seed < EXACT_SEEDS:
                exact = allocate(instance, method=Method.EXACT)
                gap = abs(result.utility - exact.utility) / utility_scale(instance, exact.utility)
                worst_gap = max(worst_gap, gap)
        rows.append(
            {"energy_weight": weight, **{k: mean_ci(v).as_dict() for k, v in samples.items()}, "gap": worst_gap}
        )
    return {"seeds": seeds, "rows": rows, "speed": _speed()}


def _speed() -> dict[str, float]:
    """Median fast solve time at each of two weights, interleaved, on seed 0's station."""
    instance = generate_instance(InstanceSpec(), np.random.default_rng(0))
    times: dict[float, list[float]] = {0.0: [], 10.0: []}
    for _ in range(REPEATS):
        for weight in times:
            weighed = instance.replace(energy_weight=weight)
            started = time.perf_counter()
            allocate(weighed)
            times[weight].append(time.perf_counter() - started)
    median = {w: statistics.median(t) for w, t in times.items()}
    return {"lambda_0_ms": median[0.0] * 1e3, "lambda_10_ms": median[10.0] * 1e3, "ratio": median[10.0] / median[0.0]}


def plot(report: dict[str, object], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["rows"]
    assert isinstance(rows, list)
    x = [r["energy_mj"]["mean"] for r in rows]
    y = [r["seed_utility"]["mean"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.errorbar(
        x,
        y,
        xerr=[r["energy_mj"]["ci95"] for r in rows],
        yerr=[r["seed_utility"]["ci95"] for r in rows],
        marker="o",
        capsize=3,
    )
    for r, xi, yi in zip(rows, x, y, strict=True):
        ax.annotate(f"λ = {r['energy_weight']:g}", (xi, yi), textcoords="offset points", xytext=(6, -10), fontsize=8)
    ax.set_xlabel("terminals' transmit energy per station (mJ)")
    ax.set_ylabel("seed utility  Σ wA − (1 − w) T / T_max")
    ax.set_title(f"Default station, fast method; mean ± 95 % CI over {report['seeds']} seeds", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", default="allocation-energy.png", help="PNG of utility against energy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = measure(args.seeds)
    plot(report, args.out)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"default station (20 tasks), fast method, {args.seeds} seeds; mean ± 95% CI (Student t)")
    print(
        f"{'λ (1/J)':>8} {'seed utility':>18} {'energy (mJ)':>16} {'accuracy':>16} {'latency (s)':>16} {'vs exact':>9}"
    )
    for r in report["rows"]:  # type: ignore[attr-defined]
        cells = [f"{r[k]['mean']:.4f} ± {r[k]['ci95']:.4f}" for k in ("seed_utility", "energy_mj", "accuracy")]
        cells.append(f"{r['latency_s']['mean']:.4f} ± {r['latency_s']['ci95']:.4f}")
        print(f"{r['energy_weight']:>8g} {cells[0]:>18} {cells[1]:>16} {cells[2]:>16} {cells[3]:>16} {r['gap']:>9.1e}")
    speed = report["speed"]
    print(
        f"fast solve, median of {REPEATS}: λ = 0 {speed['lambda_0_ms']:.3f} ms, λ = 10 {speed['lambda_10_ms']:.3f} ms "  # type: ignore[index]
        f"(ratio {speed['ratio']:.2f})"  # type: ignore[index]
    )
    print(f"figure: {args.out}")


if __name__ == "__main__":
    main()
