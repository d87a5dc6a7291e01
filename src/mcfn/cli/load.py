"""``mcfn load``: open-loop Poisson load on a running cluster; latency percentiles and throughput."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mcfn.cli.errors import UserInputError
from mcfn.cli.output import print_json
from mcfn.runtime.access import DEFAULT_CLUSTER_FILE


def load_command(
    rate: float = typer.Option(..., "--rate", min=0, help="Mean arrival rate (requests per second, Poisson)."),
    duration: float = typer.Option(..., "--duration", min=0, help="How long requests keep arriving (s)."),
    model: str = typer.Option("tiny-resnet", "--model", help="A model the cluster serves."),
    deadline_s: float | None = typer.Option(None, "--deadline-s", min=0, help="Deadline (s); the model's default."),
    policy: str | None = typer.Option(None, help="Routing policy (default: the cluster's)."),
    seed: int = typer.Option(0, help="Seed of the arrivals and the input."),
    cluster_file: Path = typer.Option(DEFAULT_CLUSTER_FILE, "--cluster-file", help="Written by mcfn serve."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Drive an open-loop load of random inputs for MODEL and report latency percentiles and throughput."""
    import numpy as np
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from mcfn.runtime import loop as event_loop
    from mcfn.runtime.access import ClusterAccess
    from mcfn.runtime.client import Client
    from mcfn.runtime.load import open_loop
    from mcfn.runtime.models import input_shape

    try:
        shape = input_shape(model)
    except ValueError as exc:
        raise UserInputError(str(exc)) from None
    if rate <= 0 or duration <= 0:
        raise UserInputError("--rate and --duration must be positive")
    access = ClusterAccess.read(cluster_file)
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal(shape).astype(np.float32)

    async def main(progress: Progress) -> Any:
        task = progress.add_task("load", total=duration)
        client = Client(access.host, access.port, token=access.token)
        try:
            return await open_loop(
                client,
                model=model,
                inputs=inputs,
                rate_per_s=rate,
                duration_s=duration,
                rng=rng,
                deadline_s=deadline_s,
                policy=policy,
                on_progress=lambda at: progress.update(task, completed=at),
            )
        finally:
            await client.close()

    columns = (TextColumn(f"{model} at {rate:g}/s"), BarColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, transient=True) as progress:
            report = event_loop.run(main(progress))
    except (ConnectionError, OSError) as exc:
        raise UserInputError(f"cannot reach the cluster at {access.host}:{access.port}: {exc}") from None
    summary = report.summary()
    if as_json:
        print_json(summary)
        return
    typer.echo(f"sent {report.sent}, served {report.served} in {report.elapsed_s:.2f} s")
    typer.echo(f"throughput {report.throughput_per_s:.2f} requests/s")
    if report.latency_s:
        typer.echo("latency " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in report.latency_s.items()))
    for reason, count in report.failures.items():
        typer.echo(f"failed {count}: {reason}")
