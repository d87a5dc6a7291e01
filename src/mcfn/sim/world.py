"""The static world of a network simulation, built from a scenario by driving the core constructors.

The topology comes from :func:`mcfn.network.topology.hex_topology` (terminals are not topology nodes: they move,
and reach their serving base station over the simulated OFDMA uplink); compute nodes are
:class:`mcfn.compute.ComputeNode` s (cell ``i``'s edge server ``edge{i}`` of the class that
:meth:`mcfn.scenario.model.Compute.edge_server` gives it); every stage ``k`` of service ``s`` is the catalogue
service ``"s/k"`` whose instances are the nodes of the tiers the stage may run on. Routing requests are the core's
:class:`mcfn.routing.SplitRequest`, one per (service, ingress) and reused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfn.compute import Fleet, ServiceCatalog, Tier, Work
from mcfn.network.topology import HexSpec, Role, Topology, hex_topology
from mcfn.routing import SplitRequest, Stage
from mcfn.scenario import Scenario, Service


def stage_service_id(service: str, stage: int) -> str:
    """Catalogue id of stage ``stage`` of ``service``."""
    return f"{service}/{stage}"


def stage_work(service: Service, stage: int) -> Work:
    flops = service.stages[stage].flops
    return Work({k.value: v for k, v in flops.items()} if isinstance(flops, dict) else flops)


@dataclass(frozen=True, eq=False, kw_only=True)
class World:
    """Topology, fleet, catalogue, base stations and the services' requests and per-node compute times."""

    scenario: Scenario
    topology: Topology
    fleet: Fleet
    catalog: ServiceCatalog
    stations: tuple[str, ...]
    station_xy_m: np.ndarray
    requests: tuple[tuple[SplitRequest, ...], ...]
    #: ``alone_s[s][k][j]``: seconds one VM of fleet node ``j`` needs for stage ``k`` of service ``s``.
    alone_s: tuple[tuple[tuple[float, ...], ...], ...]

    @property
    def max_stages(self) -> int:
        return max(len(s.stages) for s in self.scenario.services)


def build_world(scenario: Scenario) -> World:
    """Build the :class:`World` of ``scenario``."""
    net = scenario.network
    spec = HexSpec(
        rings=net.rings,
        cell_radius_m=net.cell_radius_m,
        cells_per_aggregation=net.cells_per_aggregation,
        lan_bps=net.lan_bps,
        lan_delay_s=net.lan_delay_s,
        backhaul_bps=net.backhaul_bps,
        backhaul_delay_s=net.backhaul_delay_s,
        core_bps=net.core_bps,
        core_delay_s=net.core_delay_s,
        wan_bps=net.wan_bps,
        wan_delay_s=net.wan_delay_s,
    )
    topology = hex_topology(spec)
    stations = topology.nodes_with_role(Role.BASE_STATION)
    edges = topology.nodes_with_role(Role.EDGE_SERVER)
    nodes = [scenario.compute.edge_server(cell).node(name, Tier.EDGE) for cell, name in enumerate(edges)]
    cloud = scenario.compute.cloud
    if cloud is not None:
        nodes.append(cloud.node("cloud", Tier.CLOUD))
    fleet = Fleet(nodes)
    tiers = {"edge": [n.node_id for n in nodes if n.tier is Tier.EDGE], "cloud": ["cloud"] if cloud else []}
    instances = {}
    for service in scenario.services:
        for k, stage in enumerate(service.stages):
            instances[stage_service_id(service.name, k)] = [n for tier in stage.on for n in tiers[tier]]
    requests = tuple(
        tuple(
            SplitRequest(
                ingress=station,
                data_bits=service.data_bits,
                stages=tuple(
                    Stage(
                        service_id=stage_service_id(service.name, k),
                        work=stage_work(service, k),
                        output_bits=stage.output_bits,
                        memory_bytes=stage.memory_bytes,
                    )
                    for k, stage in enumerate(service.stages)
                ),
                deadline_s=service.deadline_s,
            )
            for station in stations
        )
        for service in scenario.services
    )
    alone = tuple(
        tuple(tuple(node.compute_time_s(stage_work(service, k)) for node in nodes) for k in range(len(service.stages)))
        for service in scenario.services
    )
    return World(
        scenario=scenario,
        topology=topology,
        fleet=fleet,
        catalog=ServiceCatalog(instances),
        stations=stations,
        station_xy_m=np.array([topology.positions_m[s] for s in stations]),
        requests=requests,
        alone_s=alone,
    )
