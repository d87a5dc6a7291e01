"""``mcfn infer``: one split inference on a running cluster, with its per-stage timing breakdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mcfn.cli.errors import UserInputError
from mcfn.cli.output import print_json
from mcfn.runtime.access import DEFAULT_CLUSTER_FILE


def infer_command(
    model: str = typer.Option(..., "--model", help="A model the cluster serves, e.g. resnet18 or tiny-resnet."),
    input_file: Path | None = typer.Option(None, "--input", help="Input tensor as a .npy file (float32-castable)."),
    random: bool = typer.Option(False, "--random", help="Use a random input of the model's shape."),
    seed: int = typer.Option(0, help="Seed of the --random input."),
    output_file: Path | None = typer.Option(None, "--output", help="Write the output tensor to this .npy file."),
    deadline_s: float | None = typer.Option(None, "--deadline-s", min=0, help="Deadline (s); the model's default."),
    policy: str | None = typer.Option(None, help="Routing policy for this request (default: the cluster's)."),
    cluster_file: Path = typer.Option(DEFAULT_CLUSTER_FILE, "--cluster-file", help="Written by mcfn serve."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON instead of a table."),
) -> None:
    """Run one input through MODEL on the cluster and print the output and the time each stage took."""
    import numpy as np

    from mcfn.runtime import loop as event_loop
    from mcfn.runtime.access import ClusterAccess
    from mcfn.runtime.client import Client
    from mcfn.runtime.controller import InferError

    if (input_file is None) == (not random):
        raise UserInputError("give exactly one of --input FILE.npy and --random")
    access = ClusterAccess.read(cluster_file)
    tls = access.client_context()
    tensor = _input(model, input_file, seed)

    async def main() -> Any:
        client = Client(access.host, access.port, token=access.token, tls=tls)
        try:
            return await client.infer(model, tensor, deadline_s=deadline_s, policy=policy)
        finally:
            await client.close()

    try:
        reply = event_loop.run(main())
    except (ConnectionError, OSError) as exc:
        raise UserInputError(f"cannot reach the cluster at {access.host}:{access.port}: {exc}") from None
    except InferError as exc:  # the cluster's reason
        raise UserInputError(str(exc)) from None
    if output_file is not None:
        np.save(output_file, reply.output)
    document = reply.fields | {
        "output_shape": list(reply.output.shape),
        "argmax": int(np.argmax(reply.output.reshape(reply.output.shape[0], -1)[0])),
    }
    if as_json:
        print_json(document)
    else:
        _print_table(document)


def _input(model: str, path: Path | None, seed: int) -> Any:
    import numpy as np

    from mcfn.runtime.models import input_shape

    if path is None:
        try:
            shape = input_shape(model)
        except ValueError as exc:
            raise UserInputError(str(exc)) from None
        return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UserInputError(f"cannot read {path} as a .npy array: {exc}") from None
    if not np.issubdtype(array.dtype, np.number):
        raise UserInputError(f"{path}: the input must be numeric, got {array.dtype}")
    return array.astype(np.float32)


def _print_table(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{document['model']}: {document['latency_s'] * 1e3:.2f} ms", title_justify="left")
    for name in ("stage", "node", "network (ms)", "queue (ms)", "compute (ms)", "predicted (ms)"):
        table.add_column(name, justify="left" if name in ("stage", "node") else "right")
    for s in document["stages"]:
        predicted = s["predicted_network_s"] + s["predicted_queue_s"] + s["predicted_compute_s"]
        table.add_row(
            s["stage"],
            s["node"],
            *(f"{s[key] * 1e3:.2f}" for key in ("network_s", "queue_s", "compute_s")),
            f"{predicted * 1e3:.2f}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"predicted {document['predicted_latency_s'] * 1e3:.2f} ms, attempts {document['attempts']}, "
        f"output {document['output_shape']}, argmax {document['argmax']}"
    )
