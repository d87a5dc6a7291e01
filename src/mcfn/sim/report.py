"""Writing a policy comparison out: per-task records, JSON summary, the table's cells, and the plots
(:mod:`mcfn.sim.plots`).

Every number in the plots and the summary can be recomputed from the per-task records (``tasks.parquet``, one row
per task of every policy and seed: :mod:`mcfn.sim.task_records`); ``summary.json`` also holds the scenario that
produced them. A comparison on several seeds reports, for every metric of a policy, its mean over the seeds with the
half-width of its 95 % confidence interval (Student t, :mod:`mcfn.experiments.stats`), beside each seed's own
summary; on one seed there is no interval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcfn.experiments.stats import CONFIDENCE, mean_ci, summarise_numbers
from mcfn.orchestration.learned import display_name
from mcfn.sim.run import RunResult
from mcfn.sim.task_records import TasksFormat, tasks_file_name, write_tasks

#: How every interval is computed, for titles, legends and the JSON summary.
INTERVAL = f"{CONFIDENCE:.0%} confidence interval of the mean over seeds (Student t)"

#: The file of :func:`summary_document` in a run's folder.
SUMMARY_FILE = "summary.json"

#: The summary metric that ranks the policies (higher is better).
RANK_BY = ("mean_utility",)

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
    ("energy per task (J)", ("energy", "per_completed_task_j"), "{:.2f}"),
    ("terminal energy/task (mJ)", ("energy", "terminal_per_task_j"), "kilo1"),
    ("utility per kJ", ("energy", "utility_per_j"), "kilo"),
    ("mean power (W)", ("energy", "mean_power_w"), "{:,.0f}"),
    ("stages in cloud (%)", ("cloud_stage_share",), "%"),
    ("mean edge util. (%)", ("mean_edge_utilisation",), "%"),
    ("handovers", ("handovers",), "{:,.0f}"),
    ("outside coverage (%)", ("outside_coverage_share",), "%"),
    ("advert bytes/s", ("adverts", "bytes_per_s"), "{:,.0f}"),
    ("events per task", ("events_per_task",), "{:.1f}"),
    ("tasks per wall s", ("tasks_per_wall_s",), "{:,.0f}"),
)


#: Rows added to the table when the runs have a deployment (:mod:`mcfn.sim.deployment`).
DEPLOYMENT_ROWS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("cold starts per task", ("deployment", "cold_starts_per_task"), "{:.4f}"),
    ("cold-start share of latency (%)", ("deployment", "cold_start_latency_share"), "%"),
    ("model loads", ("deployment", "loads"), "{:,.0f}"),
    ("evictions", ("deployment", "evictions"), "{:,.0f}"),
    ("migrations", ("deployment", "migrations"), "{:,.0f}"),
    ("migration MB", ("deployment", "migration_bytes"), "MB"),
    ("peak edge memory (%)", ("deployment", "peak_edge_memory_share"), "%"),
)


def table_rows(services: Sequence[str]) -> list[tuple[str, tuple[str, ...], str]]:
    """:data:`TABLE_ROWS`, then each service's deadline satisfaction, mean accuracy and mean utility: where each
    policy wins."""
    per_service = [
        (f"{name}: {label}", ("services", name, key), fmt)
        for name in services
        for label, key, fmt in (
            ("deadline met (%)", "deadline_satisfaction", "%"),
            ("accuracy", "mean_accuracy", "{:.3f}"),
            ("utility", "mean_utility", "{:.4f}"),
        )
    ]
    return [*TABLE_ROWS, *per_service]


def table_cell(aggregate: dict[str, Any], path: tuple[str, ...], fmt: str) -> str:
    """``mean ± half-width`` of the metric at ``path`` of a policy's aggregate (the mean alone on one seed)."""
    cell = metric_at(aggregate, path)
    mean, half_width = cell["mean"], cell["ci95"]
    if mean is None:
        return "-"
    text = _format(mean, fmt)
    return text if half_width is None else f"{text} ± {_format(half_width, fmt)}"


def metric_at(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` (keys) of a nested summary or aggregate."""
    for key in path:
        document = document[key]
    return document


def _format(value: float, fmt: str) -> str:
    if fmt == "ms":
        return f"{value * 1e3:.1f}"
    if fmt == "%":
        return f"{value * 100:.1f}"
    if fmt == "MB":
        return f"{value / 1e6:,.1f}"
    if fmt == "kilo":
        return f"{value * 1e3:.3f}"
    if fmt == "kilo1":
        return f"{value * 1e3:.1f}"
    return fmt.format(value)


def by_policy(runs: Sequence[RunResult]) -> dict[str, list[RunResult]]:
    """The runs of each policy (in the order of their first run), each policy's in the order given."""
    groups: dict[str, list[RunResult]] = {}
    for run in runs:
        groups.setdefault(run.policy, []).append(run)
    return groups


def by_policy_label(runs: Sequence[RunResult]) -> dict[str, list[RunResult]]:
    """:func:`by_policy` keyed by the names figures show (:func:`~mcfn.orchestration.learned.display_name`), where
    those stay distinct; else by the policies' full names."""
    groups = by_policy(runs)
    labelled = {display_name(policy): group for policy, group in groups.items()}
    return labelled if len(labelled) == len(groups) else groups


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


def ranking(runs: Sequence[RunResult], path: tuple[str, ...] = RANK_BY) -> list[dict[str, Any]]:
    """The policies by their mean (over seeds) of the metric at ``path``, best first, each with its paired gap.

    ``gap_to_previous`` is how far the policy falls behind the one ranked just before it: the mean over seeds of
    their per-seed difference, with its Student-t interval (``{"mean", "ci95", "n"}``). Every policy sees the same
    arrivals on a seed, so the per-seed difference cancels most of that seed's luck (a paired comparison) and its
    interval is much narrower than the two policies' own intervals suggest. A gap whose interval holds 0 is not
    resolved by these seeds. Seeds on which either policy has no value are left out of the gap.
    """
    per_seed = {
        name: {run.seed: metric_at(run.summary, path) for run in group} for name, group in by_policy(runs).items()
    }
    means = {name: mean_ci(values.values()).mean for name, values in per_seed.items()}
    order = sorted(per_seed, key=lambda name: -math.inf if means[name] is None else means[name], reverse=True)
    ranked: list[dict[str, Any]] = []
    for k, name in enumerate(order):
        gap = None
        if k > 0:
            before, mine = per_seed[order[k - 1]], per_seed[name]
            gaps = [before[seed] - mine[seed] for seed in mine if None not in (before.get(seed), mine[seed])]
            gap = mean_ci(gaps).as_dict()
        ranked.append({"policy": name, "metric": ".".join(path), "mean": means[name], "gap_to_previous": gap})
    return ranked


def summary_document(scenario_doc: dict[str, Any], runs: Sequence[RunResult]) -> dict[str, Any]:
    """The JSON summary: the scenario, the seeds, the :func:`ranking`, and per policy the aggregate over seeds and
    each seed's summary.

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
        "ranking": ranking(runs),
        "policies": {
            name: {"aggregate": aggregate(group), "runs": [run.summary for run in group]}
            for name, group in groups.items()
        },
    }


def write_outputs(
    out: Path, scenario_doc: dict[str, Any], runs: Sequence[RunResult], *, tasks_format: TasksFormat = "parquet"
) -> list[Path]:
    """Write the per-task records (``tasks.parquet``, or ``tasks.csv``: :mod:`mcfn.sim.task_records`),
    ``summary.json`` and the four plots (and ``deployment.png`` when the runs have a deployment) into ``out``;
    returns the paths written."""
    from mcfn.sim.deployment_plots import plot_deployment
    from mcfn.sim.energy_plot import plot_energy
    from mcfn.sim.plots import plot_comparison

    out.mkdir(parents=True, exist_ok=True)
    written = [out / tasks_file_name(tasks_format), out / SUMMARY_FILE]
    write_tasks(written[0], runs, tasks_format)
    written[1].write_text(json.dumps(summary_document(scenario_doc, runs), indent=2) + "\n", encoding="utf-8")
    written += plot_comparison(out, runs)
    if all("deployment" in run.summary for run in runs):
        written += plot_deployment(out, runs)
    written += plot_energy(out, runs)
    return written
