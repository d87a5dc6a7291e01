"""``mcfn profile``: profile a zoo model live with torch.fx, and optionally time every node on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mcfn.cli.errors import UserInputError, require


def profile_command(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="A zoo model (see 'mcfn models list')."),
    measure: bool = typer.Option(False, "--measure", help="Time every node here (warm-up, then medians)."),
    out: Path | None = typer.Option(None, "--out", help="With --measure: latency table file [MODEL.latency.json]."),
    warmup: int = typer.Option(3, min=0, help="With --measure: untimed passes first."),
    repeats: int = typer.Option(10, min=1, help="With --measure: timed passes; each node's median is kept."),
    device: str = typer.Option("cpu", help="With --measure: torch device to time on, e.g. cpu or cuda."),
    as_json: bool = typer.Option(False, "--json", help="Print the layer graph (or the latency table) as JSON."),
) -> None:
    """Trace MODEL with torch.fx and report its layer graph; --measure writes a per-node latency table.

    The table feeds 'mcfn partition MODEL --cost-model measured --latency FILE'. Needs the torch extra.
    """
    require(ctx, "--measure", measure, "out", "warmup", "repeats", "device")
    if measure:
        _check_device(device)
    from mcfn.cli.output import print_json
    from mcfn.models.io import dump_graph
    from mcfn.models.profile import profile_model
    from mcfn.models.zoo import build_model, example_input

    example = example_input(model)
    profile = profile_model(build_model(model), example, name=model)
    graph = profile.graph
    if not measure:
        if as_json:
            print_json(dump_graph(graph))
            return
        typer.echo(
            f"{model}: {len(graph.nodes)} nodes, {graph.total_flops / 1e9:.3f} GFLOP, "
            f"{graph.total_param_bytes / 1e6:.1f} MB of parameters, input {list(graph.input_shape)}"
        )
        for node in sorted(graph.nodes, key=lambda n: -n.flops)[:5]:
            typer.echo(f"  {node.id:<24} {node.op:<20} {node.flops / 1e9:8.3f} GFLOP")
        return
    from mcfn.models.measure import measure_latency

    table = measure_latency(profile.module, example, name=model, warmup=warmup, repeats=repeats, device=device)
    path = out or Path(f"{model}.latency.json")
    path.write_text(json.dumps(table.to_json_dict(), indent=1) + "\n", encoding="utf-8")
    if as_json:
        print_json(table.to_json_dict())
        return
    total = sum(table.node_latency_s.values())
    typer.echo(f"{model}: {len(table.node_latency_s)} nodes timed on {table.machine}")
    typer.echo(f"  sum of node medians {total * 1e3:.1f} ms, effective {graph.total_flops / total / 1e9:.1f} GFLOP/s")
    typer.echo(f"  latency table: {path}")


def _check_device(device: str) -> None:
    """Refuse a device name torch does not know, or a device this machine does not have, before profiling."""
    import torch

    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise UserInputError(f"--device: {device!r} is not a torch device; try cpu or cuda") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise UserInputError(f"--device: {device!r} asked, but torch sees no CUDA device here; try cpu")
    if parsed.type not in ("cpu", "cuda"):
        raise UserInputError(f"--device: {device!r}: mcfn times layers on cpu or cuda")
