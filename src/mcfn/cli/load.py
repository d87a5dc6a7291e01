"""``mcfn load``: open-loop Poisson load on a running cluster; latency percentiles, goodput and refusals, or the
overload curve (``--sweep``) as a table, JSON and a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mcfn.cli.errors import UserInputError
from mcfn.cli.output import print_json
from mcfn.runtime.access import DEFAULT_CLUSTER_FILE

if TYPE_CHECKING:
    from mcfn.runtime.load import LoadReport

#: The rates of a sweep, as multiples of the base rate (``--rate``, or the measured capacity).
SWEEP_FACTORS = (0.25, 0.5, 1.0, 1.5, 2.0)


def load_command(
    rate: float | None = typer.Option(
        None,
        "--rate",
        min=0,
        help="Mean arrival rate (requests/s, Poisson). With --sweep: the base rate "
        "(default: the cluster's measured capacity).",
    ),
    duration: float = typer.Option(..., "--duration", min=0, help="How long requests keep arriving (s), per rate."),
    model: str = typer.Option("tiny-resnet", "--model", help="A model the cluster serves."),
    deadline_s: float | None = typer.Option(None, "--deadline-s", min=0, help="Deadline (s); the model's default."),
    policy: str | None = typer.Option(None, help="Routing policy (default: the cluster's)."),
    sweep: bool = typer.Option(
        False, "--sweep", help=f"Run at {', '.join(f'{f:g}' for f in SWEEP_FACTORS)} times the base rate and plot."
    ),
    plot: Path = typer.Option(Path("load_sweep.png"), "--plot", help="With --sweep: where to write the PNG."),
    seed: int = typer.Option(0, help="Seed of the arrivals and the input."),
    cluster_file: Path = typer.Option(DEFAULT_CLUSTER_FILE, "--cluster-file", help="Written by mcfn serve."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Drive an open-loop load of random inputs for MODEL and report latency percentiles, goodput (served within
    the deadline) and refusals; --sweep runs it at several rates up to twice the base and plots the curve."""
    import numpy as np
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from mcfn.runtime import loop as event_loop
    from mcfn.runtime.access import ClusterAccess
    from mcfn.runtime.client import Client
    from mcfn.runtime.controller import InferError
    from mcfn.runtime.load import capacity, open_loop, saturation
    from mcfn.runtime.load import sweep as run_sweep
    from mcfn.runtime.models import input_shape

    try:
        shape = input_shape(model)
    except ValueError as exc:
        raise UserInputError(str(exc)) from None
    if duration <= 0 or (rate is not None and rate <= 0) or (rate is None and not sweep):
        raise UserInputError("--rate (unless --sweep) and --duration must be positive")
    access = ClusterAccess.read(cluster_file)
    tls = access.client_context()
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal(shape).astype(np.float32)

    async def main(progress: Progress) -> tuple[float, list[LoadReport]]:
        client = Client(access.host, access.port, token=access.token, tls=tls)
        try:
            status = await client.status()
            if model not in status["models"]:
                raise UserInputError(f"model {model!r} is not deployed; deployed: {', '.join(status['models'])}")
            deadline = deadline_s or float(status["deadlines_s"][model])
            load = {"model": model, "inputs": inputs, "duration_s": duration, "deadline_s": deadline, "rng": rng}
            base = rate
            if base is None:
                task = progress.add_task("measuring capacity", total=None)
                workers = sum(agent["workers"] for agent in status["agents"])
                closed = await capacity(
                    client, model=model, inputs=inputs, deadline_s=deadline, duration_s=duration, in_flight=4 * workers
                )
                base = await saturation(client, start_per_s=closed, **load)
                progress.remove_task(task)
            if not sweep:
                task = progress.add_task(f"{model} at {base:g}/s", total=duration)

                def arrived(at: float) -> None:
                    progress.update(task, completed=at)

                return base, [await open_loop(client, rate_per_s=base, policy=policy, on_progress=arrived, **load)]
            task = progress.add_task(f"{model}: sweep up to {2 * base:g}/s", total=len(SWEEP_FACTORS))
            reports = await run_sweep(
                client,
                rates_per_s=[f * base for f in SWEEP_FACTORS],
                on_progress=lambda done: progress.update(task, completed=done),
                policy=policy,
                **load,
            )
            return base, reports
        finally:
            await client.close()

    columns = (TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, transient=True) as progress:
            base, reports = event_loop.run(main(progress))
    except InferError as exc:
        raise UserInputError(str(exc)) from None
    except (ConnectionError, OSError) as exc:
        raise UserInputError(f"cannot reach the cluster at {access.host}:{access.port}: {exc}") from None
    if sweep:
        _plot(reports, base_per_s=base, measured=rate is None, path=plot)
    if as_json:
        document = [report.summary() for report in reports]
        print_json({"base_rate_per_s": base, "plot": str(plot), "runs": document} if sweep else document[0])
        return
    for report in reports:
        _print(report)
    if sweep:
        typer.echo(f"overload curve: {plot}")


def _print(report: LoadReport) -> None:
    typer.echo(
        f"rate {report.rate_per_s:.2f}/s: sent {report.sent}, served {report.served} "
        f"({report.on_time} within the {report.deadline_s:g} s deadline), refused {report.refused}, "
        f"answered late {report.late}"
    )
    typer.echo(f"  throughput {report.throughput_per_s:.2f}/s, goodput {report.goodput_per_s:.2f}/s")
    if report.latency_s:
        typer.echo("  latency " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in report.latency_s.items()))
    if report.cold_starts:
        typer.echo(
            f"  cold starts {report.cold_starts_per_request:.3f} per request, "
            f"{100 * report.cold_start_share:.1f} % of the latency"
        )
    for reason, count in report.failures.items():
        typer.echo(f"  failed {count}: {reason}")


def _plot(reports: list[Any], *, base_per_s: float, measured: bool, path: Path) -> None:
    """Offered rate against goodput (95 % Poisson intervals), served p99 and refusals, in three panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rates = np.array([r.rate_per_s for r in reports])
    goodput = np.array([r.goodput_per_s for r in reports])
    spread = np.array([1.96 * np.sqrt(r.on_time) / r.elapsed_s for r in reports])
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(13, 3.8))
    left.errorbar(rates, goodput, yerr=spread, marker="o", capsize=3, label="goodput (served within deadline)")
    left.plot(rates, [r.throughput_per_s for r in reports], "s--", label="throughput (served)")
    label = "measured capacity" if measured else "base rate"
    left.axhline(base_per_s, color="grey", linestyle=":", label=label)
    left.axhline(0.9 * base_per_s, color="grey", linestyle="--", linewidth=0.8, label=f"90 % of {label}")
    left.set(xlabel="offered rate (requests/s)", ylabel="requests/s", title="goodput")
    left.legend(fontsize=7)
    deadline = reports[0].deadline_s
    middle.plot(rates, [1e3 * r.latency_s.get("p99", np.nan) for r in reports], "o-", label="served p99")
    middle.axhline(1e3 * deadline, color="red", linestyle=":", label="deadline")
    middle.set(xlabel="offered rate (requests/s)", ylabel="ms", title="latency of served requests")
    middle.legend(fontsize=7)
    right.plot(rates, [r.refused / r.elapsed_s for r in reports], "o-", label="refused (shed at once)")
    right.plot(rates, [r.late / r.elapsed_s for r in reports], "x-", label="answered after deadline + 100 ms")
    right.set(xlabel="offered rate (requests/s)", ylabel="requests/s", title="refusals")
    right.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
