"""The same agents as Ray actors, placed by resources on an existing Ray cluster (https://docs.ray.io).

Each agent becomes an async Ray actor whose one long call runs :meth:`mcfn.runtime.agent.Agent.run`: it listens,
registers with the controller over the runtime's own authenticated transport and serves stages exactly as an
agent process does — Ray only places and supervises it. An actor asks for ``workers`` CPUs and the agent's
``resources`` from the runtime scenario, custom resources that name a machine (``ray start --resources
'{"cloud-gpu": 1}'``), so each agent lands on the node that holds them; an agent without ``resources`` asks for a
share of ``mcfn_<tier>`` when the Ray cluster declares it (``ray start --resources '{"mcfn_edge": 4}'``), so edge
agents land on the machines that play the edge. ``ray.kill`` ends one at once, like a crash. Needs the ``ray``
extra.
"""

from __future__ import annotations

from typing import Any

from mcfn.runtime.agent import AgentSpec

#: Share of a tier resource one agent takes (many agents may share a machine of that tier).
TIER_SHARE = 0.01


class RayLauncher:
    """Starts agents as Ray actors on the Ray cluster at ``address`` (``ray.init`` is called if needed)."""

    def __init__(self, *, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ValueError("agents as Ray actors need Ray: pip install 'mcfn[ray]'") from None
        if not ray.is_initialized():
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError) as exc:
                raise ValueError(f"cannot join the Ray cluster at {address}: {exc}") from None
        self._ray = ray
        self._actor = ray.remote(_AgentActor)
        self._actors: dict[str, Any] = {}
        self._runs: dict[str, Any] = {}

    @property
    def driver_host(self) -> str:
        """This machine's address as the Ray cluster sees it (where remote agents find the controller)."""
        return str(self._ray.util.get_node_ip_address())

    def start(self, spec: AgentSpec) -> None:
        """Start the agent's actor; ``ValueError`` if it asks for resources that no node of the cluster declares
        (Ray would keep it pending for ever)."""
        declared = self._ray.cluster_resources()
        tier = f"mcfn_{spec.tier}"
        resources = dict(spec.resources) or ({tier: TIER_SHARE} if tier in declared else {})
        missing = sorted(set(resources) - set(declared))
        if missing:
            raise ValueError(f"agent {spec.node_id}: no node of the Ray cluster declares the resources {missing}")
        actor = self._actor.options(
            name=f"mcfn-agent-{spec.node_id}", num_cpus=spec.workers, resources=resources, max_restarts=0
        ).remote(spec)
        self._actors[spec.node_id] = actor
        self._runs[spec.node_id] = actor.run.remote()  # runs until the actor is killed

    def stop(self, node_id: str) -> None:
        """Kill the agent's actor (no restart: the cluster decides whether to start another)."""
        self._runs.pop(node_id)
        self._ray.kill(self._actors.pop(node_id), no_restart=True)


class _AgentActor:
    """An agent in a Ray actor (made remote by :class:`RayLauncher`, so importing this module needs no Ray)."""

    def __init__(self, spec: AgentSpec) -> None:
        self._spec = spec

    async def run(self) -> None:
        from mcfn.runtime.agent import Agent

        await Agent(self._spec).run()
