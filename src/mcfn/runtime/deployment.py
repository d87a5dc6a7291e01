"""Service deployment in the runtime: the controller's view of which stages each agent holds, the policy that
decides loads and evictions (:mod:`mcfn.deployment`, the simulator's interface and policies), and the commands that
carry them out on the agents.

Every stage of every model is an item (:class:`~mcfn.deployment.Item`: its layers' weights and peak activations,
:class:`~mcfn.runtime.plan.StagePlan`); a node's memory is the scenario's ``memory_bytes`` of its compute node. At
start each agent loads what the policy preloads (``static``: its stages in catalogue order while they fit;
the caches: nothing), and its hello tells the controller what it holds. Then, as in the simulator
(:mod:`mcfn.sim.deployment`):

- the router sees the deployed state (:meth:`RuntimeDeployment.charge`, :mod:`mcfn.deployment.charge`): a candidate
  without the stage is charged its load — the last load measured there, or before any the estimate
  ``load_overhead_s + weights · 8 / storage_read_bps`` (:func:`mcfn.deployment.load_s`) — and one where the policy
  cannot make room is ruled out, so the request goes elsewhere when a cold start does not pay;
- for a placed stage that its agent does not hold, the controller asks the policy for victims, commands an
  ``unload`` of each, then a ``load``; the agent builds the module (the real cold start, timed there) and answers
  with the seconds and the bytes it measured. The request waits for it: its cold start. A request waiting for a
  load under way on the same node waits for what is left. A stage in use by a request in flight is pinned and never
  evicted, and the deployed state refuses any load that would exceed a node's memory (the agent refuses it too).

``optimal`` and ``follow-me`` are not offered here: the runtime's requests enter at one ingress with no cells, users
or handovers, so there is no demand per cell to place for nor a user to follow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, field_validator

from mcfn.deployment import DeployedState, Item, load_s, make_deployment_policy
from mcfn.deployment.charge import charge_cold_starts, cold_start_s
from mcfn.runtime.messages import Load, Loaded
from mcfn.runtime.wire import Message
from mcfn.validation import StrictModel

if TYPE_CHECKING:
    from mcfn.compute.fleet import Fleet
    from mcfn.routing.costs import CandidateCosts
    from mcfn.runtime.plan import ModelPlan

#: The deployment policies the runtime offers (module docstring).
RUNTIME_POLICIES: tuple[str, ...] = ("static", "lru", "lfu", "greedy-dual")

#: What a command to an agent is sent with: ``(node id, message) -> answer``.
Command = Callable[[str, Message], Awaitable[Message]]


class DeploymentSpec(StrictModel):
    """A runtime scenario's ``deployment``: the policy, and the load-time estimate used until a load is measured
    (the simulator's assumed defaults: 1 GB/s storage, 50 ms per load)."""

    policy: str = "static"
    storage_read_bps: Annotated[float, Field(gt=0)] = 8e9
    load_overhead_s: Annotated[float, Field(ge=0)] = 0.05

    @field_validator("policy")
    @classmethod
    def _offered(cls, policy: str) -> str:
        if policy not in RUNTIME_POLICIES:
            raise ValueError(
                f"deployment policy {policy!r} is not offered by the runtime; valid: {', '.join(RUNTIME_POLICIES)}"
            )
        return policy


class DeploymentError(Exception):
    """A stage that cannot be loaded on ``node_id`` (no room can be made, or the agent refused), saying why."""

    def __init__(self, node_id: str, reason: str) -> None:
        super().__init__(reason)
        self.node_id = node_id
        self.reason = reason


def stage_items(plans: Mapping[str, ModelPlan]) -> list[Item]:
    """One item per stage of every plan, in catalogue order (by model, then stage)."""
    return [
        Item(item_id=stage.service_id, weights_bytes=stage.weights_bytes, activation_bytes=stage.activation_bytes)
        for model in sorted(plans)
        for stage in plans[model].stages
    ]


class RuntimeDeployment:
    """The deployed state of the agents of ``fleet`` hosting ``hosted`` stages (by node) of ``plans``, under
    ``spec``'s policy (module docstring). Nodes and items are indexed as in the fleet and :func:`stage_items`."""

    def __init__(
        self,
        spec: DeploymentSpec,
        *,
        fleet: Fleet,
        plans: Mapping[str, ModelPlan],
        hosted: Mapping[str, Sequence[str]],
    ) -> None:
        self.spec = spec
        items = stage_items(plans)
        self._fleet = fleet
        self._item = {item.item_id: i for i, item in enumerate(items)}
        self.state = DeployedState([node.memory_bytes for node in fleet.nodes], items)
        read_bps, overhead_s = spec.storage_read_bps, spec.load_overhead_s
        estimate = [load_s(it.weights_bytes, read_bps=read_bps, overhead_s=overhead_s) for it in items]
        #: Seconds a load of each item takes on each node: the estimate, then the last one measured there.
        self.load_s = np.tile(np.asarray(estimate), (len(fleet.nodes), 1))
        self.policy = make_deployment_policy(
            spec.policy, cost_s=estimate, size_bytes=self.state.item_bytes, nodes=len(fleet.nodes), period_s=1.0
        )
        self._hosts = [sorted(self._item[s] for s in hosted.get(node.node_id, ())) for node in fleet.nodes]
        self._locks: dict[int, asyncio.Lock] = {}
        #: Loads commanded, evictions commanded, and the seconds the agents measured loading.
        self.loads = 0
        self.evictions = 0
        self.load_seconds = 0.0

    def preload(self, node_id: str) -> tuple[str, ...]:
        """The stages the agent of ``node_id`` loads at start (the policy's :meth:`initial` on empty nodes)."""
        empty = DeployedState(self.state.capacity_bytes, self.state.items)
        j = self._fleet.index[node_id]
        chosen = self.policy.initial(empty, self._hosts)
        return tuple(self.state.items[i].item_id for n, i in chosen if n == j)

    def register(self, node_id: str, loaded: Sequence[str]) -> None:
        """The agent of ``node_id`` holds ``loaded`` (its hello); ``ValueError`` if they are unknown or exceed the
        node's memory."""
        unknown = sorted(set(loaded) - set(self._item))
        if unknown:
            raise ValueError(f"agent {node_id} holds unknown stages {unknown}")
        self.state.replace(self._fleet.index[node_id], [self._item[s] for s in loaded])

    def capacity_bytes(self, node_id: str) -> float:
        """The memory of ``node_id`` for its stages."""
        return float(self.state.capacity_bytes[self._fleet.index[node_id]])

    def charge(self, service_id: str, costs: CandidateCosts) -> None:
        """Charge each candidate of a routing decision for ``service_id`` its cold start (module docstring)."""
        item = self._item[service_id]
        penalty = cold_start_s(
            self.state,
            self.policy,
            item,
            costs.nodes,
            arrive_s=costs.start_s + costs.in_s,
            load_s=self.load_s[:, item],
            now_s=costs.start_s,
        )
        charge_cold_starts(costs, penalty)

    def pending_s(self, node_id: str, service_id: str) -> float:
        """Seconds a request placing ``service_id`` on ``node_id`` now would wait for its load (0 if loaded)."""
        j, i = self._fleet.index[node_id], self._item[service_id]
        return 0.0 if self.state.holds(j, i) else float(self.load_s[j, i])

    def pin(self, placed: Sequence[tuple[str, str]]) -> None:
        """Pin the ``(stage, node)`` pairs of a request in flight (:meth:`unpin` when it ends)."""
        for service_id, node_id in placed:
            self.state.pin(self._fleet.index[node_id], self._item[service_id])

    def unpin(self, placed: Sequence[tuple[str, str]]) -> None:
        for service_id, node_id in placed:
            self.state.unpin(self._fleet.index[node_id], self._item[service_id])

    async def ensure(self, service_id: str, node_id: str, command: Command) -> float:
        """Make ``service_id`` loaded on ``node_id`` (pinned there by the caller), commanding the evictions and the
        load; the seconds the agent measured loading it (0 if it was loaded). Raises :class:`DeploymentError`."""
        j, i = self._fleet.index[node_id], self._item[service_id]
        self.policy.used(j, i, asyncio.get_running_loop().time())
        if self.state.holds(j, i):
            return 0.0
        async with self._locks.setdefault(j, asyncio.Lock()):  # one node's loads and evictions in order
            if self.state.holds(j, i):  # loaded by the request this one waited for
                return 0.0
            victims = self.policy.victims(self.state, j, i, asyncio.get_running_loop().time())
            if victims is None:
                raise DeploymentError(
                    node_id,
                    f"no room for stage {service_id} ({self.state.item_bytes[i]:g} bytes) in the "
                    f"{self.state.capacity_bytes[j]:g} bytes of {node_id}: {self.spec.policy} evicts nothing in use",
                )
            for victim in victims:
                self.state.evict(j, victim)
                self.policy.evicted(j, victim)
                self.evictions += 1
                await self._command(command, node_id, "unload", self.state.items[victim].item_id)
            self.state.reserve(j, i, asyncio.get_running_loop().time() + self.load_s[j, i])
            try:
                answer = await self._command(command, node_id, "load", service_id)
            except DeploymentError:
                self.state.abandon(j, i)
                raise
            self.state.ready(j, i)
            self.loads += 1
            self.load_seconds += answer.load_s
            self.load_s[j, i] = answer.load_s
            return answer.load_s

    @staticmethod
    async def _command(command: Command, node_id: str, kind: str, service_id: str) -> Loaded:
        """Send ``kind`` of ``service_id`` to the agent of ``node_id``; its answer, or :class:`DeploymentError`."""
        answer = await command(node_id, Message(kind=kind, fields=Load(stage=service_id).model_dump()))
        if answer.kind != "loaded":
            raise DeploymentError(node_id, f"{kind} of {service_id}: {answer.fields.get('reason', answer.kind)}")
        return Loaded.model_validate(answer.fields)

    def summary(self) -> dict[str, object]:
        """The policy, and the loads and evictions commanded so far with the seconds the agents measured loading."""
        return {
            "policy": self.spec.policy,
            "loads": self.loads,
            "evictions": self.evictions,
            "load_s": self.load_seconds,
        }
