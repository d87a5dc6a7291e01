"""The router's cost tables change nothing: a long-lived router decides exactly as a fresh one, and its predicted
costs are bit-for-bit the module formula of :mod:`mcfn.routing.costs`, through adverts, time (estimates that
drain, grow and settle) and link failures."""

import numpy as np
import pytest

from mcfn.awareness import Advert, AwareView
from mcfn.compute import ComputeNode, Fleet, ServiceCatalog, Work
from mcfn.network.topology import HexSpec, Role, Topology, hex_topology
from mcfn.routing import Router, SplitRequest, Stage, make_policy
from mcfn.routing.costs import Instances
from mcfn.routing.tables import CostTables

POLICIES = ("compute-aware", "nearest-edge", "least-loaded", "cloud-only")


def network() -> tuple[Topology, Fleet, ServiceCatalog]:
    """7 cells with an edge server each (two kinds, different slowdowns) and a cloud; two stage services."""
    topology = hex_topology(HexSpec(rings=1, cells_per_aggregation=3))
    edges = topology.nodes_with_role(Role.EDGE_SERVER)
    nodes = [
        ComputeNode.of_kind(
            node_id=name,
            tier="edge",
            kind="cpu" if i % 2 else "gpu",
            peak_flops_per_s=(2e11, 8e11)[i % 2],
            memory_bytes=(4e9, 3.2e10)[i % 2],
            vm_slots=(2, 4)[i % 2],
            degradation=(0.1, 0.3)[i % 2],
        )
        for i, name in enumerate(edges)
    ]
    nodes.append(
        ComputeNode.of_kind(
            node_id="cloud", tier="cloud", kind="gpu", peak_flops_per_s=1e13, memory_bytes=1e12, vm_slots=16
        )
    )
    fleet = Fleet(nodes)
    catalog = ServiceCatalog({"head": list(fleet.node_ids), "tail": [*edges[::2], "cloud"]})
    return topology, fleet, catalog


def split_request(rng: np.random.Generator, ingress: str) -> SplitRequest:
    stages = [
        Stage(
            service_id="head",
            work=Work({"conv": float(rng.uniform(1e8, 2e10)), "elementwise": 1e8}),
            output_bits=float(rng.choice([0.0, 8e3, 3.2e6])),
            memory_bytes=float(rng.choice([0.0, 8e9])),
        )
    ]
    if rng.random() < 0.6:
        stages.append(Stage(service_id="tail", work=Work(float(rng.uniform(1e8, 5e9))), output_bits=1.6e4))
    deadline_s = float(rng.uniform(0.01, 0.5))
    return SplitRequest(
        ingress=ingress, data_bits=float(rng.uniform(0, 4e6)), stages=tuple(stages), deadline_s=deadline_s
    )


def textbook_costs(router: Router, view: AwareView, request: SplitRequest, now_s: float) -> list[dict[str, np.ndarray]]:
    """The first stage's predictions as the module formula states them, computed afresh over its instances."""
    topology, stage = router.topology, request.stages[0]
    instances = router.instances(stage.service_id)
    vertices, nodes = instances.vertices, instances.nodes
    into = topology.fastest_paths(request.ingress)
    transfer_in = into.delay_s[vertices] + request.data_bits * into.seconds_per_bit[vertices]
    network = transfer_in
    result_bits = request.stages[-1].output_bits
    back = into.delay_s[vertices] + result_bits * into.seconds_per_bit[vertices]
    if len(request.stages) == 1 and stage.output_bits:
        network = network + back
    ahead = back if len(request.stages) > 1 and result_bits else np.zeros(nodes.size)
    # the view's slots (awareness.view): the earliest free one, and those still busy when the task starts
    free, used, slots = view.slot_free_s[nodes], view.slot_used[nodes], view.vm_slots[nodes]
    arrival = now_s + transfer_in
    earliest = np.where(used, free, np.inf).min(axis=1)
    with np.errstate(invalid="ignore"):  # no path: inf - inf
        wait = earliest - arrival
    queue = np.where(wait > 0, wait, 0.0)
    begin = np.where(wait > 0, earliest, arrival)
    busy = ((free > begin[:, None]) & used).sum(axis=1)
    parallel = np.minimum(busy + 1, slots)
    compute = (instances.seconds_per_flop @ np.asarray(stage.work.per_op_flops)) * np.power(
        1.0 + instances.degradation, parallel - 1.0
    )
    total = network + queue + compute + ahead
    return {
        "network_s": network,
        "queue_s": queue,
        "compute_s": compute,
        "total_s": total,
        "load": np.minimum(busy, slots) / slots + queue,
        "feasible": (total <= request.deadline_s) & (instances.memory_bytes >= stage.memory_bytes),
    }


@pytest.mark.parametrize("seed", range(6))
def test_a_long_lived_router_decides_as_a_fresh_one_through_adverts_time_and_failures(seed):
    """Two views fed the same adverts and decisions: one long-lived router over the first, a fresh router for each
    decision over the second, must decide alike (what the long-lived one keeps is what the fresh one computes)."""
    rng = np.random.default_rng(seed)
    topology, fleet, catalog = network()
    view, twin = AwareView(fleet), AwareView(fleet)
    router = Router(topology=topology, catalog=catalog, view=view)
    stations = topology.nodes_with_role(Role.BASE_STATION)
    links = topology.links()
    now_s, decisions, link_changes = 0.0, 0, 0
    for _ in range(400):
        action = rng.random()
        if action < 0.35:  # an advert, possibly out of date (then the view keeps the newer one)
            j = int(rng.integers(len(fleet)))
            advert = Advert(
                node_id=fleet.node_ids[j],
                sent_s=now_s - float(rng.uniform(0.0, 0.2)),
                queue_flops=float(rng.choice([0.0, rng.exponential(5e9)])),
                busy_vms=int(rng.integers(0, fleet.vm_slots[j] + 1)),
                speed_flops_per_s=float(rng.choice([0.0, rng.uniform(1e10, 1e12)])),
                arrival_flops_per_s=float(rng.uniform(0.0, 1e12)) if rng.random() < 0.1 else 0.0,
            )
            assert view.receive(advert) == twin.receive(advert)
        elif action < 0.42:  # a link fails or recovers
            link = links[int(rng.integers(len(links)))]
            delay_s = 1e6 if rng.random() < 0.5 else link.delay_s
            topology.update_link(link.a, link.b, delay_s=delay_s)
            link_changes += 1
        else:
            if rng.random() < 0.7:  # time moves on; else another decision at the same instant
                now_s += float(rng.exponential(0.01))
            request = split_request(rng, stations[int(rng.integers(len(stations)))])
            name = POLICIES[int(rng.integers(len(POLICIES)))]
            first = request.stages[0]
            costs = router.candidates(
                service_id=first.service_id,
                source=request.ingress,
                in_bits=request.data_bits,
                out_bits=first.output_bits if len(request.stages) == 1 else 0.0,
                work=first.work,
                budget_s=request.deadline_s,
                memory_bytes=first.memory_bytes,
                home=request.ingress,
                now_s=now_s,
            )
            expected = textbook_costs(router, view, request, now_s)
            single = len(request.stages) == 1  # a prediction alone charges no result's way home (ahead_s)
            for field in ("network_s", "queue_s", "compute_s", "load", *(("total_s", "feasible") if single else ())):
                np.testing.assert_array_equal(getattr(costs, field), expected[field], err_msg=field)
            fresh = Router(topology=topology, catalog=catalog, view=twin)
            routed = router.route_stages(request, make_policy(name), now_s=now_s)
            assert routed == fresh.route_stages(request, make_policy(name), now_s=now_s)
            np.testing.assert_array_equal(view.slot_free_s, twin.slot_free_s)
            decisions += 1
    assert decisions > 200
    assert link_changes > 10
    assert view.version > 50


def test_cached_arrays_cannot_be_changed_by_a_caller(line, make_router):
    router = make_router(*line)
    costs = router.candidates(
        service_id="svc",
        source="bs0",
        in_bits=1e6,
        out_bits=1e3,
        work=Work(1e9),
        budget_s=1.0,
        memory_bytes=0.0,
        home="bs0",
        now_s=0.0,
    )
    with pytest.raises(ValueError, match="read-only"):
        costs.network_s[0] = 0.0


def test_kept_shortlists_are_those_a_fresh_table_builds_through_link_changes():
    """A long-lived :class:`CostTables` answers each shortlist (several kinds from one source to one home) as a fresh
    one builds it, before and after links change (its fleet paths, subsets and shortlists are dropped), hands back
    the one it kept while nothing changes, and shares the instances of shortlists that keep the same candidates."""
    rng = np.random.default_rng(7)
    topology, fleet, catalog = network()
    vertices = np.array([topology.index_of(name) for name in fleet.node_ids])
    nodes = fleet.indices(catalog.hosts("head"))
    instances = Instances.of(fleet, nodes, vertices[nodes])
    tables = CostTables(topology=topology, vertices=vertices)
    stations = topology.nodes_with_role(Role.BASE_STATION)
    links = topology.links()
    kinds = [(4e6, 0.0, 1.6e4, Work(2e9), 0.0), (8e3, 3.2e6, 0.0, Work(5e8), 8e9), (4e6, 0.0, 1.6e4, Work(2e9), 8e9)]
    shared = 0
    for _ in range(3):
        kept = {}
        for _ in range(40):
            source, home = (stations[int(i)] for i in rng.integers(len(stations), size=2))
            in_bits, out_bits, result_bits, work, memory_bytes = kinds[int(rng.integers(len(kinds)))]
            keep = int(rng.integers(1, 4))
            args = ("head", instances, source, home, in_bits, out_bits, result_bits, work, memory_bytes, keep)
            got = tables.shortlist(*args)
            want = CostTables(topology=topology, vertices=vertices).shortlist(*args)
            assert got.bound_s == want.bound_s
            for part, names in (
                ("instances", ("nodes", "is_cloud")),
                ("transfers", ("network_s", "in_s", "path_delay_s", "ahead_s")),
                ("demand", ("alone_s", "fits")),
            ):
                for name in names:
                    np.testing.assert_array_equal(getattr(getattr(got, part), name), getattr(getattr(want, part), name))
            assert tables.shortlist(*args) is got
            nodes = tuple(got.instances.nodes.tolist())
            demand = tables.stage("head", instances, work, memory_bytes)
            if (demand, nodes) in kept:
                assert got.instances is kept[demand, nodes]
                shared += 1
            kept[demand, nodes] = got.instances
        link = links[int(rng.integers(len(links)))]
        topology.update_link(link.a, link.b, delay_s=link.delay_s * float(rng.uniform(2.0, 50.0)))
    assert shared > 10
