"""``mcfn models``: the shipped zoo of layer graphs (list, export)."""

from __future__ import annotations

import typer

models_app = typer.Typer(
    name="models",
    help="The model zoo: layer graphs of torchvision classifiers (docs/formats/layer-graph.md).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@models_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the zoo's models with their size and cost."""
    from mcfn.cli.output import print_json
    from mcfn.models.zoo import load_zoo_graph, zoo_names

    rows = []
    for name in zoo_names():
        graph = load_zoo_graph(name)
        rows.append(
            {
                "name": name,
                "nodes": len(graph.nodes),
                "gflops": graph.total_flops / 1e9,
                "param_mb": graph.total_param_bytes / 1e6,
                "input_shape": list(graph.input_shape),
            }
        )
    if as_json:
        print_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="mcfn model zoo (flops: a multiply-accumulate is 2)", title_justify="left")
    for column in ("model", "nodes", "GFLOP", "params (MB)", "input"):
        table.add_column(column, justify="left" if column in ("model", "input") else "right")
    for r in rows:
        table.add_row(r["name"], str(r["nodes"]), f"{r['gflops']:.3f}", f"{r['param_mb']:.1f}", str(r["input_shape"]))
    Console().print(table)


@models_app.command("export")
def export_command(name: str = typer.Argument(..., help="A zoo model (see 'mcfn models list').")) -> None:
    """Print the model's layer-graph JSON on stdout."""
    from mcfn.models.zoo import zoo_text

    typer.echo(zoo_text(name), nl=False)


@models_app.command("random")
def random_command(
    nodes: int = typer.Argument(..., help="Number of nodes, the input included."),
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """Print a random DNN-like layer graph (skip connections, CNN-range costs) for tests and benchmarks."""
    import numpy as np

    from mcfn.models.io import graph_to_text
    from mcfn.models.synthetic import random_layer_graph

    graph = random_layer_graph(np.random.default_rng(seed), nodes, name=f"random-{nodes}-{seed}")
    typer.echo(graph_to_text(graph), nl=False)
