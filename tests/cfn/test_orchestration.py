import pytest

from mcfn.allocation import AccuracyCurve
from mcfn.awareness import Advert
from mcfn.orchestration import RadioSettings, ServiceRequest, orchestrate
from mcfn.orchestration.orchestrate import fleet_servers
from mcfn.routing import Stage
from mcfn.routing.scenario import Scenario, load_scenario

RADIO = RadioSettings(bandwidth_hz=20e6)


@pytest.fixture
def scenario(example_path) -> Scenario:
    return load_scenario(example_path)


def service_request(scenario: Scenario, rid: str, ingress: str, *, service="resnet50", gain=1e-10) -> ServiceRequest:
    spec = scenario.services[service]
    return ServiceRequest(
        id=rid,
        terminal=f"ue-{rid}",
        ingress=ingress,
        data_bits=spec.data_bits,
        stages=(Stage(service_id=service, work=spec.work, output_bits=spec.result_bits),),
        deadline_s=spec.deadline_s,
        accuracy=AccuracyCurve(0.95, 0.1, 0.3),
        min_accuracy=0.6,
        tx_power_w=0.2,
        channel_gain=gain,
    )


def deploy(scenario: Scenario, requests: list[ServiceRequest]):
    router = scenario.router()
    return orchestrate(requests, router=router, radio=RADIO, now_s=scenario.now_s)


def test_every_request_of_a_station_is_allocated_on_the_node_its_first_stage_runs_on(scenario):
    requests = [
        service_request(scenario, "a", "bs1"),
        service_request(scenario, "b", "bs1"),
        service_request(scenario, "c", "bs0"),  # edge0 is saturated: routed to edge1, not local
        service_request(scenario, "d", "bs1", service="llm-7b"),  # no edge meets 0.2 s: cloud
    ]
    deployment = deploy(scenario, requests)
    a, b, c, d = deployment.records
    assert [r.request_id for r in deployment.records] == ["a", "b", "c", "d"]
    assert set(deployment.allocations) == {"bs0", "bs1"}
    for r in (a, b, c, d):
        assert r.allocated
        assert 0.05 <= r.compression <= 1.0
        assert r.meets_deadline
        assert r.accuracy >= 0.6
    for r in (a, b):
        assert r.route.stages[0].node_id == "edge1"
        assert r.cloud_reason is None
    assert a.bandwidth_hz + b.bandwidth_hz + d.bandwidth_hz <= RADIO.bandwidth_hz * (1 + 1e-6)
    assert c.route.stages[0].node_id == "edge1"
    assert c.bandwidth_hz == pytest.approx(20e6)  # alone at bs0
    assert d.route.stages[0].node_id == "cloud"
    assert "no edge instance meets the 0.2 s budget" in d.cloud_reason
    assert d.to_json_dict()["stages"][0]["path"] == ["bs1", "agg0", "core", "cloud"]
    # the cloud's request is allocated the cloud's VM: its predicted compute is the cloud's one-VM time over its share
    # (slowed down as the cloud's VMs busy in the view and this one make it, seed eq. 2)
    at_bs1, router = deployment.allocations["bs1"], scenario.router()
    j = router.fleet.index["cloud"]
    cloud, server = router.fleet.nodes[j], fleet_servers(router, scenario.now_s)[j]
    slowdown = (1 + cloud.degradation) ** (min(server.busy_vms + 1, cloud.vm_slots) - 1)
    alone_s = cloud.compute_time_s(requests[3].stages[0].work)
    assert at_bs1.compute_s[2] == pytest.approx(slowdown * alone_s / at_bs1.share[2], rel=1e-9)
    assert at_bs1.share[2] == pytest.approx(1.0, rel=1e-2)  # its cap, up to the conic solver's tolerance


def test_allocation_rejects_go_to_the_cloud_and_the_rest_is_solved_again(scenario):
    good = service_request(scenario, "good", "bs2")
    hopeless = service_request(scenario, "far", "bs2", gain=1e-16)  # its upload alone misses the deadline
    deployment = deploy(scenario, [good, hopeless])
    ok, far = deployment.records
    assert ok.allocated
    assert ok.bandwidth_hz <= RADIO.bandwidth_hz / 2 * (1 + 1e-6)
    assert not far.allocated
    assert far.route.stages[0].node_id == "cloud"
    assert "allocation at bs2 rejected it" in far.cloud_reason
    assert not far.meets_deadline


def test_a_saturated_local_edge_keeps_the_routed_choice_without_allocation(scenario):
    scenario.view.receive(
        Advert(node_id="edge2", sent_s=scenario.now_s, queue_flops=0.0, busy_vms=4, speed_flops_per_s=1.6e13)
    )
    (record,) = deploy(scenario, [service_request(scenario, "x", "bs2")]).records
    assert record.route.stages[0].node_id == "edge2"
    assert not record.allocated
    assert record.cloud_reason is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data_bits": 0.0}, "data_bits must be positive"),
        ({"tx_power_w": 0.0}, "tx_power_w and channel_gain"),
        ({"min_accuracy": 0.99}, "min_accuracy"),
        ({"stages": ()}, "at least one stage"),
    ],
)
def test_bad_service_requests(scenario, change, message):
    base = service_request(scenario, "r", "bs0")
    fields = {name: getattr(base, name) for name in base.__dataclass_fields__}
    with pytest.raises(ValueError, match=message):
        ServiceRequest(**(fields | change))


def test_duplicate_request_ids_are_rejected(scenario):
    with pytest.raises(ValueError, match="unique"):
        deploy(scenario, [service_request(scenario, "r", "bs0"), service_request(scenario, "r", "bs1")])
