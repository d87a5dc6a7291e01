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

``optimal`` places every ``period_s`` (at the first request after each period: the runtime is driven by its
requests): the MILP of :func:`mcfn.deployment.solve_placement` over the demand the controller counted per model in
the period just ended, one choice per assignment of a model's stages to the live agents hosting them
(:func:`placement_problem`); the controller evicts each node's unplanned stages not in use and loads its planned
ones as room allows; between plans a miss evicts only unplanned stages. ``follow-me`` is not offered: the runtime's
requests enter at one ingress, with no users or handovers to follow.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, field_validator

from mcfn.deployment import DeployedState, Item, PlacementProblem, PlacementResult, load_s, make_deployment_policy
from mcfn.deployment.charge import charge_cold_starts
from mcfn.runtime.messages import Load, Loaded
from mcfn.runtime.wire import Message
from mcfn.validation import StrictModel

if TYPE_CHECKING:
    from mcfn.compute.fleet import Fleet
    from mcfn.routing.costs import CandidateCosts
    from mcfn.runtime.plan import ModelPlan, StagePlan

#: Share of an agent's workers' seconds per second the optimal placement may plan for (assumed, as the simulator's
#: :data:`mcfn.sim.deployment.PLANNED_UTILISATION`: queues stay short below it).
PLANNED_UTILISATION = 0.9
#: Most choices (assignments of a model's stages to agents) the placement considers per model.
MAX_CHOICES = 256

#: The deployment policies the runtime offers (module docstring).
RUNTIME_POLICIES: tuple[str, ...] = ("static", "lru", "lfu", "greedy-dual", "optimal")

#: What a command to an agent is sent with: ``(node id, message) -> answer``.
Command = Callable[[str, Message], Awaitable[Message]]


class DeploymentSpec(StrictModel):
    """A runtime scenario's ``deployment``: the policy, the load-time estimate used until a load is measured (the
    simulator's assumed defaults: 1 GB/s storage, 50 ms per load), and ``optimal``'s period."""

    policy: str = "static"
    storage_read_bps: Annotated[float, Field(gt=0)] = 8e9
    load_overhead_s: Annotated[float, Field(ge=0)] = 0.05
    period_s: Annotated[float, Field(gt=0)] = 10.0

    @field_validator("policy")
    @classmethod
    def _offered(cls, policy: str) -> str:
        if policy not in RUNTIME_POLICIES:
            raise ValueError(f"{policy!r} is not offered by the runtime; valid: {', '.join(RUNTIME_POLICIES)}")
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
        self.fleet = fleet
        self._item = {item.item_id: i for i, item in enumerate(items)}
        self.state = DeployedState([node.memory_bytes for node in fleet.nodes], items)
        read_bps, overhead_s = spec.storage_read_bps, spec.load_overhead_s
        estimate = [load_s(it.weights_bytes, read_bps=read_bps, overhead_s=overhead_s) for it in items]
        #: Seconds a load of each item takes on each node: the estimate, then the last one measured there.
        self.load_s = np.tile(np.asarray(estimate), (len(fleet.nodes), 1))
        self.policy = make_deployment_policy(
            spec.policy,
            cost_s=estimate,
            size_bytes=self.state.item_bytes,
            nodes=len(fleet.nodes),
            period_s=spec.period_s,
        )
        self._hosts = [sorted(self._item[s] for s in hosted.get(node.node_id, ())) for node in fleet.nodes]
        self._locks: dict[int, asyncio.Lock] = {}
        #: Loads commanded, evictions commanded, and the seconds the agents measured loading.
        self.loads = 0
        self.evictions = 0
        self.load_seconds = 0.0
        #: Each placement solved (``optimal``): its MILP's size and solve seconds.
        self.plans: list[dict[str, float]] = []
        self._period_started_s: float | None = None

    def preload(self, node_id: str) -> tuple[str, ...]:
        """The stages the agent of ``node_id`` loads at start (the policy's :meth:`initial` on empty nodes)."""
        empty = DeployedState(self.state.capacity_bytes, self.state.items)
        j = self.fleet.index[node_id]
        chosen = self.policy.initial(empty, self._hosts)
        return tuple(self.state.items[i].item_id for n, i in chosen if n == j)

    def register(self, node_id: str, loaded: Sequence[str]) -> None:
        """The agent of ``node_id`` holds ``loaded`` (its hello); ``ValueError`` if they are unknown or exceed the
        node's memory."""
        unknown = sorted(set(loaded) - set(self._item))
        if unknown:
            raise ValueError(f"agent {node_id} holds unknown stages {unknown}")
        self.state.replace(self.fleet.index[node_id], [self._item[s] for s in loaded])

    def item_index(self, service_id: str) -> int:
        return self._item[service_id]

    def capacity_bytes(self, node_id: str) -> float:
        """The memory of ``node_id`` for its stages."""
        return float(self.state.capacity_bytes[self.fleet.index[node_id]])

    def charge(self, service_id: str, costs: CandidateCosts) -> None:
        """Charge each candidate of a routing decision for ``service_id`` its cold start (module docstring)."""
        item = self._item[service_id]
        charge_cold_starts(costs, self.state, self.policy, item, load_s=self.load_s[:, item], now_s=costs.start_s)

    def pending_s(self, node_id: str, service_id: str) -> float:
        """Seconds a request placing ``service_id`` on ``node_id`` now would wait for its load (0 if loaded)."""
        j, i = self.fleet.index[node_id], self._item[service_id]
        return 0.0 if self.state.holds(j, i) else float(self.load_s[j, i])

    def pin(self, placed: Sequence[tuple[str, str]]) -> None:
        """Pin the ``(stage, node)`` pairs of a request in flight (:meth:`unpin` when it ends)."""
        for service_id, node_id in placed:
            self.state.pin(self.fleet.index[node_id], self._item[service_id])

    def unpin(self, placed: Sequence[tuple[str, str]]) -> None:
        for service_id, node_id in placed:
            self.state.unpin(self.fleet.index[node_id], self._item[service_id])

    async def ensure(self, service_id: str, node_id: str, command: Command) -> tuple[bool, float]:
        """Make ``service_id`` loaded on ``node_id`` (pinned there by the caller), commanding the evictions and the
        load: whether the caller waited (a cold start: its load, or another request's under way there), and the
        seconds the agent measured loading it for this call (0 if it did not). Raises :class:`DeploymentError`."""
        j, i = self.fleet.index[node_id], self._item[service_id]
        self.policy.used(j, i, asyncio.get_running_loop().time())
        if self.state.holds(j, i):
            return False, 0.0
        async with self._locks.setdefault(j, asyncio.Lock()):  # one node's loads and evictions in order
            if self.state.holds(j, i):  # loaded by the request this one waited for
                return True, 0.0
            victims = self.policy.victims(self.state, j, i, asyncio.get_running_loop().time())
            if victims is None:
                raise DeploymentError(
                    node_id,
                    f"no room for stage {service_id} ({self.state.item_bytes[i]:g} bytes) in the "
                    f"{self.state.capacity_bytes[j]:g} bytes of {node_id}: {self.spec.policy} evicts nothing in use",
                )
            for victim in victims:
                await self._evict(j, victim, node_id, command)
            return True, await self._load(j, i, node_id, command)

    def period_ended(self, now_s: float) -> float | None:
        """For a policy that plans: the seconds of the period that ended by ``now_s`` (and a new one starts), or
        ``None`` while it runs (the first call starts the first)."""
        if self.policy.period_s is None:
            return None
        if self._period_started_s is None:
            self._period_started_s = now_s
            return None
        elapsed = now_s - self._period_started_s
        if elapsed < self.policy.period_s:
            return None
        self._period_started_s = now_s
        return elapsed

    def plan(self, problem: PlacementProblem) -> PlacementResult:
        """The policy's placement for the next period, its size and solve time recorded in :attr:`plans`."""
        started = time.perf_counter()
        result = self.policy.plan(problem)
        assert result is not None  # only a policy that plans has a period
        self.plans.append(
            {
                "binaries": result.binaries,
                "continuous": result.continuous,
                "constraints": result.constraints,
                "solve_s": time.perf_counter() - started,
                "objective": result.objective,
            }
        )
        return result

    async def apply(self, placement: Sequence[Sequence[int]], live: Sequence[str], command: Command) -> None:
        """Carry out a placement (items per node) on the ``live`` agents: evict what each holds outside it and no
        request uses, then load what it lacks while it fits. Raises :class:`DeploymentError`."""
        for node_id in live:
            j = self.fleet.index[node_id]
            target = set(placement[j])
            async with self._locks.setdefault(j, asyncio.Lock()):
                for item in self.state.evictable(j):
                    if item not in target:
                        await self._evict(j, item, node_id, command)
                for item in sorted(target):
                    if not self.state.resident(j, item) and self.state.fits(j, item):
                        await self._load(j, item, node_id, command)

    async def _evict(self, j: int, item: int, node_id: str, command: Command) -> None:
        self.state.evict(j, item)
        self.policy.evicted(j, item)
        self.evictions += 1
        await self._command(command, node_id, "unload", self.state.items[item].item_id)

    async def _load(self, j: int, i: int, node_id: str, command: Command) -> float:
        """Load item ``i`` on node ``j`` (it fits); the seconds its agent measured."""
        self.state.reserve(j, i, asyncio.get_running_loop().time() + self.load_s[j, i])
        try:
            answer = await self._command(command, node_id, "load", self.state.items[i].item_id)
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
        """The policy, the loads and evictions commanded so far with the seconds the agents measured loading, and
        the placements solved."""
        return {
            "policy": self.spec.policy,
            "loads": self.loads,
            "evictions": self.evictions,
            "load_s": self.load_seconds,
            "plans": list(self.plans),
        }


def placement_problem(
    deployment: RuntimeDeployment,
    *,
    plans: Mapping[str, ModelPlan],
    rates: Mapping[str, float],
    deadlines_s: Mapping[str, float],
    hosts: Mapping[str, Sequence[str]],
    workers: Mapping[str, int],
    stage_s: Callable[[str, StagePlan], float],
    hop_s: Callable[[str, str, float], float],
    ingress: str,
) -> PlacementProblem:
    """The placement MILP (:mod:`mcfn.deployment.placement`) of the runtime now: a demand class per model at
    ``rates`` (requests per second), a choice per assignment of its stages to the agents ``hosts`` (by stage) lists
    (at most :data:`MAX_CHOICES`), its latency ``T`` the hops from ``ingress`` through the stages' nodes and back
    (``hop_s(source, target, bits)``) plus each stage's ``stage_s(node, stage)``, dropped if ``T`` passes the
    model's deadline; its gain ``1 - T / T_max``, the seed's utility with the accuracy term left out (one variant
    per model: the same for every choice); ``capacity`` each agent's ``workers`` at :data:`PLANNED_UTILISATION`."""
    fleet = deployment.fleet
    rate, choice_class, needs, gains, works = [], [], [], [], []
    for model in sorted(plans):
        plan, d = plans[model], len(rate)
        rate.append(rates.get(model, 0.0))
        options = itertools.product(*(hosts.get(stage.service_id, ()) for stage in plan.stages))
        for nodes in itertools.islice(options, MAX_CHOICES):
            latency_s, where, bits = 0.0, ingress, plan.input_bits
            work: dict[int, float] = {}
            for stage, node in zip(plan.stages, nodes, strict=True):
                seconds = stage_s(node, stage)
                latency_s += hop_s(where, node, bits) + seconds
                work[fleet.index[node]] = work.get(fleet.index[node], 0.0) + seconds
                where, bits = node, stage.output_bits
            latency_s += hop_s(where, ingress, bits)
            if latency_s > deadlines_s[model]:
                continue
            choice_class.append(d)
            pairs = zip(plan.stages, nodes, strict=True)
            needs.append(tuple(sorted({(fleet.index[n], deployment.item_index(s.service_id)) for s, n in pairs})))
            gains.append(1.0 - latency_s / deadlines_s[model])
            works.append(tuple(work.items()))
    return PlacementProblem(
        memory_bytes=deployment.state.capacity_bytes,
        capacity=[workers.get(node.node_id, 0) * PLANNED_UTILISATION for node in fleet.nodes],
        item_bytes=deployment.state.item_bytes,
        rate=rate,
        choice_class=choice_class,
        choice_needs=needs,
        choice_gain=gains,
        choice_work=works,
    )
