"""``mcfn reproduce``: the seed's allocation figures (Fig. 3, Fig. 4) as CSV, JSON record and PNG."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from mcfn.allocation.choices import Method
from mcfn.experiments.catalog import DEFAULT_SEEDS, FIGURES, FigureName


def reproduce_command(
    figure: FigureName = typer.Argument(..., help="fig3: utility vs edge capacity; fig4: utility vs d."),
    out: Path = typer.Option(Path("results"), "--out", help="Directory for <fig>.csv, <fig>.json, <fig>.png."),
    seeds: int = typer.Option(DEFAULT_SEEDS, min=1, help="Random instances per point (seeds 0..N-1)."),
    jobs: int = typer.Option(os.cpu_count() or 1, min=1, help="Parallel worker processes."),
    method: Method = typer.Option(
        Method.FAST,
        help="fast (global optimum, mcfn's solver), exact (the same by a conic solver) or sca (the seed's).",
    ),
    ray_address: str | None = typer.Option(
        None, "--ray-address", metavar="ADDR", help="Solve on the existing Ray cluster at ADDR instead of --jobs."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite the figure's files of an earlier run in --out."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary instead of text."),
) -> None:
    """Reproduce one of the seed's resource-allocation figures: sweep, average over seeds, plot. Points solved
    before are read from <out>/cache (the hash of their inputs), so a reproduction run again resumes."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from mcfn.cli.output import output_files, print_json
    from mcfn.experiments.reproduce import figure_files, reproduce_figure

    output_files(out, figure_files(figure.value), force=force)
    spec = FIGURES[figure]
    with Progress(
        TextColumn(f"{figure.value} [{method.value}]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=as_json,
    ) as progress:
        task = progress.add_task("points", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = reproduce_figure(
            spec, out, seeds=seeds, jobs=jobs, method=method, ray_address=ray_address, on_progress=report
        )
    if as_json:
        print_json(result.summary())
        return
    typer.echo(f"{result.figure}: {len(result.points)} points from seeds 0..{seeds - 1} in {result.elapsed_s:.1f} s")
    typer.echo(f"  table  {result.csv_path}\n  record {result.json_path}\n  figure {result.image_path}")
    if result.errors:
        typer.echo(f"  {len(result.errors)} allocations ended in error and are left out of the means (see record)")
