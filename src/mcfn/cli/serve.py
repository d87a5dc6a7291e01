"""``mcfn serve``: start a local cluster (a controller and one agent process per node) from a runtime scenario."""

from __future__ import annotations

from pathlib import Path

import typer

from mcfn.cli.errors import UserInputError
from mcfn.cli.output import print_json
from mcfn.runtime.access import DEFAULT_CLUSTER_FILE

#: The help of ``--deployment`` (here and in ``mcfn agent``).
DEPLOYMENT_HELP = (
    "Deployment policy: static, lru, lfu or greedy-dual. Agents hold only the stages it loads, within their node's "
    "memory_bytes (default: the scenario's runtime.deployment; none: every stage loaded)."
)


def serve_command(
    scenario: Path = typer.Argument(
        ..., help="Runtime cluster YAML (docs/formats/runtime-cluster.md; examples/runtime.yaml)."
    ),
    cluster_file: Path = typer.Option(
        DEFAULT_CLUSTER_FILE, "--cluster-file", help="Where to write the address and token for clients."
    ),
    duration_s: float | None = typer.Option(
        None, "--duration-s", min=0, help="Stop after this many seconds (default: until Ctrl-C)."
    ),
    ready_timeout_s: float = typer.Option(120.0, min=1, help="How long the agents may take to start (s)."),
    ray_address: str | None = typer.Option(
        None,
        "--ray-address",
        help="Place the agents as Ray actors on this Ray cluster (needs mcfn[ray]); with agents on other machines "
        "set the scenario's runtime.host to 0.0.0.0.",
    ),
    external: list[str] = typer.Option(
        [],
        "--external",
        help="A node whose agent is started by hand, on its own machine ('mcfn agent'), not here; repeatable. "
        "Needs $MCFN_CLUSTER_TOKEN.",
    ),
    deployment: str | None = typer.Option(
        None,
        "--deployment",
        help=DEPLOYMENT_HELP,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the cluster's status as JSON once it is ready."),
) -> None:
    """Start a controller and the scenario's agents on this machine (loopback unless the scenario says
    otherwise) and serve until stopped (Ctrl-C or SIGTERM). The cluster secret comes from $MCFN_CLUSTER_TOKEN or
    is generated; the client token derived from it (which admits clients only, not agents) is written,
    owner-readable only, to the cluster file that 'mcfn infer' and 'mcfn load' read.
    An --external node's agent is not started here: the command prints the 'mcfn agent' line to run on its machine
    and waits (--ready-timeout-s) until it has registered.
    """
    import asyncio
    import os
    import signal
    import socket

    from mcfn.runtime import loop as event_loop
    from mcfn.runtime.access import TOKEN_ENV, ClusterAccess
    from mcfn.runtime.cluster import LocalCluster, load_runtime_scenario

    if external and not os.environ.get(TOKEN_ENV):
        raise UserInputError(f"--external agents need the cluster token: set ${TOKEN_ENV} here and where they run")
    runtime = load_runtime_scenario(scenario)
    if deployment is not None:
        runtime = runtime.with_deployment(deployment)
    launcher, advertised_host = None, None
    if ray_address is not None:
        from mcfn.runtime.ray_launcher import RayLauncher

        launcher = RayLauncher(address=ray_address)
        advertised_host = launcher.driver_host if runtime.host in ("0.0.0.0", "::") else None

    async def main() -> None:
        # SIGTERM stops the cluster as Ctrl-C does; a server started in the background (where the shell ignores
        # SIGINT, POSIX "Asynchronous lists") can only be stopped so
        stop = asyncio.current_task()
        if stop is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.cancel)
        cluster = LocalCluster(
            runtime,
            token=os.environ.get(TOKEN_ENV),
            launcher=launcher,
            advertised_host=advertised_host,
            external=external,
        )
        async with cluster:
            from rich.console import Console

            console = Console(stderr=True)
            host, port = cluster.address
            reachable = socket.getfqdn() if host in ("0.0.0.0", "::") else host
            for node in external:
                console.print(
                    f"start the agent of {node} on its machine, with ${TOKEN_ENV} set:\n"
                    f"  mcfn agent {scenario} --node {node} --controller {reachable}:{port}",
                    highlight=False,
                    soft_wrap=True,
                )
            with console.status(f"starting {len(cluster.node_ids)} agents"):
                try:
                    await cluster.wait_ready(timeout_s=ready_timeout_s)
                except TimeoutError:
                    missing = sorted(set(cluster.node_ids) - set(cluster.controller.live_agents))
                    raise ValueError(
                        f"agents did not start within {ready_timeout_s:g} s: {', '.join(missing)}"
                    ) from None
            ClusterAccess(host=host, port=port, token=cluster.keys.client_token, tls=runtime.tls).write(cluster_file)
            if as_json:
                print_json(
                    {"address": f"{host}:{port}", "cluster_file": str(cluster_file)} | cluster.controller.status()
                )
            else:
                typer.echo(f"controller on {host}:{port}; cluster file {cluster_file}")
                for agent in cluster.controller.status()["agents"]:
                    loaded = "" if runtime.deployment is None else f"; loaded: {', '.join(agent['loaded']) or 'none'}"
                    typer.echo(
                        f"  {agent['node']:<10} {agent['tier']:<8} {agent['address']:<22} "
                        f"{', '.join(agent['stages'])}{loaded}"
                    )
                typer.echo("serving; stop with Ctrl-C")
            try:
                await asyncio.sleep(duration_s if duration_s is not None else float("inf"))
            finally:
                cluster_file.unlink(missing_ok=True)

    try:
        event_loop.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        typer.echo("stopped", err=True)
