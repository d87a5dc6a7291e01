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
      models:
        tiny-cnn: {stages: 3, deadline_s: 1.0}
      agents:                            # one OS process each, hosting every stage of its models
        - {node: edge0, models: [tiny-cnn], workers: 2}
        - {node: cloud, models: [tiny-cnn], workers: 4, slowdown: 1.0}

Validation happens here, once; errors are :class:`~mcfn.routing.scenario.ScenarioError` naming the field.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from mcfn.awareness.advert import AdvertPolicy
from mcfn.network.topology.io import read_yaml
from mcfn.routing.scenario import Scenario, ScenarioError, parse_scenario
from mcfn.runtime.agent import AgentSpec
from mcfn.runtime.auth import check_token, new_token
from mcfn.runtime.controller import Controller
from mcfn.runtime.launch import Launcher, ProcessLauncher
from mcfn.runtime.plan import ModelPlan, plan_model
from mcfn.validation import StrictModel, validation_message


class _Model(StrictModel):
    stages: Annotated[int, Field(ge=1)] = 3
    deadline_s: Annotated[float, Field(gt=0)] = 2.0
    seed: int = 0


class AgentEntry(StrictModel):
    """One agent of a runtime scenario: its node, the models whose stages it hosts, its worker pool."""

    node: str
    models: Annotated[tuple[str, ...], Field(min_length=1)]
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    max_queue: Annotated[int, Field(ge=0)] = 16
    slowdown: Annotated[float, Field(ge=1)] = 1.0


class _Runtime(StrictModel):
    ingress: str
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, lt=65536)] = 0
    policy: str = "compute-aware"
    advert_period_s: Annotated[float, Field(gt=0)] = 0.1
    max_attempts: Annotated[int, Field(ge=1)] = 3
    models: Annotated[dict[str, _Model], Field(min_length=1)]
    agents: Annotated[list[AgentEntry], Field(min_length=1)]


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


def parse_runtime_scenario(document: Any) -> RuntimeScenario:
    """Validate a decoded runtime scenario and plan its models; raises :class:`ScenarioError`."""
    if not isinstance(document, dict) or "runtime" not in document:
        raise ScenarioError("a runtime scenario needs a 'runtime' section")
    if "services" in document:
        raise ScenarioError("services: not used by the runtime (each model stage is a service); remove it")
    try:
        runtime = _Runtime.model_validate(document["runtime"])
    except ValidationError as exc:
        raise ScenarioError(f"runtime.{validation_message(exc)}") from None
    try:
        plans = {name: plan_model(name, stages=m.stages, seed=m.seed) for name, m in runtime.models.items()}
    except ValueError as exc:
        raise ScenarioError(f"runtime.models: {exc}") from None
    for agent in runtime.agents:
        unknown = sorted(set(agent.models) - set(plans))
        if unknown:
            raise ScenarioError(f"runtime.agents[{agent.node}]: unknown models {unknown}; declared: {sorted(plans)}")
    services = {}
    for name, plan in plans.items():
        hosts = [agent.node for agent in runtime.agents if name in agent.models]
        if not hosts:
            raise ScenarioError(f"runtime.models.{name}: no agent hosts it")
        flops = sum(stage.flops for stage in plan.stages)
        deadline = runtime.models[name].deadline_s
        services[name] = {"instances": hosts, "data_bits": plan.input_bits, "flops": flops, "deadline_s": deadline}
    if len({agent.node for agent in runtime.agents}) != len(runtime.agents):
        raise ScenarioError("runtime.agents: a node has two agents")
    scenario = parse_scenario(
        {key: value for key, value in document.items() if key != "runtime"} | {"services": services}
    )
    try:
        scenario.router().require_base_station(runtime.ingress)
    except ValueError as exc:
        raise ScenarioError(f"runtime.ingress: {exc}") from None
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
    )


def load_runtime_scenario(path: str | Path) -> RuntimeScenario:
    """Read and validate a runtime scenario file; errors name the file and the field."""
    try:
        return parse_runtime_scenario(read_yaml(path, ScenarioError))
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from None


class LocalCluster:
    """The controller in this event loop and one agent per node, started by ``launcher`` (by default one spawned
    OS process each); use as ``async with``.

    ``kill`` ends an agent at once (SIGKILL for a process: nothing is cleaned up, as in a crash); ``restart``
    starts a fresh one for the same node, which registers again.
    """

    def __init__(
        self,
        runtime: RuntimeScenario,
        *,
        token: str | None = None,
        launcher: Launcher | None = None,
        advertised_host: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.token = token or new_token()
        check_token(self.token.encode())
        self.controller = Controller(
            scenario=runtime.scenario,
            plans=runtime.plans,
            deadlines_s=runtime.deadlines_s,
            ingress=runtime.ingress,
            token=self.token.encode(),
            policy=runtime.policy,
            max_attempts=runtime.max_attempts,
        )
        self.launcher = launcher or ProcessLauncher()
        self._advertised_host = advertised_host
        self._server: asyncio.Server | None = None
        self._running: set[str] = set()

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
        for node_id in self.node_ids:
            self.restart(node_id)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for node_id in list(self._running):
            self.kill(node_id)
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(TimeoutError):  # let the agents' connections end before the loop does
            await self.controller.wait_until(lambda controller: not controller.live_agents, timeout_s=5.0)

    async def wait_ready(self, *, timeout_s: float = 60.0) -> None:
        """Return once every agent has registered (they load torch and build their stages first)."""
        await self.controller.wait_for_agents(self.node_ids, timeout_s=timeout_s)

    def kill(self, node_id: str) -> None:
        """End the agent of ``node_id`` at once."""
        self._running.remove(node_id)
        self.launcher.stop(node_id)

    def restart(self, node_id: str) -> None:
        """Start a fresh agent for ``node_id`` (ending a running one first)."""
        if node_id in self._running:
            self.kill(node_id)
        self.launcher.start(self.agent_spec(node_id))
        self._running.add(node_id)

    def agent_spec(self, node_id: str) -> AgentSpec:
        """What the agent process of ``node_id`` is started with."""
        runtime = self.runtime
        entry = next(agent for agent in runtime.agents if agent.node == node_id)
        host, port = self.address
        period = runtime.advert_period_s
        return AgentSpec(
            node_id=node_id,
            tier=runtime.scenario.fleet.nodes[runtime.scenario.fleet.index[node_id]].tier.value,
            stages=tuple(stage for model in entry.models for stage in runtime.plans[model].stages),
            controller_host=self._advertised_host or host,
            controller_port=port,
            token=self.token,
            host=runtime.host,
            workers=entry.workers,
            max_queue=entry.max_queue,
            advert=AdvertPolicy(period_s=period, jitter_s=period / 5),
            slowdown=entry.slowdown,
        )
