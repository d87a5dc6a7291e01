"""Writing a policy comparison out: per-task CSV, JSON summary, and PNG plots (matplotlib, headless).

Every number in the plots and the summary can be recomputed from ``tasks.csv`` (one row per task of every policy
and seed); ``summary.json`` also holds the scenario that produced them. A comparison on several seeds reports,
for every metric of a policy, its mean over the seeds with the half-width of its 95 % confidence interval
(Student t, :mod:`mcfn.experiments.stats`), beside each seed's own summary; on one seed there is no interval.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mcfn.experiments.stats import CONFIDENCE, summarise_numbers
from mcfn.sim.records import STATUS_NAMES
from mcfn.sim.run import RunResult

#: How every interval is computed, for titles, legends and the JSON summary.
INTERVAL = f"{CONFIDENCE:.0%} confidence interval of the mean over seeds (Student t)"

#: Rows of the side-by-side table: label, summary path, format (of the mean and of the interval's half-width).
TABLE_ROWS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("tasks", ("tasks", "arrived"), "{:,.0f}"),
    ("completed", ("tasks", "completed"), "{:,.0f}"),
    ("failed", ("tasks", "failed"), "{:,.0f}"),
    ("latency p50 (ms)", ("latency_s", "p50"), "ms"),
    ("latency p95 (ms)", ("latency_s", "p95"), "ms"),
    ("latency p99 (ms)", ("latency_s", "p99"), "ms"),
    ("deadline met (%)", ("deadline_satisfaction",), "%"),
    ("mean accuracy", ("mean_accuracy",), "{:.3f}"),
    ("mean utility", ("mean_utility",), "{:.4f}"),
    ("stages in cloud (%)", ("cloud_stage_share",), "%"),
    ("mean edge util. (%)", ("mean_edge_utilisation",), "%"),
    ("handovers", ("handovers",), "{:,.0f}"),
    ("advert bytes/s", ("adverts", "bytes_per_s"), "{:,.0f}"),
    ("events per task", ("events_per_task",), "{:.1f}"),
    ("tasks per wall s", ("tasks_per_wall_s",), "{:,.0f}"),
)


def table_cell(aggregate: dict[str, Any], path: tuple[str, ...], fmt: str) -> str:
    """``mean ± half-width`` of the metric at ``path`` of a policy's aggregate (the mean alone on one seed)."""
    cell = _at(aggregate, path)
    mean, half_width = cell["mean"], cell["ci95"]
    if mean is None:
        return "-"
    text = _format(mean, fmt)
    return text if half_width is None else f"{text} ± {_format(half_width, fmt)}"


def _at(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def _format(value: float, fmt: str) -> str:
    if fmt == "ms":
        return f"{value * 1e3:.1f}"
    if fmt == "%":
        return f"{value * 100:.1f}"
    return fmt.format(value)


def by_policy(runs: Sequence[RunResult]) -> dict[str, list[RunResult]]:
    """The runs of each policy (in the order of their first run), each policy's in the order given."""
    groups: dict[str, list[RunResult]] = {}
    for run in runs:
        groups.setdefault(run.policy, []).append(run)
    return groups


def aggregate(runs: Sequence[RunResult]) -> dict[str, Any]:
    """Mean, 95 % CI half-width and ``n`` of every numeric metric of one policy's summaries over its seeds.

    A failure reason that a seed did not see counts as 0 tasks there.
    """
    reasons = list(dict.fromkeys(r for run in runs for r in run.summary["tasks"]["failure_reasons"]))
    summaries = []
    for run in runs:
        seen = run.summary["tasks"]["failure_reasons"]
        tasks = {**run.summary["tasks"], "failure_reasons": {r: seen.get(r, 0) for r in reasons}}
        summaries.append({**run.summary, "tasks": tasks})
    return summarise_numbers(summaries, skip=("seed",))


def summary_document(scenario_doc: dict[str, Any], runs: Sequence[RunResult]) -> dict[str, Any]:
    """The JSON summary: the scenario, the seeds, and per policy the aggregate over seeds and each seed's summary.

    ``policies.NAME.aggregate`` has the nesting of a run's summary with ``{"mean", "ci95", "n"}`` in place of each
    number (``ci95``: the half-width of the interval, ``null`` on one seed); ``policies.NAME.runs`` holds each
    seed's full summary, in the order of ``seeds``.
    """
    groups = by_policy(runs)
    seeds = [run.seed for run in next(iter(groups.values()))] if groups else []
    return {
        "scenario": scenario_doc,
        "seeds": seeds,
        "interval": INTERVAL,
        "policies": {
            name: {"aggregate": aggregate(group), "runs": [run.summary for run in group]}
            for name, group in groups.items()
        },
    }


def write_outputs(out: Path, scenario_doc: dict[str, Any], runs: Sequence[RunResult]) -> list[Path]:
    """Write ``tasks.csv``, ``summary.json`` and the three plots into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "tasks.csv", out / "summary.json"]
    _write_csv(written[0], runs)
    written[1].write_text(json.dumps(summary_document(scenario_doc, runs), indent=2) + "\n", encoding="utf-8")
    written += _plots(out, runs)
    return written


def _write_csv(path: Path, runs: Sequence[RunResult]) -> None:
    stages = max(run.columns["stage_node"].shape[1] for run in runs)
    header = [
        "policy",
        "seed",
        "task",
        "service",
        "terminal",
        "ingress",
        "delivered",
        "status",
        "reason",
        "arrival_s",
        "end_s",
        "latency_s",
        "upload_s",
        "compute_s",
        "met_deadline",
        "compression",
        "accuracy",
        "utility",
        "reroutes",
        *(f"stage{k}_node" for k in range(stages)),
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for run in runs:
            c, services = run.columns, run.services
            nodes = [*run.nodes, ""]  # -1 (no stage) maps to ""
            stations = [*run.stations, ""]
            reasons = [*run.reasons, ""]
            n = c["status"].size
            stage_names = [[nodes[j] for j in c["stage_node"][:, k].tolist()] for k in range(c["stage_node"].shape[1])]
            stage_names += [[""] * n] * (stages - len(stage_names))
            rows = zip(
                [run.policy] * n,
                [run.seed] * n,
                range(n),
                [services[s] for s in c["service"].tolist()],
                c["terminal"].tolist(),
                [stations[s] for s in c["ingress"].tolist()],
                [stations[s] for s in c["delivered"].tolist()],
                [STATUS_NAMES[s] for s in c["status"].tolist()],
                [reasons[r] for r in c["reason"].tolist()],
                *(_floats(c[name]) for name in ("arrival_s", "end_s", "latency_s", "upload_s", "compute_s")),
                [int(m) for m in c["met_deadline"].tolist()],
                _floats(c["compression"]),
                _floats(c["accuracy"]),
                _floats(c["utility"]),
                c["reroutes"].tolist(),
                *stage_names,
                strict=True,
            )
            writer.writerows(rows)


def _floats(values: np.ndarray) -> list[str]:
    return ["" if v != v else repr(v) for v in values.tolist()]  # NaN (not applicable) as an empty cell


def _plots(out: Path, runs: Sequence[RunResult]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    groups = by_policy(runs)
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
        latency = np.sort(np.concatenate([run.columns["latency_s"] for run in group]))
        latency = latency[~np.isnan(latency)]
        tasks = sum(run.columns["status"].size for run in group)
        if latency.size:
            ax.plot(latency * 1e3, np.arange(1, latency.size + 1) / tasks, label=name)
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
        ("mean utility", ("mean_utility",), 1),
    ]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 4.3))
    for ax, (label, path, scale) in zip(axes, metrics, strict=True):
        means, errors = _bars([_at(agg, path) for agg in aggregates.values()], scale)
        ax.bar(list(aggregates), means, yerr=errors, capsize=4, color="tab:blue", ecolor="black")
        ax.set_title(label)
        ax.tick_params(axis="x", rotation=45)
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
