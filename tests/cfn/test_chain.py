import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcfn.awareness import Advert, AwareView
from mcfn.compute import ServiceCatalog, Work
from mcfn.routing import Router, SplitRequest, Stage, make_policy, route_stages_optimal

HOSTS = {"a": ["edge0", "edge1", "cloud"], "b": ["edge0", "edge1", "cloud"], "c": ["edge1", "cloud"]}


def brute_force_latency_s(router: Router, request: SplitRequest, now_s: float) -> float:
    """The least predicted latency over every placement, summed transfer by transfer."""
    topology = router.topology
    options = [router.fleet.indices(HOSTS[s.service_id]) for s in request.stages]
    best = float("inf")
    for placement in itertools.product(*options):
        names = [router.fleet.node_ids[j] for j in placement]
        total, source, bits = 0.0, request.ingress, request.data_bits
        for stage, name in zip(request.stages, names, strict=True):
            costs = router.candidates(  # as the plan judges it: input from the ingress at now_s
                service_id=stage.service_id,
                source=request.ingress,
                in_bits=0.0,
                out_bits=0.0,
                work=stage.work,
                budget_s=1e9,
                memory_bytes=0.0,
                home=request.ingress,
                now_s=now_s,
            )
            k = HOSTS[stage.service_id].index(name)
            total += topology.transfer_s(source, name, bits) + costs.queue_s[k] + costs.compute_s[k]
            source, bits = name, stage.output_bits
        back = topology.transfer_s(source, request.ingress, bits) if bits else 0.0
        best = min(best, total + back)
    return best


@settings(max_examples=60, deadline=None)
@given(
    services=st.lists(st.sampled_from(sorted(HOSTS)), min_size=1, max_size=3),
    flops=st.lists(st.floats(1e7, 1e12), min_size=3, max_size=3),
    outputs=st.lists(st.floats(0, 1e8), min_size=3, max_size=3),
    queues=st.tuples(*[st.floats(0, 1e11)] * 3),
    data_bits=st.floats(1e3, 1e8),
    ingress=st.sampled_from(["bs0", "bs1"]),
)
def test_optimal_chain_matches_brute_force_and_never_loses_to_greedy(
    make_line, services, flops, outputs, queues, data_bits, ingress
):
    topology, fleet = make_line()
    view, twin = AwareView(fleet), AwareView(fleet)  # the twin for the greedy router: no placements of the plan
    for node, q in zip(fleet.node_ids, queues, strict=True):
        for aware in (view, twin):
            aware.receive(Advert(node_id=node, sent_s=0.0, queue_flops=q, busy_vms=1, speed_flops_per_s=1e12))
    router = Router(topology=topology, catalog=ServiceCatalog(HOSTS), view=view)
    stages = tuple(
        Stage(service_id=s, work=Work(f), output_bits=o) for s, f, o in zip(services, flops, outputs, strict=False)
    )
    request = SplitRequest(ingress=ingress, data_bits=data_bits, stages=stages, deadline_s=0.1)
    brute_force_s = brute_force_latency_s(router, request, 0.0)  # before the plan's placements are recorded
    plan = route_stages_optimal(router, request, now_s=0.0)
    assert plan.latency_s == pytest.approx(brute_force_s, rel=1e-9)
    greedy = Router(topology=topology, catalog=ServiceCatalog(HOSTS), view=twin).route_stages(
        request, make_policy("compute-aware"), now_s=0.0
    )
    # the plan judges every queue as at the start, greedy as when the stage's input arrives: a backlog drains
    # meanwhile, so each stage's may be up to the largest backlog's seconds (at 1 TFLOP/s) less for greedy
    assert plan.latency_s <= greedy.latency_s * (1 + 1e-9) + len(stages) * max(queues) / 1e12
    for previous, stage in itertools.pairwise(plan.stages):
        assert stage.path[0] == previous.node_id
    assert plan.stages[0].path[0] == ingress
    assert plan.return_path[-1] == ingress


def test_optimal_chain_avoids_the_greedy_trap(make_line):
    """Greedy puts stage 1 on edge0 (nearest); its big output then crosses to edge1, where stage 2 must run."""
    topology, fleet = make_line()
    router = Router(
        topology=topology, catalog=ServiceCatalog({"a": ["edge0", "edge1"], "c": ["edge1"]}), view=AwareView(fleet)
    )
    request = SplitRequest(
        ingress="bs0",
        data_bits=1e3,
        stages=(
            Stage(service_id="a", work=Work(1e9), output_bits=1e8),
            Stage(service_id="c", work=Work(1e9), output_bits=1e3),
        ),
        deadline_s=1.0,
    )
    greedy = router.route_stages(request, make_policy("compute-aware"), now_s=0.0)
    plan = route_stages_optimal(router, request, now_s=0.0)
    assert [s.node_id for s in greedy.stages] == ["edge0", "edge1"]
    assert [s.node_id for s in plan.stages] == ["edge1", "edge1"]
    assert plan.latency_s < greedy.latency_s - 0.05  # 100 Mbit at 1 Gb/s is not carried twice
    assert plan.stages[1].path == ("edge1",)
