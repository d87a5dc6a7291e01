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
    help="Simulation scenarios of 'mcfn run' (docs/scenario.md): print the default to start from, check a file.",
    rich_markup_mode=None,
)


@scenario_app.callback(invoke_without_command=True)
def _scenario(ctx: typer.Context) -> None:
    """Simulation scenarios of 'mcfn run' (docs/scenario.md): print the default to start from, check a file."""
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
    file: Path = typer.Argument(..., metavar="FILE", help="Scenario YAML to check."),
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
