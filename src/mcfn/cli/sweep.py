"""``mcfn sweep``: a grid of network simulations (scenario fields × policies × seeds), locally or on Ray."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import typer


def sweep_command(
    sweep_file: Path = typer.Argument(
        ..., metavar="SWEEP.yaml", help="The sweep: base scenario, grid, policies, seeds."
    ),
    out: Path = typer.Option(
        Path("results/sweep"),
        "--out",
        metavar="DIR",
        help="Folder for sweep.parquet, .csv, .png and .json; its cache/ holds every finished run (to resume).",
    ),
    workers: int = typer.Option(
        os.cpu_count() or 1, "--workers", min=1, metavar="N", help="Local worker processes (without --ray-address)."
    ),
    ray_address: str | None = typer.Option(
        None,
        "--ray-address",
        metavar="ADDR",
        help="Run on the existing Ray cluster at ADDR ('auto', or host:port of its head) instead of local processes.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary instead of text."),
) -> None:
    """Run every (grid point, policy, seed) of SWEEP.yaml as an independent simulation, cached by the hash of its
    inputs so that a sweep run again resumes where it stopped; write one tidy table (a row per run) as Parquet and
    CSV, and plots of the means over seeds with 95 % confidence intervals.

    Example sweep file: 'grid: {terminals.count: [100, 200, 300]}', 'policies: [compute-aware, nearest-edge]',
    'seeds: 5', 'set: {duration_s: 60}'.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from mcfn.cli.output import print_json
    from mcfn.experiments.executor import ResultCache, execute
    from mcfn.experiments.grid import load_sweep, tidy_rows
    from mcfn.experiments.sweep_output import plot_sweep, write_table

    sweep = load_sweep(sweep_file)
    jobs = sweep.jobs()
    started = time.perf_counter()
    where = f"Ray at {ray_address}" if ray_address else f"{workers} local worker(s)"
    with Progress(
        TextColumn(f"sweep, {where}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=as_json
    ) as progress:
        bar = progress.add_task("runs", total=len(jobs))
        cached: list[int] = []

        def report(done: int, total: int) -> None:
            if not cached:
                cached.append(done)  # the first report counts the cached runs
            progress.update(bar, completed=done, total=total)

        results = execute(
            jobs, workers=workers, ray_address=ray_address, cache=ResultCache(out / "cache"), on_progress=report
        )
    rows = tidy_rows(sweep, results)
    parquet_path, csv_path = write_table(rows, out)
    image_path = plot_sweep(sweep, rows, out / "sweep.png")
    elapsed_s = time.perf_counter() - started
    summary = {
        "runs": len(jobs),
        "cached": cached[0] if cached else 0,
        "grid": {field: sorted({row[field] for row in rows}, key=str) for field in sweep.fields},
        "policies": list(sweep.policies),
        "seeds": list(sweep.seeds),
        "parquet": str(parquet_path),
        "csv": str(csv_path),
        "plot": str(image_path),
        "elapsed_s": elapsed_s,
    }
    (out / "sweep.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    if as_json:
        print_json(summary)
        return
    typer.echo(f"{len(jobs)} runs ({summary['cached']} from the cache) in {elapsed_s:.1f} s with {where}")
    typer.echo(f"  table  {parquet_path} (and {csv_path.name})\n  plot   {image_path}")
