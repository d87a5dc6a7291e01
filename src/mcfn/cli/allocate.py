"""``mcfn allocate``: solve one base station's bandwidth / compute / compression allocation (seed §3.2)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from mcfn.allocation.choices import Method, Scheme
from mcfn.cli.errors import UserInputError, finite, require
from mcfn.cli.output import print_json

if TYPE_CHECKING:
    from mcfn.allocation.result import AllocationResult


#: The options of --generate: the generator's parameters.
GENERATOR_OPTIONS = (
    "seed",
    "terminals",
    "tasks_per_terminal",
    "bandwidth_mhz",
    "capacity_gcycles",
    "degradation",
    "weight",
)


def allocate_command(
    ctx: typer.Context,
    instance: Path | None = typer.Argument(
        None, help="Instance JSON (docs/formats/allocation.md). Omit with --generate."
    ),
    scheme: Scheme = typer.Option(Scheme.PROPOSED, help="Which variables are optimised."),
    method: Method = typer.Option(
        Method.FAST,
        help="fast: the global optimum by mcfn's interior-point method; exact: the same by a conic solver "
        "(cvxpy, the reference); sca: the seed's SCA.",
    ),
    admission: bool = typer.Option(True, help="Reject tasks in the spec's order when the set is infeasible."),
    energy_weight: float | None = typer.Option(
        None,
        min=0.0,
        callback=finite,
        help="Utility lost per joule of the terminals' transmit energy (1/J), in place of the instance's "
        "energy_weight (default: the instance's, 0 if it has none: the seed's objective).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the spec's result JSON instead of a table."),
    generate: bool = typer.Option(False, "--generate", help="Print a generated instance JSON and exit."),
    seed: int = typer.Option(0, min=0, help="Random seed of --generate."),
    terminals: int = typer.Option(10, min=1, help="--generate: number of terminals."),
    tasks_per_terminal: int = typer.Option(2, min=1, help="--generate: tasks per terminal (also the VM parallelism)."),
    bandwidth_mhz: float = typer.Option(10.0, callback=finite, help="--generate: total uplink bandwidth B."),
    capacity_gcycles: float = typer.Option(100.0, callback=finite, help="--generate: edge capacity F in Gcycle/s."),
    degradation: float = typer.Option(0.1, callback=finite, help="--generate: parallel degradation factor d."),
    weight: float = typer.Option(0.5, callback=finite, help="--generate: utility weight of accuracy, between 0 and 1."),
) -> None:
    """Allocate uplink bandwidth, edge compute and compression ratios to the tasks of one base station.

    Examples: 'mcfn allocate --generate --seed 3 > i.json', then 'mcfn allocate i.json --method exact', and
    'mcfn allocate i.json --energy-weight 5' (each joule a terminal spends uploading costs 5 units of utility).
    """
    if generate and instance is not None:
        raise UserInputError("give an INSTANCE file to allocate, or --generate to make one, not both")
    require(ctx, "--generate", generate, *GENERATOR_OPTIONS)
    if generate:
        import numpy as np

        from mcfn.allocation.generator import InstanceSpec, generate_instance
        from mcfn.allocation.io import dump_instance

        spec = InstanceSpec(
            terminals=terminals,
            tasks_per_terminal=tasks_per_terminal,
            bandwidth_mhz=bandwidth_mhz,
            capacity_gcycles=capacity_gcycles,
            degradation=degradation,
            weight=weight,
        )
        generated = generate_instance(spec, np.random.default_rng(seed))
        if energy_weight is not None:
            generated = generated.replace(energy_weight=energy_weight)
        print_json(dump_instance(generated))
        return
    if instance is None:
        raise UserInputError("give an INSTANCE file, or --generate to make one")
    from mcfn.allocation.io import load_instance
    from mcfn.allocation.solve import allocate

    problem = load_instance(instance)
    if energy_weight is not None:
        problem = problem.replace(energy_weight=energy_weight)
    result = allocate(problem, scheme=scheme, method=method, admission=admission)
    if as_json:
        print_json(result.to_json_dict())
    else:
        _print_table(result)
    if result.status == "error":
        raise typer.Exit(1)


def _print_table(result: AllocationResult) -> None:
    from rich.console import Console
    from rich.table import Table

    status = result.status
    if result.tasks and result.rejected == len(result.tasks):
        status = f"no task admitted (all {result.rejected} rejected; the status {result.status!r} is of the empty set)"
    table = Table(title=f"{result.scheme} / {result.method}: {status}", title_justify="left")
    for name in ("task", "b (kHz)", "f (G/s)", "rho", "T_up (s)", "T_cmp (s)", "T (s)", "accuracy", "E_up (mJ)"):
        table.add_column(name, justify="left" if name == "task" else "right")
    for t in result.tasks:
        if t.admitted:
            table.add_row(
                t.id,
                f"{t.bandwidth_hz / 1e3:.1f}",
                f"{t.compute_hz / 1e9:.3f}",
                f"{t.compression:.3f}",
                f"{t.upload_s:.3f}",
                f"{t.compute_s:.3f}",
                f"{t.latency_s:.3f}",
                f"{t.accuracy:.4f}",
                f"{t.upload_energy_j * 1e3:.2f}",
            )
        else:
            table.add_row(t.id, "-", "-", "-", "-", "-", "-", "rejected", "-", style="dim")
    console = Console()
    console.print(table)
    console.print(
        f"utility {result.utility:.6f}   transmit energy {result.upload_energy_j * 1e3:.2f} mJ   "
        f"rejected {result.rejected}/{len(result.tasks)}   "
        f"iterations {result.iterations}   {result.solve_time_s:.3f} s   solver {result.solver or '-'}"
    )
    if result.reason:
        console.print(f"reason: {result.reason}")
