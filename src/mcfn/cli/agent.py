"""``mcfn agent``: one agent, on a machine of its own, joining a cluster that ``mcfn serve --external`` started."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from mcfn.cli.errors import UserInputError
from mcfn.cli.output import print_json
from mcfn.cli.serve import DEPLOYMENT_HELP
from mcfn.runtime.access import DEFAULT_CLUSTER_FILE

if TYPE_CHECKING:
    import asyncio

    from mcfn.runtime.agent import Agent


def agent_command(
    scenario: Path = typer.Argument(
        ..., help="The runtime cluster YAML the cluster was started from (the same file and latency tables)."
    ),
    node: str = typer.Option(..., "--node", help="The scenario's node whose agent this is."),
    controller: str | None = typer.Option(
        None,
        "--controller",
        help="HOST:PORT of the controller. Default: from the cluster file. The cluster secret always comes from "
        "$MCFN_CLUSTER_TOKEN.",
    ),
    cluster_file: Path = typer.Option(
        DEFAULT_CLUSTER_FILE, "--cluster-file", help="Written by mcfn serve: the controller's address."
    ),
    host: str | None = typer.Option(
        None, "--host", help="Interface to listen on (default: the scenario's runtime.host; 0.0.0.0 for every one)."
    ),
    register_timeout_s: float = typer.Option(
        120.0, min=1, help="Give up if the controller has not registered the agent within this time (s)."
    ),
    duration_s: float | None = typer.Option(
        None, "--duration-s", min=0, help="Stop after this many seconds (default: until Ctrl-C or SIGTERM)."
    ),
    deployment: str | None = typer.Option(
        None,
        "--deployment",
        help=DEPLOYMENT_HELP,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the agent's address as JSON once it is registered."),
) -> None:
    """Start the agent of NODE here: build its stages, register with the controller, serve until stopped.

    The controller refuses an agent whose plans differ from its own (another scenario file or latency tables).
    """
    import asyncio
    import contextlib
    import logging
    import os
    import signal

    from rich.console import Console

    from mcfn.runtime import loop as event_loop
    from mcfn.runtime.access import TOKEN_ENV, ClusterAccess
    from mcfn.runtime.agent import Agent
    from mcfn.runtime.auth import ClusterKeys, check_token
    from mcfn.runtime.cluster import agent_spec, load_runtime_scenario
    from mcfn.runtime.device import torch_device

    if controller is None:
        access = ClusterAccess.read(cluster_file)
        address = (access.host, access.port)
    else:
        address = parse_address(controller)
    secret = os.environ.get(TOKEN_ENV, "")
    if not secret:
        raise UserInputError(f"an agent needs the cluster secret in ${TOKEN_ENV} (the cluster file admits clients)")
    check_token(secret.encode())
    runtime = load_runtime_scenario(scenario)
    if deployment is not None:
        runtime = runtime.with_deployment(deployment)
    keys = ClusterKeys(secret, [entry.node for entry in runtime.agents])
    spec = agent_spec(runtime, node, controller=address, agent_secret=keys.agent_secret, host=host, supervised=False)
    torch_device(spec.device)
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    console = Console(stderr=True)
    with console.status(f"building the stages of {node}"):
        agent = Agent(spec)
    where = f"{address[0]}:{address[1]}"

    async def main() -> None:
        stop = asyncio.current_task()
        if stop is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.cancel)
        serving = asyncio.create_task(agent.run())
        try:
            with console.status(f"registering with the controller at {where}"):
                await _registered(agent, serving, timeout_s=register_timeout_s, where=where)
            report = {"node": node, "tier": spec.tier, "address": f"{spec.host}:{agent.port}", "controller": where}
            if as_json:
                print_json(report | {"stages": list(spec.stages)})
            else:
                typer.echo(f"agent {node} ({spec.tier}) on {report['address']}, registered with {where}")
                typer.echo(f"  stages {', '.join(spec.stages)}; serving, stop with Ctrl-C")
            with contextlib.suppress(TimeoutError):  # --duration-s is over
                await asyncio.wait_for(asyncio.shield(serving), duration_s)
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)

    try:
        event_loop.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        typer.echo("stopped", err=True)


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[IPv6]:PORT`` too) as a pair; ``UserInputError`` naming what is wrong."""
    host, colon, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserInputError(f"--controller {text!r}: expected HOST:PORT with a port in 1-65535")
    return host, int(port)


async def _registered(agent: Agent, serving: asyncio.Task[None], *, timeout_s: float, where: str) -> None:
    """Return once the controller has registered ``agent``; a one-line error if it cannot listen, or is not
    registered within ``timeout_s`` (saying why its last attempt failed)."""
    import asyncio

    registered = asyncio.ensure_future(agent.registered.wait())
    done, _ = await asyncio.wait({registered, serving}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    registered.cancel()
    if serving in done:
        try:
            serving.result()
        except OSError as exc:
            raise UserInputError(f"agent {agent.spec.node_id} cannot listen on {agent.spec.host}: {exc}") from None
    if registered not in done:
        why = agent.unregistered_because or "no answer"
        raise UserInputError(
            f"the controller at {where} did not register {agent.spec.node_id} within {timeout_s:g} s: {why}"
        )
