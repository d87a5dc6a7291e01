"""``mcfn partition``: plan where each layer of a model runs across ordered tiers (device → edge → cloud)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mcfn.cli.errors import UserInputError

if TYPE_CHECKING:
    from mcfn.models.graph import LayerGraph
    from mcfn.partition.plan import HorizontalPlan
    from mcfn.partition.tiers import Tiers
    from mcfn.partition.vertical import VerticalPlan


class CostModel(StrEnum):
    SIMPLE = "simple"
    MEASURED = "measured"


class SolveMethod(StrEnum):
    AUTO = "auto"
    CUT = "cut"
    CHAIN = "chain"


def partition_command(
    model: str | None = typer.Argument(None, help="A zoo model (see 'mcfn models list'); or use --graph."),
    graph_file: Path | None = typer.Option(
        None, "--graph", help="A layer-graph JSON file (docs/formats/layer-graph.md)."
    ),
    tiers_file: Path | None = typer.Option(None, "--tiers", help="Tiers JSON: ordered tiers and their links."),
    cost_model: CostModel = typer.Option(
        CostModel.SIMPLE,
        help="simple: flops / flops_per_s; measured: each layer's share of the model's time from --latency, the "
        "tiers' speeds still from --tiers (so a plan on one tier costs the same under both; splits differ).",
    ),
    latency_file: Path | None = typer.Option(
        None, "--latency", help="Per-node latency table from 'mcfn profile MODEL --measure' (--cost-model measured)."
    ),
    method: SolveMethod = typer.Option(SolveMethod.AUTO, help="cut (any DAG), chain (DP), auto (chain if possible)."),
    exits_file: Path | None = typer.Option(
        None, "--exits", help="Early exit: the model's exits and accuracies (JSON); use with --deadline."
    ),
    deadline_s: float | None = typer.Option(
        None, "--deadline", help="Early exit: seconds; the most accurate exit whose best split meets it."
    ),
    vertical_file: Path | None = typer.Option(
        None, "--vertical", help="Vertical split instead: compute nodes JSON (name, flops_per_s, bandwidth_bps)."
    ),
    grid: str = typer.Option("", help="Vertical: tile grid ROWSxCOLS, one tile per node [1xK]."),
    until: str | None = typer.Option(None, help="Vertical: last layer of the tiled prefix [the deepest possible]."),
    check: bool = typer.Option(
        False, "--check", help="Run the plan's parts on the real torch model and compare with the unsplit output."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the spec's result JSON instead of a summary."),
) -> None:
    """Split a model across tiers with the least end-to-end latency (exact optimum; DADS / Neurosurgeon).

    Examples: 'mcfn partition resnet18 --tiers tiers.json --json'; early exit: add '--exits FILE --deadline S';
    vertical (fused tiles over compute nodes): 'mcfn partition vgg16 --vertical nodes.json --grid 2x2'.
    """
    from mcfn.cli.output import print_json
    from mcfn.partition.horizontal import plan_horizontal
    from mcfn.partition.tiers import load_tiers

    if vertical_file is not None:
        if model is None or graph_file is not None:
            raise UserInputError("--vertical needs a zoo MODEL (it reads the layers' geometry from torch)")
        if tiers_file or exits_file or deadline_s is not None or latency_file:
            raise UserInputError("--vertical plans over compute nodes: drop --tiers, --exits, --deadline, --latency")
        _vertical(model, vertical_file, grid, until, check=check, as_json=as_json)
        return
    if grid or until:
        raise UserInputError("--grid and --until belong to a vertical split: add --vertical FILE")
    if tiers_file is None:
        raise UserInputError("give --tiers FILE (or --vertical FILE for a vertical split)")
    if check and (model is None or exits_file is not None):
        raise UserInputError("--check runs a zoo MODEL's horizontal or vertical plan (not --graph, not early exit)")
    graph = _load_graph(model, graph_file)
    tiers = load_tiers(tiers_file)
    compute_s = None
    if cost_model is CostModel.MEASURED:
        if latency_file is None:
            raise UserInputError("--cost-model measured needs --latency FILE (from 'mcfn profile MODEL --measure')")
        from mcfn.models.measure import load_latency_table
        from mcfn.partition.cost import measured_compute_s

        compute_s = measured_compute_s(graph, tiers, load_latency_table(latency_file).node_latency_s)
    elif latency_file is not None:
        raise UserInputError("--latency is used only with --cost-model measured")
    if (exits_file is None) != (deadline_s is None):
        raise UserInputError("early exit needs both --exits FILE and --deadline SECONDS")
    if exits_file is not None and deadline_s is not None:
        _early_exit(graph, tiers, exits_file, deadline_s, compute_s, as_json=as_json)
        return
    plan = plan_horizontal(graph, tiers, compute_s=compute_s, method=method.value)
    if as_json:
        print_json(plan.to_json_dict())
    else:
        _print_plan(graph, plan)
    if check and model is not None:
        _report_check(*_check_horizontal(model, plan), to_stderr=as_json)


def _check_horizontal(model: str, plan: HorizontalPlan) -> tuple[float, str]:
    """Relative difference between the plan's parts, run in turn, and the unsplit model (random weights)."""
    from mcfn.models.zoo import build_model, example_input
    from mcfn.partition.check import check_plan

    difference = check_plan(build_model(model), example_input(model), plan)
    used = sorted(set(plan.to_json_dict()["assignment"].values()), key=plan.tier_names.index)
    return difference, f"the plan's {len(used)} part(s) ({', '.join(used)})"


def _report_check(difference: float, what: str, *, to_stderr: bool) -> None:
    from mcfn.partition.check import TOLERANCE

    typer.echo(
        f"check: {what} reproduce the unsplit output to {difference:.1e} (relative to its largest magnitude)",
        err=to_stderr,
    )
    if not difference <= TOLERANCE:
        typer.echo(f"check failed: relative difference {difference:.1e} exceeds {TOLERANCE:g}", err=True)
        raise typer.Exit(1)


def _early_exit(
    graph: LayerGraph, tiers: Tiers, exits_file: Path, deadline_s: float, compute_s: Any, *, as_json: bool
) -> None:
    from mcfn.cli.output import print_json
    from mcfn.partition.early_exit import exit_graph, load_exits, plan_early_exit

    model, exits = load_exits(exits_file)
    if model != graph.name:
        raise UserInputError(f"{exits_file}: exits are for model {model!r}, the graph is {graph.name!r}")
    result = plan_early_exit(graph, tiers, exits, deadline_s=deadline_s, compute_s=compute_s)
    if as_json:
        print_json(result.to_json_dict())
    else:
        for option in result.options:
            mark = "meets" if option.meets_deadline else "misses"
            typer.echo(
                f"exit {option.exit.after:<20} accuracy {option.exit.accuracy:.4f} ({option.exit.source}): "
                f"{option.plan.latency_s:.6f} s, {mark} the deadline"
            )
        if result.chosen is not None:
            typer.echo(f"chosen: exit {result.chosen.exit.after} within {deadline_s} s")
            _print_plan(exit_graph(graph, result.chosen.exit)[0], result.chosen.plan)
    if result.chosen is None:
        fastest = min(result.options, key=lambda o: o.plan.latency_s)
        typer.echo(
            f"no exit meets the deadline of {deadline_s} s; the fastest is exit {fastest.exit.after} "
            f"at {fastest.plan.latency_s:.6f} s",
            err=True,
        )
        raise typer.Exit(1)


def _vertical(model: str, nodes_file: Path, grid: str, until: str | None, *, check: bool, as_json: bool) -> None:
    from mcfn.cli.output import print_json
    from mcfn.models.profile import profile_model
    from mcfn.models.zoo import build_model, example_input
    from mcfn.partition.vertical import load_compute_nodes, plan_vertical
    from mcfn.partition.vertical_torch import spatial_prefix

    nodes = load_compute_nodes(nodes_file)
    shape = grid or f"1x{len(nodes)}"
    try:
        rows, cols = (int(part) for part in shape.lower().split("x"))
    except ValueError:
        raise UserInputError(f"--grid: expected ROWSxCOLS such as 2x2, got {shape!r}") from None
    x = example_input(model)
    profile = profile_model(build_model(model), x, name=model)
    prefix = spatial_prefix(profile, until)
    plan = plan_vertical(prefix, nodes, (rows, cols), model=model)
    if check:
        from mcfn.partition.check import relative_difference
        from mcfn.partition.vertical_torch import prefix_output, run_vertical

        error = relative_difference(run_vertical(profile, prefix, plan, x), prefix_output(profile, prefix, x))
    if as_json:
        print_json(plan.to_json_dict())
    else:
        _print_vertical(plan)
    if check:
        _report_check(error, f"{len(plan.tiles)} stitched tiles", to_stderr=as_json)


def _print_vertical(plan: VerticalPlan) -> None:
    rows, cols = plan.grid
    typer.echo(f"{plan.model} up to {plan.until}: {rows}x{cols} tiles, halo overhead {plan.halo_overhead:.1%}")
    for t in plan.tiles:
        (r0, r1), (c0, c1) = t.region
        (i0, i1), (j0, j1) = t.input_region
        typer.echo(
            f"  {t.node:<12} rows {r0}:{r1} cols {c0}:{c1} (input {i0}:{i1} x {j0}:{j1})  "
            f"{t.flops / 1e9:.3f} GFLOP  {t.latency_s:.6f} s"
        )
    typer.echo(f"latency {plan.latency_s:.6f} s")
    for name, seconds in sorted(plan.alone_s.items(), key=lambda item: item[1]):
        typer.echo(f"  {name + ' alone':>18}: {seconds:.6f} s   speed-up x{seconds / plan.latency_s:.2f}")


def _load_graph(model: str | None, graph_file: Path | None) -> LayerGraph:
    if (model is None) == (graph_file is None):
        raise UserInputError("give either a zoo MODEL name or --graph FILE, not both or neither")
    if graph_file is not None:
        from mcfn.models.io import load_graph

        return load_graph(graph_file)
    from mcfn.models.zoo import load_zoo_graph

    return load_zoo_graph(model)


def _print_plan(graph: LayerGraph, plan: HorizontalPlan) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"{plan.model}: {len(graph.nodes)} nodes over {len(plan.tier_names)} tiers", title_justify="left"
    )
    for column in ("tier", "nodes", "GFLOP", "compute (s)", "first .. last node"):
        table.add_column(column, justify="left" if column in ("tier", "first .. last node") else "right")
    order = [graph.nodes[i].id for i in graph.topological_order]
    for k, name in enumerate(plan.tier_names):
        members = [i for i, tier in enumerate(plan.assignment) if tier == k]
        if not members:
            continue
        ids = {graph.nodes[i].id for i in members}
        placed = [node for node in order if node in ids]
        gflops = sum(graph.nodes[i].flops for i in members) / 1e9
        span = placed[0] if len(placed) == 1 else f"{placed[0]} .. {placed[-1]}"
        table.add_row(name, str(len(members)), f"{gflops:.3f}", f"{plan.breakdown.compute_s[name]:.6f}", span)
    console.print(table)
    for link, seconds in plan.breakdown.transfer_s.items():
        console.print(f"transfer {link}: {seconds:.6f} s")
    console.print(f"latency {plan.latency_s:.6f} s   (solved by {plan.method} in {plan.solve_time_s * 1e3:.1f} ms)")
    for name, seconds in plan.baselines.items():
        speed_up = f"x{seconds / plan.latency_s:.2f}" if plan.latency_s > 0 else "- (the plan takes no time)"
        console.print(f"  {name:>14}: {seconds:.6f} s   speed-up {speed_up}")
