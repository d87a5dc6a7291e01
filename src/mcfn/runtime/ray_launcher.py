"""The same agents as Ray actors, placed by resources on an existing Ray cluster (https://docs.ray.io).

Each agent becomes an async Ray actor whose one long call runs :meth:`mcfn.runtime.agent.Agent.run`: it listens,
registers with the controller over the runtime's own authenticated transport and serves stages exactly as an
agent process does — Ray only places and supervises it. An actor asks for the agent's ``cpus`` (the scenario's,
by default its ``workers``) and its ``resources`` from the runtime scenario, custom resources that name a machine
(``ray start --resources '{"cloud-gpu": 1}'``), so each agent lands on the node that holds them; an agent without
``resources`` asks for a share of ``mcfn_<tier>`` when the Ray cluster declares it (``ray start --resources
'{"mcfn_edge": 4}'``), so edge agents land on the machines that play the edge.

Before any actor starts, :meth:`RayLauncher.check` places every agent on the Ray nodes' resources (first fit,
largest demand first: the bin-packing heuristic of Johnson et al., 1974) and fails at once naming the agents that
do not fit and what they lack — Ray would keep such an actor pending for ever. A crashed actor is restarted by Ray
(up to :data:`MAX_RESTARTS` times) and its long call retried, so the agent registers again; ``ray.kill`` with no
restart ends one at once, like a crash that is not recovered. Needs the ``ray`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mcfn.runtime.agent import AgentSpec

#: Share of a tier resource one agent takes (many agents may share a machine of that tier).
TIER_SHARE = 0.01
#: How many times Ray restarts a crashed agent's actor.
MAX_RESTARTS = 10


def unplaced(demands: Mapping[str, Mapping[str, float]], nodes: Sequence[Mapping[str, float]]) -> dict[str, str]:
    """The agents of ``demands`` (resources by name, per agent) that do not fit on ``nodes`` (each node's
    resources) placed first fit, largest CPU demand first, with what each lacks; empty if all fit."""
    free = [dict(node) for node in nodes]
    missing = {}
    for agent, demand in sorted(demands.items(), key=lambda item: (-item[1].get("CPU", 0.0), item[0])):
        fit = next((node for node in free if all(node.get(k, 0.0) >= v for k, v in demand.items())), None)
        if fit is not None:
            for name, amount in demand.items():
                fit[name] -= amount
            continue
        wants = ", ".join(f"{name} {amount:g}" for name, amount in sorted(demand.items()))
        most = {name: max((node.get(name, 0.0) for node in free), default=0.0) for name in demand}
        short = ", ".join(f"{name} {most[name]:g}" for name in sorted(demand) if most[name] < demand[name])
        missing[agent] = f"needs {wants}; no node has that free (the most any has left: {short or 'not all at once'})"
    return missing


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

    def check(self, specs: Sequence[AgentSpec]) -> None:
        """``ValueError`` naming every agent of ``specs`` that the Ray cluster's nodes cannot place, and why."""
        nodes = [node["Resources"] for node in self._ray.nodes() if node.get("Alive")]
        demands = {spec.node_id: {"CPU": float(spec.cpus), **self._resources(spec)} for spec in specs}
        missing = unplaced(demands, nodes)
        if missing:
            why = "; ".join(f"agent {agent} {reason}" for agent, reason in sorted(missing.items()))
            raise ValueError(f"the Ray cluster cannot place every agent: {why}")

    def start(self, spec: AgentSpec) -> None:
        """Start the agent's actor; ``ValueError`` if the cluster cannot place it (:meth:`check`)."""
        self.check([spec])
        actor = self._actor.options(
            name=f"mcfn-agent-{spec.node_id}",
            num_cpus=spec.cpus,
            resources=self._resources(spec),
            max_restarts=MAX_RESTARTS,
            max_task_retries=-1,
        ).remote(spec)
        self._actors[spec.node_id] = actor
        self._runs[spec.node_id] = actor.run.remote()  # runs until the actor is killed

    def stop(self, node_id: str) -> None:
        """Kill the agent's actor (no restart: the cluster decides whether to start another)."""
        self._runs.pop(node_id)
        self._ray.kill(self._actors.pop(node_id), no_restart=True)

    def alive(self, node_id: str) -> bool:
        """True while the agent was started and not stopped: Ray restarts a crashed actor itself."""
        return node_id in self._actors

    def _resources(self, spec: AgentSpec) -> dict[str, float]:
        """The custom resources the agent's actor asks for (module docstring)."""
        tier = f"mcfn_{spec.tier}"
        return dict(spec.resources) or ({tier: TIER_SHARE} if tier in self._ray.cluster_resources() else {})


class _AgentActor:
    """An agent in a Ray actor (made remote by :class:`RayLauncher`, so importing this module needs no Ray)."""

    def __init__(self, spec: AgentSpec) -> None:
        self._spec = spec

    async def run(self) -> None:
        from mcfn.runtime.agent import Agent

        await Agent(self._spec).run()
