"""``mcfn run``: simulate a scenario under several routing policies and compare them side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from mcfn.cli.output import print_json

if TYPE_CHECKING:
    from mcfn.scenario import Scenario
    from mcfn.sim.run import RunResult

DEFAULT_POLICIES = (
    "utility-aware",
    "utility-nearest-edge",
    "compute-aware",
    "nearest-edge",
    "least-loaded",
    "round-robin",
    "random",
    "cloud-only",
)


def run_command(
    scenario: Path | None = typer.Argument(
        None, help="Scenario YAML (see docs/scenario.md); without it, the embedded default (7 cells, 300 terminals)."
    ),
    policy: list[str] = typer.Option(
        None,
        "--policy",
        metavar="NAME",
        help="Policy to compare (repeatable): an orchestrating one (utility-aware, utility-nearest-edge: variant, "
        "exit, compression and placement per task) or a routing one (reference variant); default: all eight.",
        show_default=False,
    ),
    out: Path = typer.Option(
        Path("results/run"), "--out", metavar="DIR", help="Folder for tasks.csv, summary.json and the plots."
    ),
    seed: int | None = typer.Option(None, "--seed", metavar="N", help="Override the scenario's seed."),
    duration_s: float | None = typer.Option(
        None, "--duration-s", min=0.001, metavar="SECONDS", help="Override the scenario's simulated duration."
    ),
    jobs: int = typer.Option(
        1, "--jobs", min=1, metavar="N", help="Simulate up to N policies at once, in worker processes."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary JSON instead of the table."),
) -> None:
    """Simulate the mobile computing-force network and compare routing policies on the same arrivals.

    Example: 'mcfn run --policy compute-aware --policy nearest-edge --duration-s 60'.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from mcfn.orchestration.choice import ORCHESTRATED
    from mcfn.routing import POLICIES
    from mcfn.scenario import default_scenario, load_scenario
    from mcfn.sim.report import summary_document, write_outputs
    from mcfn.sim.run import compare

    loaded = default_scenario() if scenario is None else load_scenario(scenario)
    changes = {k: v for k, v in (("seed", seed), ("duration_s", duration_s)) if v is not None}
    loaded = loaded.model_copy(update=changes)
    names = list(dict.fromkeys(policy or DEFAULT_POLICIES))
    for name in names:
        if name not in POLICIES and name not in ORCHESTRATED:
            raise ValueError(f"unknown policy {name!r}; valid: {', '.join([*ORCHESTRATED, *POLICIES])}")
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.completed:>6.0f}/{task.total:.0f} s simulated"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as progress:
        bars = {name: progress.add_task(name, total=loaded.duration_s) for name in names}
        runs = compare(
            loaded,
            names,
            jobs=jobs,
            progress=lambda name, now_s: progress.update(bars[name], completed=min(now_s, loaded.duration_s)),
        )
    document = loaded.model_dump(mode="json")
    written = write_outputs(out, document, runs)
    if as_json:
        print_json(summary_document(document, runs))
        return
    _print_table(runs, loaded)
    Console().print("wrote " + ", ".join(str(p) for p in written))


def _print_table(runs: Sequence[RunResult], scenario: Scenario) -> None:
    from rich.console import Console
    from rich.table import Table

    from mcfn.sim.report import TABLE_ROWS, table_cell

    title = (
        f"{scenario.terminals.count} terminals, {len(scenario.services)} services, "
        f"{scenario.duration_s:g} s simulated, seed {scenario.seed}"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for run in runs:
        table.add_column(run.policy, justify="right")
    for label, path, fmt in TABLE_ROWS:
        table.add_row(label, *(table_cell(run.summary, path, fmt) for run in runs))
    console = Console()
    console.width = max(console.width, 24 + 14 * len(runs))  # a piped table keeps one line per metric
    console.print(table)
