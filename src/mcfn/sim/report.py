"""Writing a policy comparison out: per-task CSV, JSON summary, and PNG plots (matplotlib, headless).

Every number in the plots and the summary can be recomputed from ``tasks.csv``; ``summary.json`` also holds the
scenario that produced them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mcfn.sim.records import STATUS_NAMES
from mcfn.sim.run import RunResult

#: Rows of the side-by-side table: label, summary path, format.
TABLE_ROWS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("tasks", ("tasks", "arrived"), "{:,}"),
    ("completed", ("tasks", "completed"), "{:,}"),
    ("failed", ("tasks", "failed"), "{:,}"),
    ("latency p50 (ms)", ("latency_s", "p50"), "ms"),
    ("latency p95 (ms)", ("latency_s", "p95"), "ms"),
    ("latency p99 (ms)", ("latency_s", "p99"), "ms"),
    ("deadline met (%)", ("deadline_satisfaction",), "%"),
    ("mean accuracy", ("mean_accuracy",), "{:.3f}"),
    ("mean utility", ("mean_utility",), "{:.4f}"),
    ("stages in cloud (%)", ("cloud_stage_share",), "%"),
    ("mean edge util. (%)", ("mean_edge_utilisation",), "%"),
    ("handovers", ("handovers",), "{:,}"),
    ("advert bytes/s", ("adverts", "bytes_per_s"), "{:,.0f}"),
    ("events per task", ("events_per_task",), "{:.1f}"),
    ("tasks per wall s", ("tasks_per_wall_s",), "{:,.0f}"),
)


def table_cell(summary: dict[str, Any], path: tuple[str, ...], fmt: str) -> str:
    value: Any = summary
    for key in path:
        value = value[key]
    if value is None:
        return "-"
    if fmt == "ms":
        return f"{value * 1e3:.1f}"
    if fmt == "%":
        return f"{value * 100:.1f}"
    return fmt.format(value)


def summary_document(scenario_doc: dict[str, Any], runs: Sequence[RunResult]) -> dict[str, Any]:
    """The JSON summary: the scenario and each policy's summary."""
    return {"scenario": scenario_doc, "policies": {run.policy: run.summary for run in runs}}


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
        "task",
        "service",
        "variant",
        "exit",
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
        "accuracy_source",
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
            options = [*run.options, ("", "", "")]  # -1 (no option: failed before routing) maps to empty cells
            served = [options[o] for o in c["option"].tolist()]
            n = c["status"].size
            stage_names = [[nodes[j] for j in c["stage_node"][:, k].tolist()] for k in range(c["stage_node"].shape[1])]
            stage_names += [[""] * n] * (stages - len(stage_names))
            rows = zip(
                [run.policy] * n,
                range(n),
                [services[s] for s in c["service"].tolist()],
                [o[0] for o in served],
                [o[1] for o in served],
                c["terminal"].tolist(),
                [stations[s] for s in c["ingress"].tolist()],
                [stations[s] for s in c["delivered"].tolist()],
                [STATUS_NAMES[s] for s in c["status"].tolist()],
                [reasons[r] for r in c["reason"].tolist()],
                *(_floats(c[name]) for name in ("arrival_s", "end_s", "latency_s", "upload_s", "compute_s")),
                [int(m) for m in c["met_deadline"].tolist()],
                _floats(c["compression"]),
                _floats(c["accuracy"]),
                [o[2] for o in served],
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

    paths = [out / "latency_cdf.png", out / "utilisation.png", out / "comparison.png"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for run in runs:
        latency = np.sort(run.columns["latency_s"][~np.isnan(run.columns["latency_s"])])
        if latency.size:
            ax.plot(latency * 1e3, np.arange(1, latency.size + 1) / run.columns["status"].size, label=run.policy)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("share of all tasks completed within")
    ax.set_title("Latency CDF (failed tasks never complete)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(paths[0], dpi=120)
    plt.close(fig)

    names = list(runs[0].summary["utilisation"])
    fig, ax = plt.subplots(figsize=(max(7, 0.6 * len(names) * len(runs) / 2), 4.5))
    width = 0.8 / len(runs)
    for i, run in enumerate(runs):
        values = [run.summary["utilisation"][n] * 100 for n in names]
        ax.bar(np.arange(len(names)) + i * width, values, width, label=run.policy)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=45, ha="right")
    ax.set_ylabel("VM utilisation (%)")
    ax.set_title("Compute node utilisation")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(paths[1], dpi=120)
    plt.close(fig)

    metrics = [
        ("deadline met (%)", lambda s: 100 * (s["deadline_satisfaction"] or 0)),
        ("p95 latency (ms)", lambda s: 1e3 * (s["latency_s"]["p95"] or 0)),
        ("mean utility", lambda s: s["mean_utility"] or 0),
    ]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 4))
    for ax, (label, get) in zip(axes, metrics, strict=True):
        ax.bar([run.policy for run in runs], [get(run.summary) for run in runs], color="tab:blue")
        ax.set_title(label)
        ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    fig.savefig(paths[2], dpi=120)
    plt.close(fig)
    return paths
