import pytest

from mcfn.allocation import AccuracyCurve
from mcfn.awareness import Advert
from mcfn.orchestration import RadioSettings, ServiceRequest, orchestrate
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
    return orchestrate(requests, topology=scenario.topology, router=router, radio=RADIO, now_s=scenario.now_s)


def test_local_requests_are_allocated_remote_ones_share_the_uplink(scenario):
    requests = [
        service_request(scenario, "a", "bs1"),
        service_request(scenario, "b", "bs1"),
        service_request(scenario, "c", "bs0"),  # edge0 is saturated: routed to edge1, not local
        service_request(scenario, "d", "bs1", service="llm-7b"),  # no edge meets 0.2 s: cloud
    ]
    deployment = deploy(scenario, requests)
    a, b, c, d = deployment.records
    assert [r.request_id for r in deployment.records] == ["a", "b", "c", "d"]
    assert set(deployment.allocations) == {"edge1"}
    assert deployment.allocations["edge1"].status == "optimal"
    for r in (a, b):
        assert r.allocated
        assert r.route.stages[0].node_id == "edge1"
        assert 0.05 <= r.compression <= 1.0
        assert r.meets_deadline
        assert r.accuracy >= 0.6
        assert r.cloud_reason is None
    assert a.bandwidth_hz + b.bandwidth_hz <= 2 * RADIO.bandwidth_hz / 3 * (1 + 1e-6)
    assert not c.allocated
    assert c.route.stages[0].node_id == "edge1"
    assert c.bandwidth_hz == pytest.approx(20e6)
    assert c.latency_s == pytest.approx(c.uplink_s + c.route.latency_s)
    assert not d.allocated
    assert d.route.stages[0].node_id == "cloud"
    assert "no edge instance meets the 0.2 s budget" in d.cloud_reason
    assert d.to_json_dict()["stages"][0]["path"] == ["bs1", "agg0", "core", "cloud"]


def test_allocation_rejects_go_to_the_cloud_and_the_rest_is_solved_again(scenario):
    good = service_request(scenario, "good", "bs2")
    hopeless = service_request(scenario, "far", "bs2", gain=1e-16)  # its upload alone misses the deadline
    deployment = deploy(scenario, [good, hopeless])
    ok, far = deployment.records
    assert ok.allocated
    assert ok.bandwidth_hz <= RADIO.bandwidth_hz / 2 * (1 + 1e-6)
    assert not far.allocated
    assert far.route.stages[0].node_id == "cloud"
    assert "allocation at edge2 rejected it" in far.cloud_reason
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
