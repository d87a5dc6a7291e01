"""``mcfn scenario``: the simulation scenarios of ``mcfn run`` (print the embedded default, check a file)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from mcfn.scenario import Scenario
    from mcfn.sim.world import World

scenario_app = typer.Typer(
    name="scenario",
    help="Simulation scenarios of 'mcfn run' (docs/formats/simulation-scenario.md): print the default to start "
    "from, check a file, list the ways to serve each service.",
    rich_markup_mode=None,
)


@scenario_app.callback(invoke_without_command=True)
def _scenario(ctx: typer.Context) -> None:
    """Simulation scenarios of 'mcfn run' (docs/formats/simulation-scenario.md): print the default to start from,
    check a file."""
    if ctx.invoked_subcommand is None:  # 'mcfn scenario' alone: its help, as 'mcfn' alone prints mcfn's
        typer.echo(ctx.get_help())


@scenario_app.command("default")
def default_command(
    as_json: bool = typer.Option(False, "--json", help="Print the same document as JSON instead of YAML."),
) -> None:
    """Print the embedded default scenario of 'mcfn run' (7 cells, a cloud, 300 terminals, 3 services).

    Start your own from it: 'mcfn scenario default > my.yaml', edit, then 'mcfn run my.yaml'.
    """
    from mcfn.scenario import DEFAULT_SCENARIO_YAML

    if as_json:
        from mcfn.cli.output import print_json
        from mcfn.network.topology.io import yaml_load

        print_json(yaml_load(DEFAULT_SCENARIO_YAML))
        return
    typer.echo(DEFAULT_SCENARIO_YAML, nl=False)


@scenario_app.command("check")
def check_command(
    file: Path = typer.Argument(..., metavar="FILE", help="Simulation scenario YAML to check."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Check a scenario file as 'mcfn run' reads it (fields, traces, failures) and summarise it on one line.

    A bad file prints the first error on one line, naming the field, and exits with status 2.
    """
    from mcfn.scenario import load_scenario
    from mcfn.sim.run import prepare

    scenario = load_scenario(file)
    world = prepare(scenario, "nearest-edge").world  # builds what a run builds; simulates nothing
    summary = _summary(file, scenario, world)
    if as_json:
        from mcfn.cli.output import print_json

        print_json(summary)
        return
    rate = f", {summary['arrival_rate_per_s']:,.0f} tasks/s" if summary["arrival_rate_per_s"] is not None else ""
    typer.echo(
        f"{file}: valid: {summary['cells']} cells, {summary['compute_nodes']} compute nodes, "
        f"{summary['terminals']} terminals, {len(summary['services'])} services ({', '.join(summary['services'])})"
        f"{rate}, {summary['failures']} failures, {scenario.duration_s:g} s + {scenario.drain_s:g} s drain, "
        f"seed {scenario.seed}"
    )


def _summary(file: Path, scenario: Scenario, world: World) -> dict[str, Any]:
    rates = [s.rate_per_terminal_per_s for s in scenario.services]
    return {
        "file": str(file),
        "valid": True,
        "cells": len(world.stations),
        "compute_nodes": len(world.fleet.node_ids),
        "terminals": scenario.terminals.count,
        "services": [s.name for s in scenario.services],
        # Poisson services only: a replayed arrival trace has no rate
        "arrival_rate_per_s": None if None in rates else sum(rates) * scenario.terminals.count,
        "failures": len(scenario.failures),
        "duration_s": scenario.duration_s,
        "drain_s": scenario.drain_s,
        "seed": scenario.seed,
    }


@scenario_app.command("options")
def options_command(
    file: Path | None = typer.Argument(
        None, metavar="[FILE]", help="Simulation scenario YAML; without it, the embedded default."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON."),
) -> None:
    """List every way to serve each service: variant, exit, precision, accuracy and its source, work, and the
    seconds one VM of each compute node class needs for it alone.

    These are the options 'utility-aware' chooses among per task (with each level of 'compression'); the first of
    each service is its reference, what every routing policy runs.
    """
    from rich.console import Console
    from rich.table import Table

    from mcfn.scenario import default_scenario, load_scenario
    from mcfn.sim.run import prepare

    scenario = default_scenario() if file is None else load_scenario(file)
    world = prepare(scenario, "nearest-edge").world  # builds what a run builds; simulates nothing
    rows = _option_rows(scenario, world)
    if as_json:
        from mcfn.cli.output import print_json

        print_json({"scenario": str(file) if file else "default", "options": rows})
        return
    classes = list(rows[0]["alone_s"]) if rows else []
    table = Table(title="Ways to serve each service (alone: one VM, nothing else running)", title_justify="left")
    for name in ("service", "variant", "exit", "precision", "accuracy", "source", "GFLOP", "compression"):
        table.add_column(name, justify="right" if name in ("accuracy", "GFLOP") else "left", no_wrap=True)
    for node in classes:
        table.add_column(f"alone on {node} (ms)", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            row["service"],
            row["variant"],
            row["exit"],
            row["precision"],
            f"{row['accuracy']:.4f}",
            row["source"],
            f"{row['flops'] / 1e9:.2f}",
            ", ".join(f"{c:g}" for c in row["compression"]),
            *(f"{row['alone_s'][node] * 1e3:.2f}" for node in classes),
        )
    console = Console()
    console.width = max(console.width, 280)  # piped: one line per option
    console.print(table)


def _option_rows(scenario: Scenario, world: World) -> list[dict[str, Any]]:
    """One row per option of every service; compute times on one node of each class (the first edge server of
    each distinct kind and speed, and the cloud)."""
    from mcfn.sim.world import stage_work

    fleet = world.fleet
    seen: dict[tuple[Any, ...], int] = {}
    for j, node in enumerate(fleet.nodes):
        seen.setdefault((node.tier, node.kind, node.per_op_flops_per_s), j)
    rows = []
    for o, option in enumerate(world.options):
        service = scenario.services[option.service]
        rows.append(
            {
                "service": service.name,
                "variant": option.variant,
                "exit": option.exit,
                "precision": option.precision,
                "accuracy": option.accuracy,
                "source": option.source,
                "flops": sum(sum(stage_work(stage).per_op_flops) for stage in option.stages),
                "stages": len(option.stages),
                "compression": list(service.compression),
                "alone_s": {fleet.node_ids[j]: sum(stage[j] for stage in world.alone_s[o]) for j in seen.values()},
            }
        )
    return rows
