"""The plots of a policy comparison (matplotlib, headless): latency CDF, node utilisation, headline metrics.

On several seeds every bar is a mean over the seeds with its 95 % confidence interval as error bar (Student t,
:mod:`mcfn.experiments.stats`), and the latency CDF pools the tasks of all seeds; the titles say which.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mcfn.experiments.stats import CONFIDENCE
from mcfn.sim.report import aggregate, by_policy_label, metric_at
from mcfn.sim.run import RunResult

#: Points a latency CDF is drawn through: evenly spaced ranks of the sorted latencies, first and last included —
#: several times the figure's pixels, so the curve looks the same as one through every task, and a run of millions
#: of tasks costs matplotlib no more than one of thousands.
CDF_POINTS = 4096


def cdf_points(latency_s: np.ndarray, tasks: int) -> tuple[np.ndarray, np.ndarray]:
    """The points ``(latency, share of tasks completed within it)`` of the latency CDF, at most :data:`CDF_POINTS`
    of them, each exactly on the CDF of ``latency_s`` (NaN, a task that never completed, is left out) over ``tasks``
    tasks."""
    done = np.sort(latency_s[~np.isnan(latency_s)])
    ranks = np.unique(np.linspace(0, done.size - 1, min(done.size, CDF_POINTS)).round().astype(np.int64))
    return done[ranks], (ranks + 1) / tasks


def plot_comparison(out: Path, runs: Sequence[RunResult]) -> list[Path]:
    """Write ``latency_cdf.png``, ``utilisation.png`` and ``comparison.png`` into ``out``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    groups = by_policy_label(runs)
    aggregates = {name: aggregate(group) for name, group in groups.items()}
    seeds = [run.seed for run in next(iter(groups.values()))]
    over = (
        f"mean ± {CONFIDENCE:.0%} CI over {len(seeds)} seeds, Student t"
        if len(seeds) > 1
        else f"seed {seeds[0]}, one seed: no CI"
    )
    paths = [out / "latency_cdf.png", out / "utilisation.png", out / "comparison.png"]

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, group in groups.items():
        latency, share = cdf_points(
            np.concatenate([run.columns["latency_s"] for run in group]),
            sum(run.columns["status"].size for run in group),
        )
        if latency.size:
            ax.plot(latency * 1e3, share, label=name)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("share of all tasks completed within")
    pooled = f"tasks of {len(seeds)} seeds pooled" if len(seeds) > 1 else f"seed {seeds[0]}"
    ax.set_title(f"Latency CDF ({pooled}; failed tasks never complete)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(paths[0], dpi=120)
    plt.close(fig)

    names = list(runs[0].summary["utilisation"])
    fig, ax = plt.subplots(figsize=(max(7, 0.6 * len(names) * len(groups) / 2), 4.5))
    width = 0.8 / len(groups)
    for i, (name, agg) in enumerate(aggregates.items()):
        means, errors = _bars([agg["utilisation"][n] for n in names], 100)
        ax.bar(np.arange(len(names)) + i * width, means, width, yerr=errors, capsize=2, label=name)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=45, ha="right")
    ax.set_ylabel("VM utilisation (%)")
    ax.set_title(f"Compute node utilisation ({over})")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(paths[1], dpi=120)
    plt.close(fig)

    metrics = [
        ("deadline met (%)", ("deadline_satisfaction",), 100),
        ("p95 latency (ms)", ("latency_s", "p95"), 1e3),
        ("mean accuracy (completed)", ("mean_accuracy",), 1),
        ("mean utility", ("mean_utility",), 1),
    ]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 4.3))
    for ax, (label, path, scale) in zip(axes, metrics, strict=True):
        means, errors = _bars([metric_at(agg, path) for agg in aggregates.values()], scale)
        ax.bar(list(aggregates), means, yerr=errors, capsize=4, color="tab:blue", ecolor="black")
        ax.set_title(label)
        ax.tick_params(axis="x", rotation=45)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    fig.suptitle(over)
    fig.tight_layout()
    fig.savefig(paths[2], dpi=120)
    plt.close(fig)
    return paths


def _bars(cells: Sequence[dict[str, Any]], scale: float) -> tuple[list[float], list[float]]:
    """Bar heights and error-bar half-widths from aggregate cells (0 where a metric or its interval is missing)."""
    means = [scale * (cell["mean"] or 0.0) for cell in cells]
    errors = [scale * (cell["ci95"] or 0.0) for cell in cells]
    return means, errors
