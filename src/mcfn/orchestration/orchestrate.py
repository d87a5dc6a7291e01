"""The compute orchestration layer (seed §3.1): service requests → routed stages → allocation → deployment.

For a batch of requests that arrive together, :func:`orchestrate`

1. routes every request's stages with the compute-aware policy (:meth:`~mcfn.routing.router.Router.route_stages`);
2. per base station, poses the requests as seed §3.2's joint bandwidth / compute / compression problem and solves
   it (:func:`mcfn.orchestration.uplink.allocate_uploads`, the path the simulator's ``joint-allocation`` uplink
   takes too): they share the station's uplink, and each draws compute on the node its first stage was routed to
   (the station's edge server, another edge or the cloud), with that node's VMs and its busy ones as the aware
   view reports them; each request's deadline is reduced by what its wired hops, queueing and later stages take;
3. sends the requests that the allocation rejects to the cloud (all stages), saying why, and solves the
   allocation again for the rest with the uplink those requests no longer share;
4. gives every request outside an allocation an equal share of its station's uplink, uncompressed (this includes
   requests whose first stage is on a node whose VMs are all busy: they run there as routed, slowed down by the
   sharing).

Approximations, stated: the stages after the first keep their routed predictions; stations are solved
independently; a node's busy VMs are the view's, which does not count the stages this batch itself places there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from mcfn.network.radio import noise_psd_w_per_hz, shannon_rate_bps
from mcfn.orchestration.record import Deployment, DeploymentRecord
from mcfn.orchestration.request import RadioSettings, ServiceRequest
from mcfn.orchestration.uplink import Server, UplinkAllocation, UplinkSystem, Upload, allocate_uploads, overhead_s
from mcfn.routing.policies import CloudOnly, make_policy
from mcfn.routing.router import Router, StagedRoute


def orchestrate(
    requests: Sequence[ServiceRequest],
    *,
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
    servers = fleet_servers(router, now_s)
    records: dict[str, DeploymentRecord] = {}
    allocations: dict[str, UplinkAllocation | str] = {}
    for station, group in by_station.items():
        share_hz = radio.bandwidth_hz / len(group)
        pool = []
        for r in group:
            server = servers[router.fleet.index[routes[r.id].stages[0].node_id]]
            if server.busy_vms < server.vm_slots:
                pool.append(r)
            else:  # every VM busy: the tasks share them as routed, with the routed predictions
                records[r.id] = _unallocated(r, routes[r.id], share_hz, radio, None)
        while pool:  # the allocation's rejects leave with their uplink share; the rest are solved again
            uploads = [upload_of(r, routes[r.id], router, radio) for r in pool]
            system = UplinkSystem(
                bandwidth_hz=share_hz * len(pool),
                noise_psd_dbm_hz=radio.noise_psd_dbm_hz,
                weight=radio.weight,
                min_compression=radio.min_compression,
                method=radio.method,
            )
            decision = allocations[station] = allocate_uploads(uploads, servers, system, admission=True)
            if isinstance(decision, str):
                rejected = list(pool)
            else:
                rejected = [r for r, admitted in zip(pool, decision.admitted, strict=True) if not admitted]
            if not rejected:
                for i, r in enumerate(pool):
                    records[r.id] = _allocated(r, routes[r.id], decision, i, uploads[i].overhead_s, radio)
                break
            why = decision if isinstance(decision, str) else "admission"
            reason = f"the radio/compute allocation at {station} rejected it ({why})"
            for r in rejected:
                rerouted = router.route_stages(r.split(), cloud, now_s=now_s)
                records[r.id] = _unallocated(r, rerouted, share_hz, radio, reason)
            pool = [r for r in pool if r not in rejected]
    return Deployment(records=tuple(records[r.id] for r in requests), allocations=allocations)


def fleet_servers(router: Router, now_s: float) -> list[Server]:
    """Every fleet node as the allocation sees it, with its busy VMs as the router's aware view reports them."""
    busy = router.view.estimate(now_s).busy_vms.tolist()
    return [
        Server(vm_slots=n.vm_slots, busy_vms=min(int(b), n.vm_slots), degradation=n.degradation)
        for n, b in zip(router.fleet.nodes, busy, strict=True)
    ]


def upload_of(r: ServiceRequest, route: StagedRoute, router: Router, radio: RadioSettings) -> Upload:
    """``r``'s upload, its first stage on the node ``route`` places it on, the rest of the route its overhead."""
    j = router.fleet.index[route.stages[0].node_id]
    return Upload(
        snr_hz=r.tx_power_w * r.channel_gain / noise_psd_w_per_hz(radio.noise_psd_dbm_hz),
        data_bits=r.data_bits,
        vm_s=router.fleet.nodes[j].compute_time_s(r.stages[0].work),
        scales=r.work_scales_with_input,
        server=j,
        curve=r.accuracy,
        min_accuracy=r.min_accuracy,
        deadline_s=r.deadline_s,
        overhead_s=overhead_s(route),
        fixed=False,
    )


def _allocated(
    r: ServiceRequest, route: StagedRoute, decision: UplinkAllocation, i: int, outside_s: float, radio: RadioSettings
) -> DeploymentRecord:
    bandwidth, rho = float(decision.bandwidth_hz[i]), float(decision.compression[i])
    noise = noise_psd_w_per_hz(radio.noise_psd_dbm_hz)
    uplink = rho * r.data_bits / float(shannon_rate_bps(bandwidth, r.tx_power_w, r.channel_gain, noise))
    return DeploymentRecord(
        request_id=r.id,
        terminal=r.terminal,
        route=route,
        allocated=True,
        bandwidth_hz=bandwidth,
        compression=rho,
        compute_share=float(decision.share[i]),
        uplink_s=uplink,
        latency_s=uplink + float(decision.compute_s[i]) + outside_s,
        accuracy=r.accuracy.accuracy(rho * r.data_bits),
        deadline_s=r.deadline_s,
        cloud_reason=_cloud_reason(route),
    )


def _unallocated(
    r: ServiceRequest, route: StagedRoute, share_hz: float, radio: RadioSettings, reason: str | None
) -> DeploymentRecord:
    rate = float(shannon_rate_bps(share_hz, r.tx_power_w, r.channel_gain, noise_psd_w_per_hz(radio.noise_psd_dbm_hz)))
    uplink = r.data_bits / rate
    return DeploymentRecord(
        request_id=r.id,
        terminal=r.terminal,
        route=route,
        allocated=False,
        bandwidth_hz=share_hz,
        compression=1.0,
        compute_share=1.0,
        uplink_s=uplink,
        latency_s=uplink + route.latency_s,
        accuracy=r.accuracy.accuracy(r.data_bits),
        deadline_s=r.deadline_s,
        cloud_reason=reason or _cloud_reason(route),
    )


def _cloud_reason(route: StagedRoute) -> str | None:
    """Why the router sent a stage of ``route`` to the cloud (None if it did not)."""
    return next((s.reason for s in route.stages if s.reason is not None), None)
