"""The controller: keeps the aware view from the agents' adverts, places each request's stages with the core's
router, runs them on the agents, and retries elsewhere when an agent fails.

Placement is the core's, unchanged: a :class:`~mcfn.routing.Router` over the scenario's topology and fleet, a
catalogue of the *live* agents hosting each stage, and an :class:`~mcfn.awareness.AwareView` fed by the agents'
adverts (stamped with the controller's clock on arrival, so agents need no synchronised clocks); the policy is
one of :data:`~mcfn.routing.POLICIES` (greedy :meth:`~mcfn.routing.Router.route_stages`) or ``optimal``
(:func:`~mcfn.routing.route_stages_optimal`). Data goes controller → first stage's agent → next stage's agent → …
→ controller: the controller sends the first agent the input and the route (each later stage's agent address and
the emulated link into it, :class:`~mcfn.runtime.messages.Run`); every agent computes its stage and sends the
named tensors that cross out of it (:mod:`mcfn.runtime.plan`, where a tensor that a later stage reads travels on
through the stages between) straight to the next, and the last returns the output with every stage's queue,
compute and network time (:class:`~mcfn.runtime.messages.Result`). Each hop is paced by its sender as the
topology's fastest path between the stages' nodes (bottleneck bandwidth, summed delay), the result's way home as
the path back to the ingress. ``relay=True`` runs each stage as a route of its own from here instead (the bytes
cross the controller between stages, the emulated network stays the topology's): a baseline to measure against.

Faults: the request has its deadline; every hop carries what it leaves. An agent answers a ``run`` at once —
accepted, or refused (queue full, unknown stage) — and once it has accepted it reports any failure after (its
stage raised, the next agent refused or could not be reached) as ``failed``, naming the node that failed. So the
controller learns of a failed route from the first agent's refusal, a ``failed`` report, or the departure of an
agent on the route (its advert connection closes when it dies); it excludes that node and places the whole
request again (stages are deterministic), up to ``max_attempts``. A timeout ends the request with its reason,
within its deadline. An agent is live while its advert connection is open; a restarted agent says hello again
and rejoins. Agents whose controller went away keep trying its address, so a restarted
controller gets them all back (:meth:`Controller.stop`). A stage that its agent has not accepted within
``start_timeout_s`` (plus its input's emulated transfer) fails over as a refusal does, and the agent is passed over
until it advertises again: a stopped (hung) agent costs a request that bound, not its deadline.

Admission: the deadline is the client's (what it leaves when the request is sent); a request whose placement the
router predicts to end after it is refused at once, with the prediction as the reason, instead of queueing where
it would miss it and delay the requests behind it (load shedding by predicted completion, as in Clipper's and
Clockwork's deadline-aware admission: Crankshaw et al., NSDI 2017; Gujarati et al., OSDI 2020). The router's view
counts every placement it has made since an agent's last advert, so a burst is predicted as the queue it builds;
and the requests already in flight are weighed by the service the controller measures
(:mod:`mcfn.runtime.admission`), which sees what the router does not (a loaded machine's every other wait). A
client stamps its request with its wall clock, and the time the request waited to be read here comes off its
budget (client and controller clocks agree on one host, and to NTP's few milliseconds across hosts).

Deployment (:mod:`mcfn.runtime.deployment`): with a deployment policy the router sees which stages each agent
holds — a candidate without the stage is charged its load, one that cannot make room is ruled out — and before a
route runs the controller commands the evictions and loads it needs (only the controller may), pinning the route's
stages until the request ends; the request's cold start (the seconds it waited for loads) and each stage's load,
as its agent measured it, come back with its timings. An agent that cannot load a stage fails the attempt over to
another placement, as a refusal does.

Roles (:mod:`mcfn.runtime.auth`): a connection is a client's or an agent's, by the key it proved. Clients may ask
for ``infer`` and ``status``, many requests at once on one connection, each answer carrying the request's ``tag``;
a connection with nothing in flight is closed after :data:`~mcfn.runtime.pool.IDLE_S`. An agent registers only as
the node whose key it holds, only while no agent of that node is live, and only with exactly the stages and plans
the scenario gives its node; a route's id is 128 random bits, and only the route's last agent may return its
``result``, only an agent on the route report it ``failed``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from mcfn.awareness.advert import Advert
from mcfn.awareness.view import AwareView
from mcfn.compute.ids import ServiceCatalog
from mcfn.compute.node import Work
from mcfn.routing import POLICIES, Policy, Router, SplitRequest, Stage, StagedRoute, make_policy
from mcfn.routing.chain import route_stages_optimal
from mcfn.routing.scenario import Scenario
from mcfn.runtime.admission import Admission
from mcfn.runtime.auth import AGENT, CLIENT, AuthError, ClusterKeys
from mcfn.runtime.channel import REJECTED, Channel, RemoteError, ServerStats, serve
from mcfn.runtime.deployment import DeploymentError, RuntimeDeployment, placement_problem
from mcfn.runtime.link import IDEAL, LinkProfile
from mcfn.runtime.messages import AdvertFields, Failed, Hello, Hop, Infer, LinkFields, Result, Run, parse_fields
from mcfn.runtime.plan import ModelPlan, StagePlan
from mcfn.runtime.pool import IDLE_S, Address, ChannelPool
from mcfn.runtime.prediction import HopOverhead, StagePrediction, predict, total_s
from mcfn.runtime.stage_times import calibrated_work
from mcfn.runtime.tls import TlsFiles
from mcfn.runtime.wire import FrameError, Message

log = logging.getLogger(__name__)

#: The exact chain placement, beside the router's greedy policies.
OPTIMAL = "optimal"
#: Names of the tensors of an ``infer`` request and of its ``result``.
INPUT, OUTPUT = "input", "output"
#: What a client may ask.
CLIENT_KINDS = ("infer", "status")
#: Seconds an agent has to accept a stage beyond its input's emulated transfer, before the stage fails over.
START_TIMEOUT_S = 0.25
#: Seconds to send an answer to a client.
ANSWER_TIMEOUT_S = 5.0
#: Seconds an agent has to load or unload a stage on command (a zoo model builds in seconds on a CPU).
LOAD_TIMEOUT_S = 120.0


class InferError(RuntimeError):
    """A request that could not be served; the message says why."""


class _StageFailedError(Exception):
    def __init__(self, node_id: str, reason: str) -> None:
        super().__init__(reason)
        self.node_id = node_id
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class StageTiming:
    """What one stage took, measured, beside what the router predicted.

    ``network_s`` is the hop that brought the stage its input, from its sender's send start (pacing included) to
    the agent's receipt, on the two processes' wall clocks (exact on one machine, off by the clocks' offset
    across machines); the last stage's adds the result's way back to the controller, measured the same way.
    """

    stage: str
    node: str
    queue_s: float
    compute_s: float
    network_s: float
    predicted_network_s: float
    predicted_queue_s: float
    predicted_compute_s: float
    #: Seconds the stage's agent took to load it for this request, as it measured them (0: it was loaded).
    load_s: float = 0.0


@dataclass(frozen=True, kw_only=True, eq=False)
class InferOutcome:
    """A served request: the output, the end-to-end latency, its prediction, attempts and per-stage timings, and
    its cold start: how many of its stages waited for a load, and the seconds it waited (within ``latency_s``)."""

    model: str
    output: np.ndarray
    latency_s: float
    predicted_latency_s: float
    attempts: int
    stages: tuple[StageTiming, ...]
    cold_starts: int = 0
    cold_start_s: float = 0.0

    def fields(self) -> dict[str, Any]:
        """Everything but the output tensor, JSON-ready."""
        return {
            "model": self.model,
            "latency_s": self.latency_s,
            "predicted_latency_s": self.predicted_latency_s,
            "attempts": self.attempts,
            "stages": [asdict(stage) for stage in self.stages],
            "cold_starts": self.cold_starts,
            "cold_start_s": self.cold_start_s,
        }


@dataclass(frozen=True, eq=False)
class _Agent:
    """A registered agent: its hello, its stages' times, and its loaded stages and their measured bytes, as its
    adverts last gave them."""

    hello: Hello
    stage_s: dict[str, float] = field(default_factory=dict)
    deployed: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> Address:
        return (self.hello.host, self.hello.port)


@dataclass(frozen=True, eq=False)
class _Pending:
    """A route in flight: the future of its ``result``, the nodes whose failure fails it (and who alone may report
    that), and the node that alone may return the result."""

    future: asyncio.Future[tuple[Result, Message, float]]
    nodes: frozenset[str]
    last: str


class Controller:
    """Places and runs split requests on the agents that have registered (module docstring)."""

    def __init__(
        self,
        *,
        scenario: Scenario,
        plans: Mapping[str, ModelPlan],
        deadlines_s: Mapping[str, float],
        ingress: str,
        keys: ClusterKeys,
        hosted: Mapping[str, tuple[str, ...]],
        policy: str = "compute-aware",
        max_attempts: int = 3,
        start_timeout_s: float = START_TIMEOUT_S,
        idle_s: float = IDLE_S,
        tls: TlsFiles | None = None,
        deployment: RuntimeDeployment | None = None,
    ) -> None:
        scenario.router().require_base_station(ingress)
        self.deployment = deployment
        self._demand: Counter[str] = Counter()  # requests per model since the last placement (``optimal``)
        self._placing: set[asyncio.Task[None]] = set()
        self._tls = tls
        self._scenario = scenario
        self._plans = dict(plans)
        self._fingerprints = {model: plan.fingerprint() for model, plan in plans.items()}
        self._deadlines_s = dict(deadlines_s)
        self._ingress = ingress
        self._keys = keys
        self._hosted = {node: frozenset(stages) for node, stages in hosted.items()}
        self._start_timeout_s = start_timeout_s
        self._idle_s = idle_s
        self._policy = policy
        self._policies: dict[str, Policy] = {}
        self._hop_overhead = HopOverhead()
        self._check_policy(policy)
        self._max_attempts = max_attempts
        self._agents: dict[str, _Agent] = {}
        self._sessions: set[asyncio.Task[Any]] = set()
        self._pool = ChannelPool(
            credential=keys.agents.controller(), idle_s=idle_s, tls=None if tls is None else tls.client_context()
        )
        self._pending: dict[str, _Pending] = {}
        self._admissions: dict[str, Admission] = {}
        self._suspects: set[str] = set()  # failed to start a stage in time: passed over until they advertise again
        self._changed = asyncio.Condition()
        self.view = AwareView(scenario.fleet)
        self.stats = ServerStats()

    async def start(self, *, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
        """Listen for agents and clients (loopback by default; over TLS if the controller has its files)."""
        tls = None if self._tls is None else self._tls.server_context()
        return await serve(self._tracked, keys=self._keys.keyring(), host=host, port=port, stats=self.stats, tls=tls)

    async def stop(self) -> None:
        """Drop every connection at once, as a crashed controller process would (close the server first): the
        agents notice, and register with whichever controller listens at the address next."""
        sessions, self._sessions = self._sessions, set()
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        await self._pool.close()

    @property
    def live_agents(self) -> tuple[str, ...]:
        return tuple(sorted(self._agents))

    async def wait_for_agents(self, node_ids: tuple[str, ...], *, timeout_s: float) -> None:
        """Return once every agent in ``node_ids`` has registered; ``TimeoutError`` after ``timeout_s``."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: set(node_ids) <= set(self._agents))

    async def wait_until(self, predicate: Callable[[Controller], bool], *, timeout_s: float) -> None:
        """Return once ``predicate(controller)`` holds, re-checked at every hello, advert and departure."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    # --- connections -----------------------------------------------------------------------------------------
    async def _tracked(self, channel: Channel) -> None:
        """A connection's session, known to :meth:`stop`."""
        task = asyncio.current_task()
        assert task is not None  # asyncio runs each connection's handler in a task of its own
        self._sessions.add(task)
        try:
            await self._handle(channel)
        finally:
            self._sessions.discard(task)

    async def _handle(self, channel: Channel) -> None:
        if channel.peer.role == CLIENT:
            await self._serve_client(channel)
        elif channel.peer.role == AGENT:
            await self._serve_agent_connection(channel)

    async def _serve_client(self, channel: Channel) -> None:
        """A client's connection: each request answered in a task of its own, as soon as it is done; closed when
        idle (nothing in flight) for ``idle_s``. Anything but :data:`CLIENT_KINDS` ends it, counted as refused."""
        writing = asyncio.Lock()
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                try:
                    message = await channel.receive(timeout_s=self._idle_s)
                except TimeoutError:
                    if tasks:
                        continue
                    return
                if message.kind not in CLIENT_KINDS:
                    raise AuthError(f"a client may not send {message.kind!r}")
                task = asyncio.create_task(self._answer_client(channel, writing, message))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in tasks:
                task.cancel()

    async def _answer_client(self, channel: Channel, writing: asyncio.Lock, message: Message) -> None:
        tag = message.fields.get("tag", 0)
        if message.kind == "status":
            answer = Message(kind="status", fields=self.status())
        else:
            answer = await self._answer_infer(message)
        tagged = Message(kind=answer.kind, fields=answer.fields | {"tag": tag}, tensors=answer.tensors)
        async with writing:
            try:
                await channel.send(tagged, timeout_s=ANSWER_TIMEOUT_S)
            except (*REJECTED, EOFError, OSError):
                channel.abort()  # the client went away or stopped reading: the reader sees the connection end

    async def _serve_agent_connection(self, channel: Channel) -> None:
        """An agent's connection: its registration and adverts, or its results and failure reports (closed when
        idle for ``idle_s``)."""
        node = channel.peer.name
        while True:
            try:
                message = await channel.receive(timeout_s=self._idle_s)
            except TimeoutError:
                return
            if message.kind == "hello":
                hello = parse_fields(Hello, "hello", message.fields)
                if hello.node != node:
                    raise AuthError(f"agent {node} may not register as {hello.node!r}")
                await self._serve_agent(channel, hello)
                return
            if message.kind not in ("result", "failed"):
                raise FrameError(f"agent {node}: unexpected message kind {message.kind!r}")
            await channel.send(self._settle(message, node), timeout_s=ANSWER_TIMEOUT_S)

    async def _serve_agent(self, channel: Channel, hello: Hello) -> None:
        self._check_hello(hello)
        agent = _Agent(hello, dict(hello.stage_s), {"loaded": list(hello.loaded), "memory_bytes": hello.memory_bytes})
        await self._update(hello.node, agent)
        self._suspects.discard(hello.node)
        try:
            await channel.send(Message(kind="registered"), timeout_s=5.0)
            silence_s = 10 * hello.advert_period_s + 1.0  # generous: a loaded machine delays adverts
            while True:
                message = await channel.receive(timeout_s=silence_s)
                if message.kind != "advert":
                    raise FrameError(f"agent {hello.node}: unexpected message kind {message.kind!r}")
                state = parse_fields(AdvertFields, "advert", message.fields)
                now = asyncio.get_running_loop().time()
                self.view.receive(
                    Advert(
                        node_id=hello.node,
                        sent_s=now,
                        queue_flops=state.queue_flops,
                        busy_vms=state.busy_workers,
                        speed_flops_per_s=state.speed_flops_per_s,
                        arrival_flops_per_s=state.arrival_flops_per_s,
                    )
                )
                if not set(state.stage_s) <= set(hello.stages):
                    raise FrameError(f"agent {hello.node} gives times of stages it does not host")
                agent.stage_s.update(state.stage_s)
                agent.deployed.update(loaded=list(state.loaded), memory_bytes=state.memory_bytes)
                self._suspects.discard(hello.node)
                await self._update(None, None)
        finally:
            if self._agents.get(hello.node) is agent:
                await self._update(hello.node, None)
            await self._pool.discard(agent.address)

    def _check_hello(self, hello: Hello) -> None:
        """Refuse an agent that is not one of the scenario's compute nodes, whose node is already live, that does
        not host exactly the stages the scenario gives its node, or that made its plans from another scenario (an
        agent started by hand on another machine, ``mcfn agent``, reads its own copy of the file)."""
        fleet = self._scenario.fleet
        if hello.node not in fleet.index or hello.node not in self._hosted:
            raise FrameError(f"agent {hello.node!r} is not a compute node of the scenario")
        if hello.node in self._agents:
            raise AuthError(f"agent {hello.node} is already registered and live; a second one is refused")
        tier = fleet.nodes[fleet.index[hello.node]].tier.value
        if hello.tier != tier:
            raise FrameError(f"agent {hello.node} says it is of tier {hello.tier!r}; the scenario says {tier!r}")
        expected = self._hosted[hello.node]
        models = {model for model, plan in self._plans.items() if any(s.service_id in expected for s in plan.stages)}
        differ = sorted(
            model for model in models | set(hello.plans) if hello.plans.get(model) != self._fingerprints.get(model)
        )
        if differ:
            raise FrameError(
                f"agent {hello.node}: its plans of {differ} differ from the controller's; start it from the same "
                "scenario file and latency tables"
            )
        if set(hello.stages) != expected:
            raise FrameError(
                f"agent {hello.node} hosts stages {sorted(hello.stages)}; the scenario gives it {sorted(expected)}"
            )
        if not set(hello.stage_s) <= expected:
            raise FrameError(
                f"agent {hello.node} gives times of stages {sorted(set(hello.stage_s) - expected)} it does not host"
            )
        if not set(hello.loaded) <= expected:
            extra = sorted(set(hello.loaded) - expected)
            raise FrameError(f"agent {hello.node} has loaded stages {extra} it does not host")
        if self.deployment is not None:
            try:
                self.deployment.register(hello.node, hello.loaded)
            except ValueError as exc:
                raise FrameError(str(exc)) from None

    async def _update(self, node_id: str | None, agent: _Agent | None) -> None:
        async with self._changed:
            if node_id is not None and agent is None:
                del self._agents[node_id]
                self._fail_routes_through(node_id, "left the cluster")
            elif node_id is not None and agent is not None:
                self._agents[node_id] = agent
            self._changed.notify_all()

    async def _answer_infer(self, message: Message) -> Message:
        try:
            request = parse_fields(Infer, "infer", message.fields)
        except FrameError as exc:
            return Message(kind="error", fields={"reason": str(exc)})
        if set(message.tensors) != {INPUT}:
            return Message(kind="error", fields={"reason": f"infer needs one tensor named {INPUT!r}"})
        deadline_s = request.deadline_s if request.deadline_s is not None else self._deadlines_s.get(request.model)
        if deadline_s is not None and request.sent_at_s is not None:
            deadline_s -= max(0.0, time.time() - request.sent_at_s)  # what it waited to be read here
            if deadline_s <= 0:
                return Message(kind="error", fields={"reason": "overloaded: the deadline passed before it was read"})
        try:
            outcome = await self.infer(
                request.model, message.tensors[INPUT], deadline_s=deadline_s, policy=request.policy
            )
        except (InferError, ValueError) as exc:
            return Message(kind="error", fields={"reason": str(exc)})
        return Message(kind="result", fields=outcome.fields(), tensors={OUTPUT: outcome.output})

    def status(self) -> dict[str, Any]:
        """The registered agents and what the view holds about each."""
        now = asyncio.get_running_loop().time()
        agents = []
        ages = self.view.age_s(now)
        for node_id, agent in sorted(self._agents.items()):
            j = self._scenario.fleet.index[node_id]
            agents.append(
                {
                    "node": node_id,
                    "tier": agent.hello.tier,
                    "address": f"{agent.hello.host}:{agent.hello.port}",
                    "stages": list(agent.hello.stages),
                    "workers": agent.hello.workers,
                    "queue_flops": float(self.view.queue_flops[j]),
                    "busy_workers": int(self.view.busy_vms[j]),
                    "speed_flops_per_s": float(self.view.speed_flops_per_s[j]),
                    "arrival_flops_per_s": float(self.view.arrival_flops_per_s[j]),
                    "advert_age_s": float(ages[j]) if np.isfinite(ages[j]) else None,
                    "stage_s": dict(agent.stage_s),
                    "loaded": agent.deployed["loaded"],
                    "memory_bytes": agent.deployed["memory_bytes"],
                    "memory_limit_bytes": None if self.deployment is None else self.deployment.capacity_bytes(node_id),
                }
            )
        models = sorted(self._plans)
        deadlines = {model: self._deadlines_s[model] for model in models}
        status = {"ingress": self._ingress, "models": models, "deadlines_s": deadlines, "agents": agents}
        if self.deployment is not None:
            status["deployment"] = self.deployment.summary()
        return status

    # --- requests --------------------------------------------------------------------------------------------
    async def infer(
        self,
        model: str,
        tensor: np.ndarray,
        *,
        deadline_s: float | None = None,
        policy: str | None = None,
        relay: bool = False,
    ) -> InferOutcome:
        """Serve one request for ``model`` within ``deadline_s`` (the model's default if ``None``).

        The agents pass each stage's output straight to the next stage's agent; ``relay`` brings every stage's
        output back here and sends it on from here instead (the star of earlier versions, kept to measure what
        the direct route saves: ``benchmarks/runtime.py``).
        """
        plan = self._plans.get(model)
        if plan is None:
            raise InferError(f"model {model!r} is not deployed; deployed: {', '.join(sorted(self._plans)) or 'none'}")
        if tuple(tensor.shape) != plan.input.shape or tensor.dtype != np.float32:
            raise InferError(
                f"model {model} takes float32{list(plan.input.shape)}, got {tensor.dtype}{list(tensor.shape)}"
            )
        name = policy or self._policy
        self._check_policy(name)
        if self.deployment is not None:
            self._demand[model] += 1
            self._replan()
        loop = asyncio.get_running_loop()
        budget_s = deadline_s if deadline_s is not None else self._deadlines_s[model]
        admission = self._admission(plan)
        if not admission.admits(budget_s):
            raise InferError(
                f"overloaded: {model} refused at once, {admission.in_flight} requests in flight predict "
                f"{admission.predicted_s():.3f} s of the {budget_s:.3f} s left of its deadline"
            )
        started = time.perf_counter()  # loop.time() may count whole milliseconds (uvloop)
        deadline = loop.time() + budget_s
        excluded: dict[str, str] = {}
        admission.start()
        served_s = None
        try:
            for attempt in range(1, self._max_attempts + 1):
                route, prediction = self._route(plan, excluded, name, deadline - loop.time())
                placed = [self._placement(plan, route, k) for k in range(len(plan.stages))]
                if self.deployment is not None:
                    self.deployment.pin(placed)
                try:
                    cold_started = time.perf_counter()
                    waited, loads_s = await self._load(placed)
                    cold_start_s = time.perf_counter() - cold_started if waited else 0.0
                    output, stages = await self._run(plan, route, prediction, tensor, deadline, relay=relay)
                except (_StageFailedError, DeploymentError) as failure:
                    excluded[failure.node_id] = failure.reason
                    continue
                finally:
                    if self.deployment is not None:
                        self.deployment.unpin(placed)
                served_s = time.perf_counter() - started
                return InferOutcome(
                    model=model,
                    output=output,
                    latency_s=served_s,
                    predicted_latency_s=total_s(prediction),
                    attempts=attempt,
                    stages=tuple(replace(t, load_s=s) for t, s in zip(stages, loads_s, strict=True)),
                    cold_starts=waited,
                    cold_start_s=cold_start_s,
                )
        finally:
            admission.finish(served_s)
        failures = "; ".join(f"{node}: {reason}" for node, reason in excluded.items())
        raise InferError(f"{model}: gave up after {self._max_attempts} attempts ({failures})")

    def _replan(self) -> None:
        """At the first request after each of the deployment policy's periods (``optimal``): solve the placement for
        the demand counted in the period (:func:`~mcfn.runtime.deployment.placement_problem`) and carry it out on
        the live agents in the background."""
        assert self.deployment is not None
        elapsed_s = self.deployment.period_ended(asyncio.get_running_loop().time())
        if elapsed_s is None:
            return
        rates = {model: count / elapsed_s for model, count in self._demand.items()}
        self._demand.clear()
        stages = [stage for plan in self._plans.values() for stage in plan.stages]
        agents = self._agents
        problem = placement_problem(
            self.deployment,
            plans=self._plans,
            rates=rates,
            deadlines_s=self._deadlines_s,
            hosts={s.service_id: [n for n, a in agents.items() if s.service_id in a.hello.stages] for s in stages},
            workers={node: agent.hello.workers for node, agent in agents.items()},
            stage_s=lambda node, stage: agents[node].stage_s.get(stage.service_id) or self._charged_s(node, stage.work),
            hop_s=lambda source, target, bits: self.hop(source, target).transfer_s(bits / 8),
            ingress=self._ingress,
        )
        result = self.deployment.plan(problem)
        task = asyncio.create_task(self.deployment.apply(result.placement, self.live_agents, self._command))
        self._placing.add(task)
        task.add_done_callback(self._placed)

    def _placed(self, task: asyncio.Task[None]) -> None:
        self._placing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("the placement could not be carried out: %s", task.exception())

    def _charged_s(self, node_id: str, work: Work) -> float:
        """Seconds ``work`` takes at ``node_id``'s nominal speed."""
        fleet = self._scenario.fleet
        return float(fleet.seconds_per_flop[fleet.index[node_id]] @ np.asarray(work.per_op_flops))

    async def _load(self, placed: list[tuple[str, str]]) -> tuple[int, list[float]]:
        """Load each placed ``(stage, node)`` that its agent does not hold (:meth:`RuntimeDeployment.ensure`): how
        many stages waited for a load, and the seconds each load commanded for them took there (0: none)."""
        if self.deployment is None:
            return 0, [0.0] * len(placed)
        loads = [await self.deployment.ensure(stage, node, self._command) for stage, node in placed]
        return sum(waited for waited, _ in loads), [seconds for _, seconds in loads]

    async def _command(self, node_id: str, message: Message) -> Message:
        """Send a deployment command to the agent of ``node_id``; its answer, or :class:`DeploymentError`."""
        try:
            return await self._pool.request(self._address_of(node_id), message, timeout_s=LOAD_TIMEOUT_S)
        except _StageFailedError as exc:
            raise DeploymentError(node_id, exc.reason) from None
        except RemoteError as exc:
            raise DeploymentError(node_id, exc.reason) from None
        except (OSError, EOFError, TimeoutError, FrameError, AuthError) as exc:
            raise DeploymentError(node_id, f"connection lost ({type(exc).__name__}: {exc})") from None

    def _admission(self, plan: ModelPlan) -> Admission:
        """The admission of ``plan``'s requests, serving as many at once as the live agents of its first stage
        have workers."""
        admission = self._admissions.setdefault(plan.model, Admission(servers=1))
        first = plan.stages[0].service_id
        admission.servers = max(1, sum(a.hello.workers for a in self._agents.values() if first in a.hello.stages))
        return admission

    def _check_policy(self, name: str) -> None:
        if name != OPTIMAL and name not in POLICIES:
            raise ValueError(f"unknown routing policy {name!r}; known: {', '.join([*POLICIES, OPTIMAL])}")

    def _route(
        self, plan: ModelPlan, excluded: Mapping[str, str], policy: str, budget_s: float
    ) -> tuple[StagedRoute, tuple[StagePrediction, ...]]:
        """The placement of ``plan``'s stages on live agents not ``excluded`` (nor suspected, unless only suspects
        are left); :class:`InferError`
        if there is none, or if it is predicted to end after ``budget_s`` (the request is shed)."""
        if budget_s <= 0:
            raise InferError(f"{plan.model}: deadline exceeded before placement ({'; '.join(excluded.values())})")
        hosts = {}
        for stage in plan.stages:
            candidates = [
                n for n, a in self._agents.items() if stage.service_id in a.hello.stages and n not in excluded
            ]
            live = [n for n in candidates if n not in self._suspects] or candidates  # suspects if there is no other
            if not live:
                why = "; ".join(f"{node}: {reason}" for node, reason in excluded.items())
                raise InferError(f"no live agent hosts stage {stage.service_id}" + (f" (failed: {why})" if why else ""))
            hosts[stage.service_id] = live
        router = Router(topology=self._scenario.topology, catalog=ServiceCatalog(hosts), view=self.view)
        router.deployment = self.deployment
        request = SplitRequest(
            ingress=self._ingress,
            data_bits=plan.input_bits,
            stages=tuple(
                Stage(service_id=s.service_id, work=self._work(s, hosts[s.service_id]), output_bits=s.output_bits)
                for s in plan.stages
            ),
            deadline_s=budget_s,
        )
        now = asyncio.get_running_loop().time()
        if policy == OPTIMAL:
            route = route_stages_optimal(router, request, now_s=now)
        else:
            chooser = self._policies.setdefault(policy, make_policy(policy))
            route = router.route_stages(request, chooser, now_s=now, record=False)
        prediction = self._predict(route, request)
        if total_s(prediction) > budget_s:
            raise InferError(
                f"overloaded: {plan.model} refused at once, predicted to take {total_s(prediction):.3f} s, more than "
                f"the {budget_s:.3f} s left of its deadline"
            )
        if policy != OPTIMAL:
            router.record(route)
        return route, prediction

    def _predict(self, route: StagedRoute, request: SplitRequest) -> tuple[StagePrediction, ...]:
        """The placed stages' times on this cluster (:func:`~mcfn.runtime.prediction.predict`): each stage's
        measured time on the agent it was placed on, each hop's learnt overhead."""
        nodes = [placed.node_id for placed in route.stages]
        charged = [self._charged_s(node, stage.work) for node, stage in zip(nodes, request.stages, strict=True)]
        measured = [
            self._agents[node].stage_s.get(stage.service_id) if node in self._agents else None
            for node, stage in zip(nodes, request.stages, strict=True)
        ]
        ids = [stage.service_id for stage in request.stages]
        predicted = predict(route, ids, charged_s=charged, measured_s=measured, overhead=self._hop_overhead)
        if self.deployment is None:
            return predicted
        return tuple(  # a cold start is charged as queueing, as the router charged it
            replace(p, queue_s=p.queue_s + self.deployment.pending_s(node, stage))
            for p, node, stage in zip(predicted, nodes, ids, strict=True)
        )

    def _work(self, stage: StagePlan, hosts: list[str]) -> Work:
        """``stage``'s work as the router charges it on ``hosts``: scaled to the times its agents measured
        (:func:`~mcfn.runtime.stage_times.calibrated_work`), the plan's where none did."""
        measured = [(n, self._agents[n].stage_s.get(stage.service_id)) for n in hosts]
        measured = [(n, seconds) for n, seconds in measured if seconds is not None]
        fleet = self._scenario.fleet
        rows = fleet.seconds_per_flop[[fleet.index[n] for n, _ in measured]]
        return calibrated_work(stage.work, rows, [seconds for _, seconds in measured])

    async def _run(
        self,
        plan: ModelPlan,
        route: StagedRoute,
        prediction: tuple[StagePrediction, ...],
        tensor: np.ndarray,
        deadline: float,
        *,
        relay: bool,
    ) -> tuple[np.ndarray, tuple[StageTiming, ...]]:
        """Run the placed stages as one route of agents, or (``relay``) as one route per stage from here."""
        legs = [range(k, k + 1) for k in range(len(plan.stages))] if relay else [range(len(plan.stages))]
        source, tensors, timings = self._ingress, {plan.input.name: tensor}, []
        for leg in legs:
            result, answer, arrived_s = await self._run_leg(plan, route, leg, source, tensors, deadline)
            last = plan.stages[leg[-1]]
            if list(answer.tensors) != [spec.name for spec in last.sends]:
                raise InferError(
                    f"stage {last.service_id} on {route.stages[leg[-1]].node_id} answered tensors "
                    f"{list(answer.tensors)}, not {[spec.name for spec in last.sends]}"
                )
            if [(r.stage, r.node) for r in result.timings] != [self._placement(plan, route, k) for k in leg]:
                raise InferError(f"the result's stage reports {result.timings} do not follow the route")
            for k, report in zip(leg, result.timings, strict=True):
                placed, predicted = route.stages[k], prediction[k]
                back_s = arrived_s - result.sent_at_s if k == leg[-1] else 0.0  # the result's way home
                timings.append(
                    StageTiming(
                        stage=report.stage,
                        node=report.node,
                        queue_s=report.queue_s,
                        compute_s=report.compute_s,
                        network_s=report.network_s + back_s,
                        predicted_network_s=predicted.network_s,
                        predicted_queue_s=predicted.queue_s,
                        predicted_compute_s=predicted.compute_s,
                    )
                )
                if not relay:  # a relayed stage's hops all cross the controller: not the route's
                    self._hop_overhead.observe(report.stage, report.network_s + back_s, placed.network_s)
            source, tensors = route.stages[leg[-1]].node_id, answer.tensors
        return tensors[plan.output], tuple(timings)

    @staticmethod
    def _placement(plan: ModelPlan, route: StagedRoute, k: int) -> tuple[str, str]:
        return plan.stages[k].service_id, route.stages[k].node_id

    async def _run_leg(
        self,
        plan: ModelPlan,
        route: StagedRoute,
        leg: range,
        source: str,
        tensors: dict[str, np.ndarray],
        deadline: float,
    ) -> tuple[Result, Message, float]:
        """Send the leg's first stage its tensors and the route of the rest; wait for the last one's result.

        Each hop is paced as the topology's path between the stages' nodes, by its sender (here for the first;
        the result's way back is emulated only to the ingress, after the model's last stage).
        """
        loop = asyncio.get_running_loop()
        stages = [self._placement(plan, route, k) for k in leg]
        hops = []
        for (stage, node), (_, before) in zip(stages[1:], stages, strict=False):
            address = self._address_of(node)
            link = self.hop(before, node).fields()
            hops.append(Hop(stage=stage, node=node, host=address[0], port=address[1], link=LinkFields(**link)))
        home = self.hop(stages[-1][1], self._ingress) if leg[-1] == len(plan.stages) - 1 else IDEAL
        request = secrets.token_hex(16)
        pending = _Pending(future=loop.create_future(), nodes=frozenset(node for _, node in stages), last=stages[-1][1])
        self._pending[request] = pending
        try:
            run = Run(
                request=request,
                stage=stages[0][0],
                budget_s=max(deadline - loop.time(), 1e-9),
                sent_at_s=time.time(),
                route=tuple(hops),
                reply_link=LinkFields(**home.fields()),
            )
            message = Message(kind="run", fields=run.model_dump(), tensors=tensors)
            await self._call(stages[0][1], message, self.hop(source, stages[0][1]), deadline)
            try:
                async with asyncio.timeout_at(deadline):
                    return await pending.future
            except TimeoutError:
                path = " → ".join(f"{stage} on {node}" for stage, node in stages)
                raise InferError(f"deadline exceeded waiting for the result of {path}") from None
        finally:
            del self._pending[request]
            if pending.future.done() and not pending.future.cancelled():
                pending.future.exception()  # seen: asyncio would log a failure that nobody awaited
            pending.future.cancel()

    def _settle(self, message: Message, sender: str) -> Message:
        """Settle the route that a ``result`` or ``failed`` message from agent ``sender`` is about (a late one finds
        nothing); one from an agent that may not settle it is refused."""
        if message.kind == "result":
            result = parse_fields(Result, "result", message.fields)
            pending = self._pending.get(result.request)
            if pending is not None and pending.last != sender:
                return Message(kind="error", fields={"reason": f"agent {sender} does not end route {result.request}"})
            if pending is not None and not pending.future.done():
                pending.future.set_result((result, message, time.time()))
        else:
            failed = parse_fields(Failed, "failed", message.fields)
            pending = self._pending.get(failed.request)
            if pending is not None and sender not in pending.nodes:
                return Message(kind="error", fields={"reason": f"agent {sender} is not on route {failed.request}"})
            if pending is not None and not pending.future.done():
                pending.future.set_exception(_StageFailedError(failed.node, failed.reason))
        return Message(kind="settled")

    def _fail_routes_through(self, node_id: str, reason: str) -> None:
        """Fail every route in flight through ``node_id`` (it may have finished its stage: then the retry is
        wasted, not wrong, as stages are deterministic)."""
        for pending in self._pending.values():
            if node_id in pending.nodes and not pending.future.done():
                pending.future.set_exception(_StageFailedError(node_id, reason))

    def _address_of(self, node_id: str) -> Address:
        agent = self._agents.get(node_id)
        if agent is None:
            raise _StageFailedError(node_id, "left the cluster")
        return agent.address

    def hop(self, source: str, target: str) -> LinkProfile:
        """The emulated link from ``source`` to ``target``: the fastest path's bottleneck and delay sum."""
        if source == target:
            return IDEAL
        topology = self._scenario.topology
        tree = topology.fastest_paths(source)
        j = topology.index_of(target)
        return LinkProfile(bandwidth_bps=float(tree.bottleneck_bps[j]), delay_s=float(tree.delay_s[j]))

    async def _call(self, node_id: str, message: Message, link: LinkProfile, deadline: float) -> None:
        """Hand the first stage of a route to its agent, which answers ``accepted`` or refuses."""
        address = self._address_of(node_id)
        loop = asyncio.get_running_loop()
        remaining = deadline - loop.time()
        where = f"stage {message.fields['stage']} on {node_id}"
        if remaining <= 0:
            raise InferError(f"deadline exceeded before {where}")
        nbytes = sum(tensor.nbytes for tensor in message.tensors.values())
        start_s = link.transfer_s(nbytes) + self._start_timeout_s
        try:
            await self._pool.request(address, message, timeout_s=min(remaining, start_s), link=link)
        except RemoteError as exc:
            raise _StageFailedError(node_id, exc.reason) from None
        except TimeoutError:
            if start_s >= remaining:
                raise InferError(f"deadline exceeded at {where}") from None
            self._suspects.add(node_id)
            raise _StageFailedError(node_id, f"did not start {where} within {start_s:.3f} s") from None
        except (OSError, EOFError, FrameError, AuthError) as exc:
            raise _StageFailedError(node_id, f"connection lost ({type(exc).__name__}: {exc})") from None
