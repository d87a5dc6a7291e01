"""Root of the ``mcfn`` command: sub-commands, and the error boundary that turns bad input into one line."""

from __future__ import annotations

import sys

import typer

from mcfn import __version__
from mcfn.cli import (
    agent,
    allocate,
    fit_accuracy,
    fl,
    infer,
    learn,
    load,
    models,
    partition,
    profile,
    reproduce,
    route,
    run,
    scenario,
    serve,
    sweep,
    tls,
)
from mcfn.cli.errors import input_error_types

try:  # click's usage errors (bad option, missing argument, bad choice): typer >= 0.21 carries its own click
    from typer import TyperException as UsageError
except ImportError:  # typer < 0.21 (Flower's range) raises click's
    from click import ClickException as UsageError

app = typer.Typer(
    name="mcfn",
    help="Mobile computing-force network for edge intelligence: allocation, splitting, routing, simulation.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("allocate")(allocate.allocate_command)
app.command("reproduce")(reproduce.reproduce_command)
app.add_typer(models.models_app, name="models")
app.command("profile")(profile.profile_command)
app.command("partition")(partition.partition_command)
app.command("route")(route.route_command)
app.command("serve")(serve.serve_command)
app.command("agent")(agent.agent_command)
app.command("infer")(infer.infer_command)
app.command("load")(load.load_command)
app.command("tls")(tls.tls_command)
app.command("run")(run.run_command)
app.command("learn")(learn.learn_command)
app.command("sweep")(sweep.sweep_command)
app.add_typer(scenario.scenario_app, name="scenario")
app.command("fit-accuracy")(fit_accuracy.fit_accuracy_command)
app.add_typer(fl.fl_app, name="fl")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcfn {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Mobile computing-force network for edge intelligence."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command; bad input prints ``error: ...`` on one line and exits with status 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args or ["--help"], prog_name="mcfn", standalone_mode=False)
    except typer.Abort:
        _fail("aborted")
    except UsageError as exc:
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        _fail(f"{exc.format_message()}{hint}")
    except input_error_types() as exc:
        _fail(str(exc))
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str) -> None:
    message = " ".join(message.split()).replace("Value error, ", "")
    typer.echo(f"error: {message}", err=True)
    sys.exit(2)
