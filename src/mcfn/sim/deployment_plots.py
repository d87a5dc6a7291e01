"""The plot of a deployment comparison (matplotlib, headless): memory in use over time and the deployment's
headline metrics per policy.

Memory: the edge servers' mean share of their memory in use at each sample, averaged over the seeds with its 95 %
confidence band (Student t, :mod:`mcfn.experiments.stats`). Bars: each metric's mean over the seeds with its
interval as error bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mcfn.experiments.stats import CONFIDENCE, mean_ci
from mcfn.sim.report import aggregate, by_policy, metric_at
from mcfn.sim.run import RunResult

#: The bars: label, summary path, scale.
BARS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("mean utility", ("mean_utility",), 1.0),
    ("cold starts per task", ("deployment", "cold_starts_per_task"), 1.0),
    ("cold-start share of latency", ("deployment", "cold_start_latency_share"), 1.0),
    ("migrations (thousands)", ("deployment", "migrations"), 1e-3),
)


def plot_deployment(out: Path, runs: Sequence[RunResult]) -> list[Path]:
    """Write ``deployment.png`` into ``out`` (runs with a deployment only); returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = by_policy(runs)
    path = out / "deployment.png"
    fig = plt.figure(figsize=(max(12, 0.5 * len(groups) * len(BARS)), 9))
    grid = fig.add_gridspec(2, len(BARS), height_ratios=(1, 1.1))
    memory_ax = fig.add_subplot(grid[0, :])
    bar_axes = [fig.add_subplot(grid[1, k]) for k in range(len(BARS))]
    for name, group in groups.items():
        series = [_edge_memory_share(run) for run in group]
        length = min(len(s[0]) for s in series)
        t_s = series[0][0][:length]
        cells = [mean_ci([s[1][i] for s in series]) for i in range(length)]
        mean = np.array([c.mean for c in cells])
        half = np.array([c.half_width or 0.0 for c in cells])
        memory_ax.plot(t_s, mean * 100, label=name)
        memory_ax.fill_between(t_s, (mean - half) * 100, (mean + half) * 100, alpha=0.2)
    memory_ax.set_xlabel("simulated time (s)")
    memory_ax.set_ylabel("edge memory in use (%)")
    memory_ax.set_title("Edge servers' memory (mean over nodes)")
    memory_ax.grid(True, alpha=0.3)
    memory_ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    aggregates = {name: aggregate(group) for name, group in groups.items()}
    positions = np.arange(len(groups))
    for ax, (label, key, scale) in zip(bar_axes, BARS, strict=True):
        cells = [metric_at(agg, key) for agg in aggregates.values()]
        heights = [(c["mean"] or 0.0) * scale for c in cells]
        errors = [(c["ci95"] or 0.0) * scale for c in cells]
        ax.bar(positions, heights, yerr=errors, capsize=3, color=[f"C{k}" for k in positions])
        ax.set_xticks(positions, list(groups), rotation=45, ha="right", fontsize="small")
        ax.set_title(label, fontsize="medium")
        ax.grid(True, axis="y", alpha=0.3)
    seeds = len(next(iter(groups.values())))
    over = f"mean ± {CONFIDENCE:.0%} CI over {seeds} seeds (Student t)" if seeds > 1 else "one seed: no CI"
    fig.suptitle(f"Service deployment: {over}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [path]


def _edge_memory_share(run: RunResult) -> tuple[list[float], np.ndarray]:
    """Sample times and the edge servers' mean memory share at each (the nodes not named ``cloud``)."""
    over_time = run.summary["deployment"]["memory_over_time"]
    capacity = run.summary["deployment"]["memory_capacity_bytes"]
    edges = [n for n in over_time["bytes"] if n != "cloud"]
    shares = np.array([np.asarray(over_time["bytes"][n]) / capacity[n] for n in edges])
    return over_time["t_s"], shares.mean(axis=0)
