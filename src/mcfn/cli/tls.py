"""``mcfn tls``: a cluster CA and a certificate per node, for a runtime cluster over TLS."""

from __future__ import annotations

from pathlib import Path

import typer

from mcfn.cli.errors import UserInputError
from mcfn.cli.output import print_json


def tls_command(
    folder: Path = typer.Argument(..., help="Folder to write the CA and the certificates to (must hold no CA)."),
    names: list[str] = typer.Option(
        ...,
        "--name",
        help="Issue a certificate to this name (the controller, a node, a client); repeatable.",
    ),
    hosts: list[str] = typer.Option(
        [], "--host", help="A host name or IP address the certificates name (informative: peers are not checked by it)."
    ),
    days: int = typer.Option(365, min=1, help="How long the certificates are valid (days)."),
    as_json: bool = typer.Option(False, "--json", help="Print the files written as JSON."),
) -> None:
    """Write a new cluster CA (ca.pem, ca.key) and, per --name, NAME.pem and NAME.key issued by it (keys readable
    by their owner only). Give them in the scenario's runtime.tls: {ca, cert, key} (and an agent's own in its
    tls: {cert, key}); every end of the cluster then speaks TLS and accepts only peers whose certificate this CA
    issued. Needs the cryptography package (mcfn[tls])."""
    from mcfn.runtime.certs import write_cluster_tls

    if len(set(names)) != len(names):
        raise UserInputError(f"--name given twice: {sorted({n for n in names if names.count(n) > 1})}")
    written = write_cluster_tls(folder, names, hosts=hosts, days=days)
    if as_json:
        print_json({"folder": str(folder), "files": [str(path) for path in written]})
        return
    typer.echo(f"wrote a cluster CA and {len(names)} certificates to {folder}:")
    for path in written:
        typer.echo(f"  {path}")
