import re

import pytest

from mcfn.routing import make_policy
from mcfn.routing.scenario import ScenarioError, parse_scenario

EDGE = {"role": "edge_server", "tier": "edge", "kind": "npu", "peak_flops_per_s": 2e13, "memory_bytes": 8e9}
CLOUD = {"id": "cloud", "tier": "cloud", "kind": "gpu", "peak_flops_per_s": 1e15, "memory_bytes": 1e12}
SERVICE = {"on_roles": ["edge_server", "cloud"], "data_bits": 1e6, "flops": 4e9, "deadline_s": 0.05}


def document(**changes):
    return {"topology": {"hex": {"rings": 1}}, "compute": [EDGE, CLOUD], "services": {"det": SERVICE}} | changes


def test_hex_scenario_with_compute_by_role():
    scenario = parse_scenario(document())
    assert len(scenario.fleet) == 8
    assert scenario.catalog.hosts("det")[-1] == "cloud"
    route = scenario.router().route(scenario.request("det", "bs4"), make_policy("compute-aware"), now_s=0.0)
    assert route.node_id == "edge4"
    assert scenario.request("det", "bs4", deadline_s=1.0).deadline_s == 1.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"compute": [EDGE | {"id": "edge0"}]}, "compute[0]: give exactly one of 'id' and 'role'"),
        ({"compute": [CLOUD | {"throughput_flops_per_s": {"conv": 1.0}}]}, "exactly one of 'peak_flops_per_s'"),
        ({"compute": [CLOUD | {"id": "moon"}]}, "unknown topology node 'moon'"),
        ({"compute": [EDGE, EDGE]}, "node 'edge0' is described twice"),
        ({"compute": [CLOUD | {"kind": "tpu"}]}, "compute[0].kind: Input should be 'cpu', 'gpu' or 'npu'"),
        ({"services": {"det": SERVICE | {"on_roles": [], "instances": []}}}, "service 'det' has no instances"),
        ({"services": {"det": SERVICE | {"flops": {"fft": 1.0}}}}, "services.det.flops"),
        ({"services": {}}, "services: Dictionary should have at least 1 item"),
        ({"state": {"adverts": [{"node_id": "edge9", "sent_s": 0}]}}, "unknown compute node 'edge9'"),
    ],
)
def test_bad_scenarios_name_the_field(changes, message):
    with pytest.raises(ScenarioError, match=re.escape(message)) as info:
        parse_scenario(document(**changes))
    assert "\n" not in str(info.value)


def test_unknown_service_request():
    with pytest.raises(ScenarioError, match="unknown service 'x'; known: det"):
        parse_scenario(document()).request("x", "bs0")
