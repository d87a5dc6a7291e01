"""Routing scenarios (YAML): a topology, its compute nodes, services with their instances, and the view's state.

::

    topology: {hex: {rings: 1}}            # or nodes/links, see mcfn.network.topology.io
    compute:                               # one entry per node id, or per role (every node with that role)
      - {role: edge_server, tier: edge, kind: gpu, peak_flops_per_s: 2.0e13, memory_bytes: 3.2e10, vm_slots: 4}
      - {id: cloud, tier: cloud, kind: gpu, peak_flops_per_s: 1.0e15, memory_bytes: 1.0e12, vm_slots: 256}
    services:
      resnet50:
        instances: [edge0, edge3, cloud]   # and/or on_roles: [edge_server]
        data_bits: 1.2e6
        flops: {conv: 7.7e9, matmul: 4.0e6, elementwise: 2.0e8}
        deadline_s: 0.05
    state:                                 # what the router has heard, at now_s
      now_s: 10.0
      adverts: [{node_id: edge0, sent_s: 9.95, queue_flops: 4.0e11, busy_vms: 4, speed_flops_per_s: 6.0e13}]

Validation happens here, once; errors are :class:`ScenarioError`, one line naming the bad field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from mcfn.awareness.advert import Advert
from mcfn.awareness.view import AwareView
from mcfn.compute.fleet import Fleet
from mcfn.compute.ids import ServiceCatalog
from mcfn.compute.node import ComputeNode, Kind, OpClass, Tier, Work, op_throughputs
from mcfn.network.topology.graph import Role, Topology
from mcfn.network.topology.io import TopologyDoc, read_yaml
from mcfn.routing.request import Request
from mcfn.routing.router import Router
from mcfn.validation import StrictModel, validation_message

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line naming the problem."""


class _Compute(StrictModel):
    id: str | None = None
    role: Role | None = None
    tier: Tier
    kind: Kind
    peak_flops_per_s: Positive | None = None
    throughput_flops_per_s: dict[OpClass, Positive] | None = None
    memory_bytes: Positive
    vm_slots: Annotated[int, Field(ge=1)] = 1
    degradation: NonNegative = 0.0

    @model_validator(mode="after")
    def _one_each(self) -> _Compute:
        if (self.id is None) == (self.role is None):
            raise ValueError("give exactly one of 'id' and 'role'")
        if (self.peak_flops_per_s is None) == (self.throughput_flops_per_s is None):
            raise ValueError("give exactly one of 'peak_flops_per_s' and 'throughput_flops_per_s'")
        if self.throughput_flops_per_s is not None and set(self.throughput_flops_per_s) | {OpClass.INT8} != set(
            OpClass
        ):
            needed = ", ".join(op for op in OpClass if op is not OpClass.INT8)
            raise ValueError(f"throughput_flops_per_s needs every op class: {needed} (int8 optional)")
        return self

    def nodes(self, topology: Topology) -> list[ComputeNode]:
        names = [self.id] if self.id is not None else topology.nodes_with_role(self.role)  # type: ignore[arg-type]
        speeds = self.throughput_flops_per_s or op_throughputs(self.kind, self.peak_flops_per_s)  # type: ignore[arg-type]
        return [
            ComputeNode(
                node_id=name,
                tier=self.tier,
                kind=self.kind,
                throughput_flops_per_s=speeds,
                memory_bytes=self.memory_bytes,
                vm_slots=self.vm_slots,
                degradation=self.degradation,
            )
            for name in names
        ]


class _Service(StrictModel):
    instances: tuple[str, ...] = ()
    on_roles: tuple[Role, ...] = ()
    data_bits: NonNegative
    flops: Annotated[float, Field(ge=0)] | dict[OpClass, NonNegative]
    deadline_s: Positive
    result_bits: NonNegative = 0.0
    memory_bytes: NonNegative = 0.0


class _Advert(StrictModel):
    node_id: str
    sent_s: float
    queue_flops: NonNegative = 0.0
    busy_vms: Annotated[int, Field(ge=0)] = 0
    speed_flops_per_s: NonNegative = 0.0
    arrival_flops_per_s: NonNegative = 0.0


class _State(StrictModel):
    now_s: float = 0.0
    adverts: tuple[_Advert, ...] = ()


class _Scenario(StrictModel):
    topology: TopologyDoc
    compute: Annotated[list[_Compute], Field(min_length=1)]
    services: Annotated[dict[str, _Service], Field(min_length=1)]
    state: _State = _State()


@dataclass(frozen=True, eq=False, kw_only=True)
class ServiceSpec:
    """A service's default request parameters."""

    data_bits: float
    work: Work
    deadline_s: float
    result_bits: float
    memory_bytes: float


@dataclass(frozen=True, eq=False, kw_only=True)
class Scenario:
    """A validated scenario: everything a :class:`Router` needs, plus the services' default requests."""

    topology: Topology
    catalog: ServiceCatalog
    view: AwareView
    services: dict[str, ServiceSpec]
    now_s: float

    @property
    def fleet(self) -> Fleet:
        return self.view.fleet

    def router(self) -> Router:
        return Router(topology=self.topology, catalog=self.catalog, view=self.view)

    def request(self, service_id: str, ingress: str, *, deadline_s: float | None = None) -> Request:
        """The service's default request entering at ``ingress`` (optionally with another deadline)."""
        spec = self.services.get(service_id)
        if spec is None:
            raise ScenarioError(f"unknown service {service_id!r}; known: {', '.join(sorted(self.services))}")
        return Request(
            service_id=service_id,
            ingress=ingress,
            data_bits=spec.data_bits,
            work=spec.work,
            deadline_s=spec.deadline_s if deadline_s is None else deadline_s,
            result_bits=spec.result_bits,
            memory_bytes=spec.memory_bytes,
        )


def parse_scenario(document: Any) -> Scenario:
    """Validate a decoded scenario document and build the :class:`Scenario`; raises :class:`ScenarioError`."""
    try:
        model = _Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(validation_message(exc)) from None
    try:
        return _build(model)
    except ValueError as exc:  # cross-references: unknown node ids, duplicate compute nodes
        raise ScenarioError(" ".join(str(exc).split())) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; raises :class:`ScenarioError` naming the file and the field."""
    try:
        return parse_scenario(read_yaml(path, ScenarioError))
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from None


def _build(model: _Scenario) -> Scenario:
    topology = model.topology.build()
    nodes = [node for entry in model.compute for node in entry.nodes(topology)]
    seen: set[str] = set()
    for node in nodes:
        topology.index_of(node.node_id)
        if node.node_id in seen:
            raise ValueError(f"compute: node {node.node_id!r} is described twice")
        seen.add(node.node_id)
    fleet = Fleet(nodes)
    instances = {}
    for name, service in model.services.items():
        by_role = [n.node_id for n in nodes if topology.role(n.node_id) in service.on_roles]
        instances[name] = list(dict.fromkeys([*service.instances, *by_role]))
        fleet.indices(instances[name])
        largest = max((n.memory_bytes for n in nodes if n.node_id in instances[name]), default=0.0)
        if service.memory_bytes > largest:
            raise ValueError(
                f"services.{name}.memory_bytes: {service.memory_bytes:g} exceeds the memory of every instance "
                f"(at most {largest:g} bytes)"
            )
    view = AwareView(fleet)
    slots = {node.node_id: node.vm_slots for node in nodes}
    for k, advert in enumerate(model.state.adverts):
        where = f"state.adverts[{k}]"
        if advert.sent_s > model.state.now_s:
            raise ValueError(
                f"{where}.sent_s: {advert.sent_s} is after state.now_s {model.state.now_s} (from the future)"
            )
        if advert.node_id in slots and advert.busy_vms > slots[advert.node_id]:
            raise ValueError(
                f"{where}.busy_vms: {advert.busy_vms} exceeds the {slots[advert.node_id]} vm_slots of {advert.node_id}"
            )
        view.receive(Advert(**advert.model_dump()))
    services = {
        name: ServiceSpec(
            data_bits=s.data_bits,
            work=Work({k.value: v for k, v in s.flops.items()} if isinstance(s.flops, dict) else s.flops),
            deadline_s=s.deadline_s,
            result_bits=s.result_bits,
            memory_bytes=s.memory_bytes,
        )
        for name, s in model.services.items()
    }
    return Scenario(
        topology=topology,
        catalog=ServiceCatalog(instances),
        view=view,
        services=services,
        now_s=model.state.now_s,
    )
