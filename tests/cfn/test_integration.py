"""The core driven by a caller-owned loop, as an engine would: time and randomness come from the test."""

import numpy as np
import pytest

from mcfn.awareness import ADVERT_BYTES, Advert, AdvertPolicy, AwareView
from mcfn.compute import ComputeNode, Fleet, ServiceCatalog, Work
from mcfn.network.topology import HexSpec, Role, hex_topology
from mcfn.routing import Request, Router, make_policy


def truth_advert(node: str, t: float, queue_flops: float) -> Advert:
    return Advert(node_id=node, sent_s=t, queue_flops=queue_flops, busy_vms=2, speed_flops_per_s=1e12)


@pytest.mark.parametrize(("loss", "expected"), [(0.0, "edge1"), (1.0, "edge0")])
def test_adverts_steer_requests_away_from_a_loaded_edge(make_line, make_router, loss, expected):
    topology, fleet = make_line()
    view = AwareView(fleet)
    router = make_router(topology, fleet, view)
    sent = AdvertPolicy(period_s=0.01, jitter_s=0.002, loss_probability=loss).emissions(
        nodes=len(fleet), start_s=0.0, end_s=1.0, rng=np.random.default_rng(7)
    )
    for j, t, ok in zip(sent.node, sent.sent_s, sent.delivered, strict=True):
        if ok:  # edge0's backlog grows with time; the others stay idle
            view.receive(truth_advert(fleet.node_ids[j], float(t), 1e10 * t if j == 0 else 0.0))
    req = Request(service_id="svc", ingress="bs0", data_bits=1e6, work=Work(1e9), deadline_s=0.1)
    assert router.route(req, make_policy("compute-aware"), now_s=1.0).node_id == expected
    assert view.bytes_received == int(sent.delivered.sum()) * ADVERT_BYTES
    assert sent.bytes_sent >= view.bytes_received


def test_probing_stale_nodes_fixes_a_decision(make_line, make_router):
    topology, fleet = make_line()
    view = AwareView(fleet)
    router = make_router(topology, fleet, view)
    req = Request(service_id="svc", ingress="bs0", data_bits=1e6, work=Work(1e9), deadline_s=0.1)
    for node in fleet.node_ids:
        view.receive(truth_advert(node, 0.0, 0.0))
    assert router.route(req, make_policy("compute-aware"), now_s=5.0).node_id == "edge0"
    for j in view.stale(5.0, max_age_s=1.0):  # the engine probes them; edge0 has since filled up
        view.receive(truth_advert(fleet.node_ids[j], 5.0, 1e11 if j == 0 else 0.0), probe=True)
    assert view.probes == 3
    assert router.route(req, make_policy("compute-aware"), now_s=5.0).node_id == "edge1"


def test_hex_network_idle_view_serves_each_cell_at_its_own_edge():
    topology = hex_topology(HexSpec(rings=2, terminals_per_cell=2), np.random.default_rng(0))
    edges = topology.nodes_with_role(Role.EDGE_SERVER)
    spec = {"tier": "edge", "kind": "gpu", "peak_flops_per_s": 8e12, "memory_bytes": 16e9, "vm_slots": 4}
    nodes = [ComputeNode.of_kind(node_id=e, **spec) for e in edges]
    nodes.append(
        ComputeNode.of_kind(node_id="cloud", tier="cloud", kind="gpu", peak_flops_per_s=1e15, memory_bytes=1e12)
    )
    fleet = Fleet(nodes)
    router = Router(topology=topology, catalog=ServiceCatalog({"svc": fleet.node_ids}), view=AwareView(fleet))
    policy = make_policy("compute-aware")
    for i, station in enumerate(topology.nodes_with_role(Role.BASE_STATION)):
        req = Request(service_id="svc", ingress=station, data_bits=1e6, work=Work(1e9, "conv"), deadline_s=0.05)
        route = router.route(req, policy, now_s=0.0)
        assert route.node_id == f"edge{i}"
        assert route.path == (station, f"edge{i}")
    big = Request(service_id="svc", ingress="bs5", data_bits=1e6, work=Work(1e12, "conv"), deadline_s=0.2)
    route = router.route(big, policy, now_s=0.0)  # the edge could (0.18 s), the cloud is faster
    assert route.node_id == "cloud"
    assert not route.cloud_fallback
    assert route.reason == "the cloud is predicted faster than every edge instance"
    huge = Request(service_id="svc", ingress="bs5", data_bits=1e6, work=Work(2e12, "conv"), deadline_s=0.2)
    route = router.route(huge, policy, now_s=0.0)
    assert route.cloud_fallback
    assert route.path == ("bs5", "agg0", "core", "cloud")
