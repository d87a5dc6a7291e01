"""The static world of a network simulation, built from a scenario by driving the core constructors.

The topology comes from :func:`mcfn.network.topology.hex_topology` (terminals are not topology nodes: they move,
and reach their serving base station over the simulated OFDMA uplink); compute nodes are
:class:`mcfn.compute.ComputeNode` s (cell ``i``'s edge server ``edge{i}`` of the class that
:meth:`mcfn.scenario.model.Compute.edge_server` gives it). A service's ways to be served are its options
(:func:`mcfn.services.service_options`: variant and exit), numbered across services; every stage ``k`` of option
``o`` of service ``s`` is the catalogue service ``"s/o/k"`` whose instances are the nodes of the tiers the stage may
run on. Routing requests are the core's :class:`mcfn.routing.SplitRequest`, one per (option, ingress) and reused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mcfn.compute import Fleet, ServiceCatalog, Tier, Work
from mcfn.network.topology import HexSpec, Role, Topology, hex_topology
from mcfn.orchestration.choice import Menu
from mcfn.routing import SplitRequest, Stage
from mcfn.scenario import Scenario, StageDoc
from mcfn.scenario.model import Radio
from mcfn.services import Option, service_options


def stage_service_id(service: str, option: str, stage: int) -> str:
    """Catalogue id of stage ``stage`` of ``service``'s option ``option``."""
    return f"{service}/{option}/{stage}"


def stage_work(stage: StageDoc) -> Work:
    flops = stage.flops
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
    #: Every service's options, numbered across services in service order (the reference option of each first).
    options: tuple[Option, ...]
    #: ``service_options[s]``: the option ids of service ``s``.
    service_options: tuple[tuple[int, ...], ...]
    #: ``requests[o][i]``: option ``o``'s split request entering at station ``i``.
    requests: tuple[tuple[SplitRequest, ...], ...]
    #: ``alone_s[o][k][j]``: seconds one VM of fleet node ``j`` needs for stage ``k`` of option ``o`` (for one of its
    #: tiles when the stage is tiled).
    alone_s: tuple[tuple[tuple[float, ...], ...], ...]

    @property
    def max_stages(self) -> int:
        return max(len(o.stages) for o in self.options)

    def is_local(self, option: int) -> bool:
        """Whether option ``option`` runs on a terminal (its stages ``on: [terminal]``: :mod:`mcfn.sim.terminals`),
        not routed."""
        return self.options[option].stages[0].on == ("terminal",)

    @property
    def expected_tasks(self) -> int:
        """Room for the run's tasks: the mean count of its Poisson arrivals (``terminals · Σ λ_s · duration``) plus
        five standard deviations, so that the task table is allocated once (a trace's rows are not counted: the
        table grows for them)."""
        scenario = self.scenario
        rate = sum(s.rate_per_terminal_per_s or 0.0 for s in scenario.services if s.arrivals_path is None)
        mean = scenario.terminals.count * rate * scenario.duration_s
        return int(mean + 5.0 * math.sqrt(mean)) + 1024

    def reference(self, service: int) -> int:
        """The option id of ``service``'s reference variant, final exit (what fixed-variant policies run)."""
        return self.service_options[service][0]


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
    topology.batch_fastest_paths(topology.names)  # routes start and end at nearly every node: all trees at once
    stations = topology.nodes_with_role(Role.BASE_STATION)
    edges = topology.nodes_with_role(Role.EDGE_SERVER)
    nodes = [scenario.compute.edge_server(cell).node(name, Tier.EDGE) for cell, name in enumerate(edges)]
    cloud = scenario.compute.cloud
    if cloud is not None:
        nodes.append(cloud.node("cloud", Tier.CLOUD))
    fleet = Fleet(nodes)
    tiers = {"edge": [n.node_id for n in nodes if n.tier is Tier.EDGE], "cloud": ["cloud"] if cloud else []}
    per_service = service_options(scenario)
    options = tuple(o for service in per_service for o in service)
    ids, first = [], 0
    for service in per_service:
        ids.append(tuple(range(first, first + len(service))))
        first += len(service)
    instances = {}
    for option in options:
        if option.stages[0].on == ("terminal",):  # runs on a terminal, never routed
            continue
        name = scenario.services[option.service].name
        for k, stage in enumerate(option.stages):
            instances[stage_service_id(name, option.label, k)] = [n for tier in stage.on for n in tiers[tier]]
    stages = tuple(
        tuple(
            Stage(
                service_id=stage_service_id(scenario.services[option.service].name, option.label, k),
                work=stage_work(stage),
                output_bits=stage.output_bits,
                memory_bytes=stage.memory_bytes,
                tiles=stage.tiles,
                halo=stage.halo,
            )
            for k, stage in enumerate(option.stages)
        )
        for option in options
    )
    requests = tuple(
        tuple(
            SplitRequest(
                ingress=station,
                data_bits=scenario.services[option.service].data_bits,
                stages=stages[o],
                deadline_s=scenario.services[option.service].deadline_s,
            )
            for station in stations
        )
        for o, option in enumerate(options)
    )
    alone = tuple(tuple(tuple(node.compute_time_s(st.tile_work) for node in nodes) for st in plan) for plan in stages)
    return World(
        scenario=scenario,
        topology=topology,
        fleet=fleet,
        catalog=ServiceCatalog(instances),
        stations=stations,
        station_xy_m=np.array([topology.positions_m[s] for s in stations]),
        options=options,
        service_options=tuple(ids),
        requests=requests,
        alone_s=alone,
    )


def answer_radio_s(option: Option, radio: Radio) -> float:
    """A task's radio time outside its route: the upload's and the downlink's ``radio_delay_s``, and the answer's
    downlink transfer."""
    return 2 * radio.radio_delay_s + option.stages[-1].output_bits / radio.downlink_bps


def menus(world: World) -> tuple[Menu, ...]:
    """Every service's :class:`~mcfn.orchestration.choice.Menu` in ``world``: its options' accuracies at each
    compression level, their radio time outside the route (the upload's and the downlink's ``radio_delay_s``, the
    answer's downlink transfer), and a lower bound of their routed latency (each stage alone on its fastest
    instance)."""
    scenario, fleet = world.scenario, world.fleet
    radio = scenario.radio
    tier_nodes = {
        tier: [j for j, node in enumerate(fleet.nodes) if node.tier.value == tier] for tier in ("edge", "cloud")
    }
    built = []
    for s, every in enumerate(world.service_options):
        ids = tuple(o for o in every if not world.is_local(o))
        service = scenario.services[s]
        options = [world.options[o] for o in ids]
        built.append(
            Menu(
                options=ids,
                requests=tuple(world.requests[o] for o in ids),
                accuracy=tuple(tuple(o.accuracy_at(c) for c in service.compression) for o in options),
                compression=service.compression,
                fixed_s=tuple(answer_radio_s(o, radio) for o in options),
                lower_s=tuple(
                    sum(
                        min(world.alone_s[o][k][j] for tier in stage.on for j in tier_nodes[tier])
                        for k, stage in enumerate(world.options[o].stages)
                    )
                    for o in ids
                ),
                radio_delay_s=radio.radio_delay_s,
                data_bits=service.data_bits,
                deadline_s=service.deadline_s,
                min_accuracy=service.min_accuracy,
            )
        )
    return tuple(built)
