"""The compute orchestration layer (seed §3.1): service requests → routed stages → allocation → deployment.

For a batch of requests that arrive together, :func:`orchestrate`

1. routes every request's stages with the compute-aware policy (:meth:`~mcfn.routing.router.Router.route_stages`);
2. per base station, takes the requests whose first stage runs on the station's own edge server: they share the
   station's uplink and that server's free VMs, so the joint bandwidth / compute / compression allocation of
   seed §3.2 (:func:`mcfn.allocation.allocate`) serves them, with each one's deadline reduced by what its later
   stages and transfers take. Its compute unit ("cycles") is a FLOP at the server's mean per-op speed, so a
   stage's ``cycles_per_bit`` is its one-VM compute time times that speed over its input bits;
3. sends the requests that the allocation rejects to the cloud (all stages), saying why, and solves the
   allocation again for the rest with the uplink those requests no longer share;
4. gives every request outside an allocation an equal share of its station's uplink, uncompressed (this includes
   requests on an edge server whose VMs are all busy: they run there as routed, slowed down by the sharing).

Approximations, stated: the stages after the first keep their routed predictions; stations are solved
independently; an edge server's queue is not charged for the stages this batch itself places on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from mcfn.allocation.problem import Instance, Task
from mcfn.allocation.result import TaskAllocation
from mcfn.allocation.solve import allocate
from mcfn.network.radio import noise_psd_w_per_hz, shannon_rate_bps
from mcfn.network.topology.graph import Role, Topology
from mcfn.orchestration.record import Deployment, DeploymentRecord
from mcfn.orchestration.request import RadioSettings, ServiceRequest
from mcfn.routing.policies import CloudOnly, make_policy
from mcfn.routing.router import Router, StagedRoute


def orchestrate(
    requests: Sequence[ServiceRequest],
    *,
    topology: Topology,
    router: Router,
    radio: RadioSettings,
    now_s: float,
) -> Deployment:
    """Deploy ``requests`` (see the module docstring); records come back in the order of ``requests``."""
    aware, cloud = make_policy("compute-aware"), CloudOnly()
    routes = {r.id: router.route_stages(r.split(), aware, now_s=now_s) for r in requests}
    if len(routes) != len(requests):
        raise ValueError("request ids must be unique")
    by_station: dict[str, list[ServiceRequest]] = defaultdict(list)
    for r in requests:
        by_station[r.ingress].append(r)
    records: dict[str, DeploymentRecord] = {}
    allocations = {}
    for station, group in by_station.items():
        share_hz = radio.bandwidth_hz / len(group)
        edge = _edge_server_of(topology, station)
        local = [r for r in group if edge and _first_stage_at(routes[r.id], station, edge)]
        local_ids = {r.id for r in local}
        for r in group:
            if r.id not in local_ids:
                records[r.id] = _unallocated(r, routes[r.id], share_hz, radio, None)
        pool = local
        while edge and pool:  # the allocation's rejects leave with their uplink share; the rest are solved again
            instance, overhead_s = _instance(pool, routes, edge, router, radio, share_hz * len(pool), now_s)
            if instance is None:  # every VM busy: the tasks share them as routed, with the routed predictions
                for r in pool:
                    records[r.id] = _unallocated(r, routes[r.id], share_hz, radio, None)
                break
            result = allocations[edge] = allocate(instance, scheme="proposed", method=radio.method)
            rejected = [r for r, task in zip(pool, result.tasks, strict=True) if not task.admitted]
            if not rejected:
                for r, task in zip(pool, result.tasks, strict=True):
                    records[r.id] = _allocated(r, routes[r.id], task, overhead_s[r.id])
                break
            reason = f"the radio/compute allocation at {edge} rejected it ({result.reason or 'admission'})"
            for r in rejected:
                rerouted = router.route_stages(r.split(), cloud, now_s=now_s)
                records[r.id] = _unallocated(r, rerouted, share_hz, radio, reason)
            pool = [r for r in pool if r not in rejected]
    return Deployment(records=tuple(records[r.id] for r in requests), allocations=allocations)


def _edge_server_of(topology: Topology, station: str) -> str | None:
    """The station's own edge server: its only edge-server neighbour (None if it has none or several)."""
    servers = [n for n in topology.neighbours(station) if topology.role(n) is Role.EDGE_SERVER]
    return servers[0] if len(servers) == 1 else None


def _first_stage_at(route: StagedRoute, station: str, edge: str) -> bool:
    return route.stages[0].node_id == edge and route.stages[0].path == (station, edge)


def _instance(
    local: list[ServiceRequest],
    routes: dict[str, StagedRoute],
    edge: str,
    router: Router,
    radio: RadioSettings,
    bandwidth_hz: float,
    now_s: float,
) -> tuple[Instance | None, dict[str, float]]:
    """The allocation instance of ``local`` at ``edge`` and each request's time outside it (None: no free VM)."""
    fleet = router.fleet
    j = fleet.index[edge]
    node = fleet.nodes[j]
    speed = 1.0 / float(fleet.seconds_per_flop[j].mean())
    busy = int(router.view.estimate(now_s, fleet.indices([edge])).busy_vms[0])
    free = node.vm_slots - busy
    overhead = {}
    tasks = []
    for r in local:
        first, *later = routes[r.id].stages
        overhead[r.id] = first.network_s + first.queue_s + sum(s.latency_s for s in later)
        tasks.append(
            Task(
                id=r.id,
                terminal=r.terminal,
                data_bits=r.data_bits,
                cycles_per_bit=node.compute_time_s(r.stages[0].work) * speed / r.data_bits,
                accuracy=r.accuracy,
                min_accuracy=r.min_accuracy,
                deadline_s=max(r.deadline_s - overhead[r.id], 1e-9),
                tx_power_w=r.tx_power_w,
                channel_gain=r.channel_gain,
                parallel=min(busy + len(local), node.vm_slots),
            )
        )
    if free <= 0:
        return None, overhead
    instance = Instance(
        bandwidth_hz=bandwidth_hz,
        noise_psd_dbm_hz=radio.noise_psd_dbm_hz,
        edge_capacity_hz=free * speed,
        vm_capacity_hz=speed,
        degradation=node.degradation,
        weight=radio.weight,
        min_compression=radio.min_compression,
        tasks=tuple(tasks),
    )
    return instance, overhead


def _allocated(r: ServiceRequest, route: StagedRoute, task: TaskAllocation, overhead_s: float) -> DeploymentRecord:
    return DeploymentRecord(
        request_id=r.id,
        terminal=r.terminal,
        route=route,
        allocated=True,
        bandwidth_hz=task.bandwidth_hz,
        compression=task.compression,
        uplink_s=task.upload_s,
        latency_s=task.latency_s + overhead_s,
        accuracy=task.accuracy,
        deadline_s=r.deadline_s,
        cloud_reason=None,
    )


def _unallocated(
    r: ServiceRequest, route: StagedRoute, share_hz: float, radio: RadioSettings, reason: str | None
) -> DeploymentRecord:
    rate = float(shannon_rate_bps(share_hz, r.tx_power_w, r.channel_gain, noise_psd_w_per_hz(radio.noise_psd_dbm_hz)))
    uplink = r.data_bits / rate
    cloud_stage = next((s for s in route.stages if s.reason is not None), None)  # reason: why the cloud
    return DeploymentRecord(
        request_id=r.id,
        terminal=r.terminal,
        route=route,
        allocated=False,
        bandwidth_hz=share_hz,
        compression=1.0,
        uplink_s=uplink,
        latency_s=uplink + route.latency_s,
        accuracy=r.accuracy.accuracy(r.data_bits),
        deadline_s=r.deadline_s,
        cloud_reason=reason or (cloud_stage.reason if cloud_stage is not None else None),
    )
