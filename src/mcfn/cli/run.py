"""``mcfn run``: simulate a scenario under several routing policies, on one or more seeds, and compare them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mcfn.api import DEFAULT_POLICIES, check_policies
from mcfn.cli.errors import UserInputError, finite
from mcfn.cli.output import output_folder, print_json

if TYPE_CHECKING:
    from mcfn.scenario import Scenario
    from mcfn.sim.run import RunResult


def run_command(
    scenario: Path | None = typer.Argument(
        None,
        help="Simulation scenario YAML (docs/formats/simulation-scenario.md); without it, the embedded default "
        "(7 cells, 300 terminals).",
    ),
    policy: list[str] = typer.Option(
        None,
        "--policy",
        metavar="NAME",
        help="Policy to compare (repeatable): an orchestrating one (utility-aware, utility-nearest-edge: variant, "
        "exit, compression and placement per task; with terminal compute, also terminal, D2D or network), a routing "
        "one (reference variant), a terminal one (terminal-local, terminal-d2d: needs terminals.compute), or "
        "learned:FILE.zip (an agent trained by 'mcfn learn'); default: the eight orchestrating and routing ones.",
        show_default=False,
    ),
    uplink: list[str] = typer.Option(
        None,
        "--uplink",
        metavar="NAME",
        help="Uplink policy to compare (repeatable): joint-allocation (the seed's §3.2 solver: bandwidth, compute "
        "share and compression per task), equal-bandwidth, equal-rate, min-total-time; every policy runs under "
        "each. Default: the scenario's own.",
        show_default=False,
    ),
    deployment: list[str] = typer.Option(
        None,
        "--deployment",
        metavar="NAME",
        help="Deployment policy to compare (repeatable): static (every stage loaded where it may run, while memory "
        "lasts), lru, lfu, greedy-dual, optimal (a periodic MILP placement), follow-me; stages are loaded on demand "
        "within each node's memory and a cold start costs its load time. Default: the scenario's 'deployment', or "
        "none (every stage everywhere, free).",
        show_default=False,
    ),
    out: Path = typer.Option(
        Path("results/run"),
        "--out",
        metavar="DIR",
        help="Folder for the per-task records, summary.json and the plots; if it holds an earlier run, the first "
        "free DIR-2, DIR-3, ... instead (see --force).",
    ),
    force: bool = typer.Option(False, "--force", help="Write into --out even if it holds an earlier run."),
    tasks_format: str = typer.Option(
        "parquet",
        "--tasks-format",
        metavar="FORMAT",
        help="Per-task records as parquet (tasks.parquet, typed and compressed) or csv (tasks.csv).",
    ),
    seed: int | None = typer.Option(
        None, "--seed", min=0, metavar="N", help="Override the scenario's seed (the first seed with --seeds)."
    ),
    seeds: int = typer.Option(
        1,
        "--seeds",
        min=1,
        metavar="N",
        help="Run every policy on N seeds (the scenario's seed and the N-1 after it) and report means with "
        "95 % confidence intervals (Student t).",
    ),
    duration_s: float | None = typer.Option(
        None,
        "--duration-s",
        min=0.001,
        callback=finite,
        metavar="SECONDS",
        help="Override the scenario's simulated duration.",
    ),
    jobs: int = typer.Option(
        1, "--jobs", min=1, metavar="N", help="Simulate up to N runs (policy, seed) at once, in worker processes."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the summary JSON (each seed's summary, means and CIs) instead of the table."
    ),
) -> None:
    """Simulate the mobile computing-force network and compare policies on the same arrivals.

    Orchestrating policies choose each task's model variant, exit, input compression and placement for the seed's
    utility; routing policies place the reference variant. Every policy runs on the same arrivals and mobility for
    a given seed; with --seeds N the table shows each metric's mean over the seeds with its 95 % confidence
    interval, overall and per service.

    Examples: 'mcfn run --policy utility-aware --policy compute-aware --duration-s 60 --seeds 5 --jobs 2';
    'mcfn run --policy utility-aware --uplink joint-allocation --uplink equal-bandwidth --seeds 5' (the seed's
    allocation against a sharing rule, on the same arrivals); 'mcfn run examples/deployment.yaml --policy
    compute-aware --deployment static --deployment lru --deployment optimal --seeds 5' (deployment policies).
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from mcfn.deployment import DEPLOYMENT_POLICIES
    from mcfn.network.uplink import UPLINK_POLICY_NAMES
    from mcfn.scenario import default_scenario, load_scenario
    from mcfn.sim.report import SUMMARY_FILE, summary_document, write_outputs
    from mcfn.sim.run import arms, compare
    from mcfn.sim.task_records import TASKS_FORMATS, tasks_file_name

    if tasks_format not in TASKS_FORMATS:
        raise UserInputError(f"--tasks-format: {tasks_format!r} is not one of {', '.join(TASKS_FORMATS)}")
    loaded = default_scenario() if scenario is None else load_scenario(scenario)
    changes = {k: v for k, v in (("seed", seed), ("duration_s", duration_s)) if v is not None}
    loaded = loaded.model_copy(update=changes)
    policies = list(dict.fromkeys(policy or DEFAULT_POLICIES))
    check_policies(policies)
    uplinks = list(dict.fromkeys(uplink or ()))
    for name in uplinks:
        if name not in UPLINK_POLICY_NAMES:
            raise ValueError(f"unknown uplink policy {name!r}; valid: {', '.join(UPLINK_POLICY_NAMES)}")
    deployments = list(dict.fromkeys(deployment or ()))
    for name in deployments:
        if name not in DEPLOYMENT_POLICIES:
            raise ValueError(f"unknown deployment policy {name!r}; valid: {', '.join(DEPLOYMENT_POLICIES)}")
    names = [label for label, _, _ in arms(loaded, policies, uplinks, deployments)]
    folder = output_folder(out, [*(tasks_file_name(f) for f in TASKS_FORMATS), SUMMARY_FILE], force=force)
    console = Console(stderr=True)
    if folder != out:
        note = f"{out} holds an earlier run: writing {folder} (--force writes into {out})"
        console.print(note, highlight=False, soft_wrap=True)
    columns = [TextColumn(f"{{task.description:<{max(map(len, names))}}}"), BarColumn()]
    columns.append(TextColumn("{task.completed:>7.0f}/{task.total:.0f} s simulated"))
    if seeds > 1:
        columns.append(TextColumn(f"{{task.fields[done]:>3}}/{seeds} seeds"))
    with Progress(*columns, TimeElapsedColumn(), console=console, disable=as_json) as progress:
        bars = {name: progress.add_task(name, total=seeds * loaded.duration_s, done=0) for name in names}
        simulated: dict[tuple[str, int], float] = {}

        def report(name: str, run_seed: int, now_s: float) -> None:
            now_s = min(now_s, loaded.duration_s)
            simulated[name, run_seed] = max(now_s, simulated.get((name, run_seed), 0.0))  # reports may come late
            mine = [v for (n, _), v in simulated.items() if n == name]
            done = sum(v >= loaded.duration_s for v in mine)
            progress.update(bars[name], completed=sum(mine), done=done)

        runs = compare(
            loaded, policies, uplinks=uplinks, deployments=deployments, seeds=seeds, jobs=jobs, progress=report
        )
    document = loaded.model_dump(mode="json")
    with console.status(f"writing {folder} ({tasks_file_name(tasks_format)}, summary.json, plots)"):
        written = write_outputs(folder, document, runs, tasks_format=tasks_format)  # type: ignore[arg-type]
    wrote = "wrote " + ", ".join(str(p) for p in written)
    if as_json:
        print_json(summary_document(document, runs))
        console.print(wrote, highlight=False, soft_wrap=True)
        return
    _print_table(runs, loaded)
    Console().print(wrote, highlight=False, soft_wrap=True)


def _print_table(runs: Sequence[RunResult], scenario: Scenario) -> None:
    from rich.console import Console
    from rich.table import Table

    from mcfn.experiments.stats import CONFIDENCE
    from mcfn.sim.report import DEPLOYMENT_ROWS, aggregate, by_policy, ranking, table_cell, table_rows

    groups = by_policy(runs)
    seeds = [run.seed for run in next(iter(groups.values()))]
    if len(seeds) > 1:
        over = f"mean ± {CONFIDENCE:.0%} CI half-width over seeds {seeds[0]}–{seeds[-1]} (Student t, n = {len(seeds)})"
    else:
        over = f"seed {seeds[0]} (one seed: no confidence interval; --seeds N gives one)"
    title = (
        f"{scenario.terminals.count} terminals, {len(scenario.services)} services, "
        f"{scenario.duration_s:g} s simulated; {over}"
    )
    table = Table()
    table.add_column("metric", no_wrap=True)
    for name in groups:
        table.add_column(name, justify="right")
    aggregates = [aggregate(group) for group in groups.values()]
    first = next(iter(groups.values()))[0]
    layout = table_rows(first.services)
    if "deployment" in first.summary:
        layout += list(DEPLOYMENT_ROWS)
    rows = [(label, [table_cell(agg, path, fmt) for agg in aggregates]) for label, path, fmt in layout]
    for label, cells in rows:
        table.add_row(label, *cells)
    widest = [max(len(name), *(len(cells[i]) for _, cells in rows)) for i, name in enumerate(groups)]
    console = Console()
    label_width = max(len(label) for label, _ in rows)
    console.width = max(console.width, label_width + 4 + sum(w + 3 for w in widest))  # one line per metric, piped
    console.print(title, soft_wrap=True, markup=False, highlight=False)
    console.print(table)
    if len(groups) > 1:
        line = _ranking_line(ranking(runs), paired=len(seeds) > 1)
        console.print(line, soft_wrap=True, markup=False, highlight=False)


def _ranking_line(ranked: list[dict[str, Any]], *, paired: bool) -> str:
    """``a > b (gap) ≈ c (gap) …``: ``>`` where the gap's interval excludes 0, ``≈`` where these seeds cannot tell."""
    from mcfn.experiments.stats import CONFIDENCE

    how = f" (gap to the one before: mean ± {CONFIDENCE:.0%} CI of the per-seed difference)" if paired else ""
    parts = [ranked[0]["policy"]]
    for entry in ranked[1:]:
        gap = entry["gap_to_previous"]
        if gap["mean"] is None:
            parts.append(f"? {entry['policy']}")
        elif gap["ci95"] is None:
            parts.append(f"{'>' if gap['mean'] > 0 else '='} {entry['policy']} ({-gap['mean']:+.4f})")
        else:
            resolved = gap["mean"] - gap["ci95"] > 0
            parts.append(f"{'>' if resolved else '≈'} {entry['policy']} ({-gap['mean']:+.4f} ± {gap['ci95']:.4f})")
    return f"ranked by {ranked[0]['metric'].replace('_', ' ')}{how}: " + " ".join(parts)
