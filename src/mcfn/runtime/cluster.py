"""A runtime scenario (YAML) and the local cluster it describes: a controller here, one process per agent.

A runtime scenario is a routing scenario (:mod:`mcfn.routing.scenario`: topology, compute nodes, optional
advertised state) without ``services`` — the runtime derives one service per model stage — plus a ``runtime``
section::

    runtime:
      ingress: bs0                       # the base station where requests enter
      host: 127.0.0.1                    # where the controller and the agents listen (loopback by default)
      port: 0                            # the controller's port (0: any free one)
      policy: compute-aware              # a routing policy, or 'optimal' (exact chain placement)
      advert_period_s: 0.1
      models:                            # any of mcfn.runtime.models.model_names(): tiny-resnet and the zoo
        resnet18: {tiers: [edge, cloud], deadline_s: 2.0}   # the optimal plan over these tiers (the default:
                                                            # every tier with an agent of the model, in order)
        resnet50: {tiers: [terminal, edge, cloud], split: balanced}   # one stage per tier, of about equal FLOPs
        tiny-resnet: {stages: 3}                            # or N such stages on any agent of the model
        vgg16: {latency: {edge: vgg16.cpu1.latency.json}}   # per-layer times measured on a tier's machine
      measure_stages: true               # agents time their stages (at start, then as they serve)
      stage_times_cache: .mcfn/stage-times   # where agents keep the start times, by hardware and plans
      tls: {ca: tls/ca.pem, cert: tls/controller.pem, key: tls/controller.key}   # optional mutual TLS
      deployment: {policy: lru}          # optional: stages loaded on demand within each node's memory_bytes
      agents:                            # one OS process each
        - {node: edge0, models: [resnet18, tiny-resnet], workers: 2}
        - {node: cloud, models: [resnet18, tiny-resnet], workers: 4, slowdown: 1.0, device: cuda,
           resources: {cloud-gpu: 1}}      # under --ray-address: its actor goes to a Ray node declaring these

A plan over tiers (optimal, :func:`~mcfn.runtime.plan.plan_over_tiers`, or balanced) takes each tier from the
agents of that tier hosting the model: the one nearest the ingress plays it, and the links between tiers are the
topology's fastest paths between those nodes. The player's time for each layer is measured when the model gives a
latency table for the tier (:func:`~mcfn.runtime.timing.measure_table` run once on that machine and device, or
``mcfn profile MODEL --measure --out FILE`` whose node-by-node times add up to more than a forward pass; relative
paths from the scenario file's folder; times the agent's ``slowdown``), else it comes from the compute node's
op-class throughputs (:mod:`mcfn.runtime.timing`); a table from ``measure_table`` also gives the cost of running
a stage on that machine beyond its layers, which each stage's predicted compute includes. Tables are measured once
per machine type and shipped with the deployment, as offline profiles are (Neurosurgeon, DADS): the cut is chosen
before any agent starts, and the same times predict each stage's compute. A stage of a plan over tiers is hosted
by the model's agents of its tier only; a stage of a plan by number of stages
(:func:`~mcfn.runtime.plan.plan_balanced`) by every agent of the model, and the router picks. An agent computes on
``device`` (``cpu``, or ``cuda`` where torch sees a GPU). Under ``mcfn serve --ray-address`` an agent is a Ray
actor that asks for its ``cpus`` (by default ``workers``) and its ``resources``, custom resources that the Ray
nodes declare (``ray start --resources '{"cloud-gpu": 1}'``), so it runs on the machine that holds them
(:mod:`mcfn.runtime.ray_launcher`, which refuses at once a scenario whose agents the Ray nodes cannot place); a
local cluster of processes ignores them.
The controller predicts each stage's compute from the times its agents measure on their own machines, at start
and then from the runs they serve (:mod:`mcfn.runtime.stage_times`; ``measure_stages: false``: from the plan's work
at the nodes' speed). With ``tls`` every connection of the cluster is mutual TLS against the cluster CA
(:mod:`mcfn.runtime.tls`; an agent may have its own ``tls: {cert, key}``), the runtime's keys on top.
With ``deployment`` (or ``mcfn serve --deployment NAME``) each agent holds only the stages its controller's policy
has it load, within its compute node's ``memory_bytes`` (:mod:`mcfn.runtime.deployment`); without, every agent
loads every stage it hosts at start.
Validation happens here, once; errors are :class:`~mcfn.routing.scenario.ScenarioError` naming the field.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from mcfn.awareness.advert import AdvertPolicy
from mcfn.compute.node import Tier
from mcfn.models.measure import LatencyTable, load_latency_table
from mcfn.network.topology.io import read_yaml
from mcfn.routing.scenario import Scenario, ScenarioError, parse_scenario
from mcfn.runtime.agent import AgentSpec
from mcfn.runtime.auth import ClusterKeys, new_token
from mcfn.runtime.controller import Controller
from mcfn.runtime.deployment import DeploymentSpec, RuntimeDeployment
from mcfn.runtime.launch import Launcher, ProcessLauncher
from mcfn.runtime.plan import ModelPlan, plan_balanced, plan_over_tiers
from mcfn.runtime.timing import Player
from mcfn.runtime.tls import TlsFiles
from mcfn.validation import StrictModel, validation_message

log = logging.getLogger(__name__)

#: Seconds between checks that the launched agents still run.
SUPERVISE_PERIOD_S = 0.2
#: Seconds before restarting an agent that ended, doubled for every restart not followed by a registration.
RESTART_BACKOFF_S = 0.5
#: The longest wait before a restart.
MAX_BACKOFF_S = 30.0


class _Model(StrictModel):
    stages: Annotated[int, Field(ge=1)] | None = None
    tiers: Annotated[tuple[Tier, ...], Field(min_length=1)] | None = None
    split: Literal["optimal", "balanced"] = "optimal"
    deadline_s: Annotated[float, Field(gt=0)] = 2.0
    seed: int = 0
    latency: dict[Tier, str] = Field(default_factory=dict)


class _TlsFiles(StrictModel):
    ca: str
    cert: str
    key: str


class _AgentTls(StrictModel):
    cert: str
    key: str


class AgentEntry(StrictModel):
    """One agent of a runtime scenario: its node, the models whose stages it hosts, its worker pool, and the Ray
    resources its actor asks for under ``mcfn serve --ray-address`` (:mod:`mcfn.runtime.ray_launcher`)."""

    node: str
    models: Annotated[tuple[str, ...], Field(min_length=1)]
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    max_queue: Annotated[int, Field(ge=0)] = 16
    slowdown: Annotated[float, Field(ge=1)] = 1.0
    device: Annotated[str, Field(pattern=r"^(cpu|cuda(:\d+)?)$")] = "cpu"
    resources: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    #: CPUs its Ray actor asks for (default: one per worker).
    cpus: Annotated[float, Field(ge=0)] | None = None
    #: Its own TLS certificate and key (default: the cluster's ``runtime.tls`` ones).
    tls: _AgentTls | None = None


class _Runtime(StrictModel):
    ingress: str
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, lt=65536)] = 0
    policy: str = "compute-aware"
    advert_period_s: Annotated[float, Field(gt=0)] = 0.1
    max_attempts: Annotated[int, Field(ge=1)] = 3
    models: Annotated[dict[str, _Model], Field(min_length=1)]
    agents: Annotated[list[AgentEntry], Field(min_length=1)]
    tls: _TlsFiles | None = None
    measure_stages: bool = True
    stage_times_cache: str | None = None
    deployment: DeploymentSpec | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class RuntimeScenario:
    """A validated runtime scenario: the routing scenario, the models' stage plans, the agents to start."""

    scenario: Scenario
    plans: dict[str, ModelPlan]
    deadlines_s: dict[str, float]
    agents: tuple[AgentEntry, ...]
    ingress: str
    host: str
    port: int
    policy: str
    advert_period_s: float
    max_attempts: int
    #: The controller's TLS files, and each agent's (:mod:`mcfn.runtime.tls`); ``None``: plain TCP.
    tls: TlsFiles | None = None
    agent_tls: dict[str, TlsFiles] = field(default_factory=dict)
    #: Whether agents measure their stages at start for the controller's predictions (:mod:`mcfn.runtime.stage_times`),
    #: and the folder where they keep those times (``None``: none).
    measure_stages: bool = True
    stage_times_cache: str | None = None
    #: The deployment policy and its load estimate (:mod:`mcfn.runtime.deployment`); ``None``: every stage loaded.
    deployment: DeploymentSpec | None = None

    def with_deployment(self, policy: str) -> RuntimeScenario:
        """This scenario under deployment ``policy`` (``mcfn serve --deployment``); :class:`ScenarioError` naming the
        policies offered."""
        fields = {} if self.deployment is None else self.deployment.model_dump()
        try:
            spec = DeploymentSpec.model_validate(fields | {"policy": policy})
        except ValidationError as exc:
            raise ScenarioError(f"--deployment: {validation_message(exc)}") from None
        return replace(self, deployment=spec)

    def new_deployment(self) -> RuntimeDeployment | None:
        """A fresh deployed state of the agents under the scenario's policy (``None`` without one)."""
        if self.deployment is None:
            return None
        hosted = {agent.node: hosted_stages(self, agent.node) for agent in self.agents}
        return RuntimeDeployment(self.deployment, fleet=self.scenario.fleet, plans=self.plans, hosted=hosted)


def parse_runtime_scenario(document: Any, *, folder: str | Path = ".") -> RuntimeScenario:
    """Validate a decoded runtime scenario and plan its models; relative latency table paths are taken from
    ``folder``; raises :class:`ScenarioError`."""
    if not isinstance(document, dict) or "runtime" not in document:
        raise ScenarioError("a runtime scenario needs a 'runtime' section")
    if "services" in document:
        raise ScenarioError("services: not used by the runtime (each model stage is a service); remove it")
    try:
        runtime = _Runtime.model_validate(document["runtime"])
    except ValidationError as exc:
        raise ScenarioError(f"runtime.{validation_message(exc)}") from None
    for agent in runtime.agents:
        unknown = sorted(set(agent.models) - set(runtime.models))
        if unknown:
            raise ScenarioError(
                f"runtime.agents[{agent.node}]: unknown models {unknown}; declared: {sorted(runtime.models)}"
            )
    hosts = {name: [agent.node for agent in runtime.agents if name in agent.models] for name in runtime.models}
    for name, nodes in hosts.items():
        if not nodes:
            raise ScenarioError(f"runtime.models.{name}: no agent hosts it")
    if len({agent.node for agent in runtime.agents}) != len(runtime.agents):
        raise ScenarioError("runtime.agents: a node has two agents")
    network = {key: value for key, value in document.items() if key != "runtime"}
    # the network and compute nodes, to plan on; the services are the plans' (their size is known after)
    base = parse_scenario(network | {"services": _services(runtime, hosts, None)})
    try:
        base.router().require_base_station(runtime.ingress)
    except ValueError as exc:
        raise ScenarioError(f"runtime.ingress: {exc}") from None
    plans = {}
    for name, model in runtime.models.items():
        try:
            plans[name] = _plan(name, model, hosts[name], base, runtime, Path(folder))
        except ValueError as exc:
            raise ScenarioError(f"runtime.models.{name}: {exc}") from None
    scenario = parse_scenario(network | {"services": _services(runtime, hosts, plans)})
    return RuntimeScenario(
        scenario=scenario,
        plans=plans,
        deadlines_s={name: m.deadline_s for name, m in runtime.models.items()},
        agents=tuple(runtime.agents),
        ingress=runtime.ingress,
        host=runtime.host,
        port=runtime.port,
        policy=runtime.policy,
        advert_period_s=runtime.advert_period_s,
        max_attempts=runtime.max_attempts,
        **_tls(runtime, Path(folder)),
        measure_stages=runtime.measure_stages,
        stage_times_cache=None if runtime.stage_times_cache is None else str(Path(folder) / runtime.stage_times_cache),
        deployment=runtime.deployment,
    )


def _tls(runtime: _Runtime, folder: Path) -> dict[str, Any]:
    """The controller's and the agents' TLS files (paths from ``folder``); :class:`ScenarioError` naming a missing
    file, or agent certificates without the cluster's ``runtime.tls``."""
    if runtime.tls is None:
        with_tls = [agent.node for agent in runtime.agents if agent.tls is not None]
        if with_tls:
            raise ScenarioError(f"runtime.agents: {with_tls} give TLS files but runtime.tls (the CA) is not set")
        return {"tls": None, "agent_tls": {}}

    def path(name: str) -> str:  # absolute: the cluster file gives them to clients that run elsewhere
        return str((folder / name).resolve())

    ca = path(runtime.tls.ca)
    controller = TlsFiles(ca=ca, cert=path(runtime.tls.cert), key=path(runtime.tls.key))
    agents = {
        agent.node: controller
        if agent.tls is None
        else TlsFiles(ca=ca, cert=path(agent.tls.cert), key=path(agent.tls.key))
        for agent in runtime.agents
    }
    for where, files in [("runtime.tls", controller), *((f"runtime.agents[{n}].tls", f) for n, f in agents.items())]:
        try:
            files.client_context()
        except ValueError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
    return {"tls": controller, "agent_tls": agents}


def _services(
    runtime: _Runtime, hosts: dict[str, list[str]], plans: dict[str, ModelPlan] | None
) -> dict[str, dict[str, Any]]:
    """One routing service per model (a stand-in size of one bit and one FLOP until ``plans`` are made)."""
    return {
        name: {
            "instances": hosts[name],
            "data_bits": plans[name].input_bits if plans else 1.0,
            "flops": sum(stage.flops for stage in plans[name].stages) if plans else 1.0,
            "deadline_s": model.deadline_s,
        }
        for name, model in runtime.models.items()
    }


def _plan(name: str, model: _Model, hosts: list[str], scenario: Scenario, runtime: _Runtime, folder: Path) -> ModelPlan:
    """The model's plan: by number of stages, or over tiers played by its agents (module docstring)."""
    from mcfn.partition.tiers import Link, Tiers
    from mcfn.partition.tiers import Tier as PlanTier

    if model.stages is not None:
        if model.tiers is not None or model.latency:
            raise ValueError("give stages or tiers (and latency tables for them), not both")
        return plan_balanced(name, seed=model.seed, stages=model.stages)
    fleet, topology = scenario.fleet, scenario.topology
    by_tier: dict[Tier, list[str]] = {}
    for node in hosts:
        by_tier.setdefault(fleet.nodes[fleet.index[node]].tier, []).append(node)
    names = model.tiers or tuple(tier for tier in Tier if tier in by_tier)
    missing = [tier.value for tier in names if tier not in by_tier]
    if missing or len(set(names)) != len(names):
        raise ValueError(
            f"tiers {[t.value for t in names]}: each once, with an agent of the model ({missing} lack one)"
        )
    unused = sorted(tier.value for tier in set(model.latency) - set(names))
    if unused:
        raise ValueError(f"latency: tables for tiers {unused}, which the plan does not use")
    delay = topology.fastest_paths(runtime.ingress).delay_s
    nodes = [min(by_tier[tier], key=lambda n: (delay[topology.index_of(n)], n)) for tier in names]
    slowdown = {agent.node: agent.slowdown for agent in runtime.agents}
    players = [
        Player(
            node=fleet.nodes[fleet.index[node]], table=_table(model.latency.get(tier), folder), slowdown=slowdown[node]
        )
        for node, tier in zip(nodes, names, strict=True)
    ]
    if model.split == "balanced":
        return plan_balanced(name, seed=model.seed, stages=tuple(tier.value for tier in names), players=players)
    links = []
    for (a, x), (b, y) in itertools.pairwise(zip(nodes, names, strict=True)):
        tree, j = topology.fastest_paths(a), topology.index_of(b)
        if not tree.bottleneck_bps[j] > 0:
            raise ValueError(f"tiers: the {y.value} agent {b} cannot be reached from the {x.value} agent {a}")
        links.append(Link(x.value, y.value, float(tree.bottleneck_bps[j]), float(tree.delay_s[j])))
    speeds = (max(player.node.per_op_flops_per_s) for player in players)  # the planner uses the players' times
    tiers = Tiers(tiers=tuple(PlanTier(t.value, f) for t, f in zip(names, speeds, strict=True)), links=tuple(links))
    return plan_over_tiers(name, seed=model.seed, tiers=tiers, players=players)


def _table(path: str | None, folder: Path) -> LatencyTable | None:
    """The latency table at ``path`` (relative to ``folder``), or ``None``; errors name the file."""
    return None if path is None else load_latency_table(folder / path)


def load_runtime_scenario(path: str | Path) -> RuntimeScenario:
    """Read and validate a runtime scenario file; errors name the file and the field."""
    try:
        return parse_runtime_scenario(read_yaml(path, ScenarioError), folder=Path(path).parent)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from None


class LocalCluster:
    """The controller in this event loop and one agent per node, started by ``launcher`` (by default one spawned
    OS process each) except the ``external`` nodes, whose agents are started elsewhere (``mcfn agent`` on another
    machine, :func:`agent_spec` with ``supervised=False``) and register when they are up; use as ``async with``.

    ``kill`` ends an agent at once (SIGKILL for a process: nothing is cleaned up, as in a crash) and for good;
    ``restart`` starts a fresh one for the same node, which registers again; ``restart_controller`` does the same
    to the controller. An agent that ends by itself (it crashed, or was killed from outside) is restarted by the
    cluster, after :data:`RESTART_BACKOFF_S` doubling with every restart that did not lead to a registration, up to
    :data:`MAX_BACKOFF_S` (:attr:`restarts` counts them); the routes it held fail over when it leaves. The
    launcher checks that every agent can run (:meth:`~mcfn.runtime.launch.Launcher.check`) before any starts.
    """

    def __init__(
        self,
        runtime: RuntimeScenario,
        *,
        token: str | None = None,
        launcher: Launcher | None = None,
        advertised_host: str | None = None,
        external: Collection[str] = (),
    ) -> None:
        self.runtime = runtime
        for node_id in external:
            _entry(runtime, node_id)
        self.external = frozenset(external)
        self.token = token or new_token()
        self.keys = ClusterKeys(self.token, self.node_ids)
        self.controller = self._new_controller()
        self.launcher = launcher or ProcessLauncher()
        self._advertised_host = advertised_host
        self._server: asyncio.Server | None = None
        self._running: set[str] = set()
        self._supervisor: asyncio.Task[None] | None = None
        #: Restarts of agents that ended by themselves, by node.
        self.restarts: Counter[str] = Counter()

    def _new_controller(self) -> Controller:
        runtime = self.runtime
        return Controller(
            scenario=runtime.scenario,
            plans=runtime.plans,
            deadlines_s=runtime.deadlines_s,
            ingress=runtime.ingress,
            keys=self.keys,
            hosted={node: hosted_stages(runtime, node) for node in self.node_ids},
            tls=runtime.tls,
            policy=runtime.policy,
            max_attempts=runtime.max_attempts,
            deployment=runtime.new_deployment(),
        )

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the cluster is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return host, port

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(agent.node for agent in self.runtime.agents)

    async def __aenter__(self) -> LocalCluster:
        self._server = await self.controller.start(host=self.runtime.host, port=self.runtime.port)
        try:
            launched = [node_id for node_id in self.node_ids if node_id not in self.external]
            self.launcher.check([self.agent_spec(node_id) for node_id in launched])
            for node_id in launched:
                self.restart(node_id)
        except BaseException:
            await self.__aexit__()
            raise
        self._supervisor = asyncio.create_task(self._supervise())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
        for node_id in list(self._running):
            self.kill(node_id)
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(TimeoutError):  # let the agents' connections end before the loop does
            await self.controller.wait_until(lambda controller: not controller.live_agents, timeout_s=5.0)

    async def restart_controller(self) -> None:
        """Replace the controller by a fresh one at the same address, as a supervisor restarts a crashed controller
        process: the old one stops listening and drops every connection; the new one knows no agent until each
        registers again (agents retry the address every advert period)."""
        host, port = self.address
        if self._server is not None:
            self._server.close()
        await self.controller.stop()
        self.controller = self._new_controller()
        self._server = await self.controller.start(host=host, port=port)

    async def wait_ready(self, *, timeout_s: float = 60.0) -> None:
        """Return once every agent has registered (they load torch and build their stages first)."""
        await self.controller.wait_for_agents(self.node_ids, timeout_s=timeout_s)

    def kill(self, node_id: str) -> None:
        """End the agent of ``node_id`` at once; not for an external one."""
        self._require_launched(node_id)
        self._running.remove(node_id)
        self.launcher.stop(node_id)

    def restart(self, node_id: str) -> None:
        """Start a fresh agent for ``node_id`` (ending a running one first); not for an external one."""
        self._require_launched(node_id)
        if node_id in self._running:
            self.kill(node_id)
        self.launcher.start(self.agent_spec(node_id))
        self._running.add(node_id)

    async def _supervise(self) -> None:
        """Restart the agents that ended by themselves, with back-off (class docstring)."""
        failures: Counter[str] = Counter()
        due: dict[str, float] = {}
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SUPERVISE_PERIOD_S)
            live = set(self.controller.live_agents)
            for node_id in sorted(self._running):
                if node_id in live:
                    failures[node_id] = 0
                if self.launcher.alive(node_id) or loop.time() < due.get(node_id, 0.0):
                    continue
                log.warning("the agent of %s ended; restarting it (restart %d)", node_id, self.restarts[node_id] + 1)
                self.restart(node_id)
                self.restarts[node_id] += 1
                due[node_id] = loop.time() + min(MAX_BACKOFF_S, RESTART_BACKOFF_S * 2 ** failures[node_id])
                failures[node_id] += 1

    def _require_launched(self, node_id: str) -> None:
        if node_id in self.external:
            raise ValueError(f"the agent of {node_id} is external: it is started and stopped where it runs")

    def hosted_stages(self, node_id: str) -> tuple[str, ...]:
        """Service ids of the stages the agent of ``node_id`` hosts (:func:`hosted_stages`)."""
        return hosted_stages(self.runtime, node_id)

    def agent_spec(self, node_id: str) -> AgentSpec:
        """What the agent of ``node_id`` is started with."""
        host, port = self.address
        address = (self._advertised_host or host, port)
        return agent_spec(self.runtime, node_id, controller=address, agent_secret=self.keys.agent_secret)


def _entry(runtime: RuntimeScenario, node_id: str) -> AgentEntry:
    """The scenario's agent of ``node_id``; ``ValueError`` naming the agents there are."""
    for entry in runtime.agents:
        if entry.node == node_id:
            return entry
    raise ValueError(f"no agent for node {node_id!r} in the scenario; its agents: {[a.node for a in runtime.agents]}")


def hosted_stages(runtime: RuntimeScenario, node_id: str) -> tuple[str, ...]:
    """Service ids of the stages the agent of ``node_id`` hosts: every stage of its models, but a stage pinned to a
    tier only on an agent of that tier."""
    entry = _entry(runtime, node_id)
    tier = runtime.scenario.fleet.nodes[runtime.scenario.fleet.index[node_id]].tier.value
    return tuple(
        stage.service_id
        for model in entry.models
        for stage in runtime.plans[model].stages
        if not stage.pinned or stage.tier == tier
    )


def agent_spec(
    runtime: RuntimeScenario,
    node_id: str,
    *,
    controller: tuple[str, int],
    agent_secret: str,
    host: str | None = None,
    supervised: bool = True,
) -> AgentSpec:
    """What the agent of ``node_id`` is started with: its entry in ``runtime``, the ``controller`` address it
    registers with, the cluster's agent secret (:class:`~mcfn.runtime.auth.ClusterKeys`); it listens on ``host``
    (by default the scenario's ``runtime.host``). ``supervised=False`` for a standalone agent (``mcfn agent``),
    which outlives the process that started it."""
    entry = _entry(runtime, node_id)
    period = runtime.advert_period_s
    fleet = runtime.scenario.fleet
    deployment = runtime.new_deployment()
    return AgentSpec(
        node_id=node_id,
        tier=runtime.scenario.fleet.nodes[runtime.scenario.fleet.index[node_id]].tier.value,
        plans=tuple(runtime.plans[model] for model in entry.models),
        stages=hosted_stages(runtime, node_id),
        controller_host=controller[0],
        controller_port=controller[1],
        agent_secret=agent_secret,
        host=host or runtime.host,
        workers=entry.workers,
        max_queue=entry.max_queue,
        advert=AdvertPolicy(period_s=period, jitter_s=period / 5),
        slowdown=entry.slowdown,
        device=entry.device,
        resources=dict(entry.resources),
        cpus=entry.workers if entry.cpus is None else entry.cpus,
        supervised=supervised,
        measure_stages=runtime.measure_stages,
        stage_times_cache=runtime.stage_times_cache,
        tls=runtime.agent_tls.get(node_id),
        memory_bytes=None if deployment is None else fleet.nodes[fleet.index[node_id]].memory_bytes,
        preload=None if deployment is None else deployment.preload(node_id),
    )
