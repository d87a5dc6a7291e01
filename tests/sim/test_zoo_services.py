"""Services from the model zoo: stages derived by driving mcfn.partition, published accuracies, field errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mcfn.compute import OP_CLASSES, ComputeNode, Tier
from mcfn.models.zoo import PUBLISHED_TOP1, load_zoo_graph
from mcfn.partition import plan_horizontal
from mcfn.partition.stages import balanced_stages, compute_table_s
from mcfn.partition.tiers import Link, Tiers
from mcfn.partition.tiers import Tier as PlanTier
from mcfn.scenario import ScenarioError, default_scenario, load_scenario, parse_scenario


def _scenario(service: dict[str, Any], **top: Any) -> Any:
    base = {"name": "svc", "rate_per_terminal_per_s": 1.0, "deadline_s": 0.5}
    return parse_scenario({"services": [{**base, **service}], **top})


def _flops(stage: Any) -> np.ndarray:
    return np.array([stage.flops.get(op, 0.0) for op in OP_CLASSES])


def test_balanced_stages_are_the_partition_cut_with_its_flops_and_boundary_tensors():
    graph = load_zoo_graph("vgg16")  # a chain: a stage's output is its last layer's
    service = _scenario({"model": "vgg16", "split": {"stages": 3, "on": ["edge"]}}).services[0]
    stage_of = balanced_stages(graph, 3)
    order = list(graph.topological_order)
    assert len(service.stages) == 3
    for k, stage in enumerate(service.stages):
        members = [i for i in order if stage_of[i] == k]
        assert sum(stage.flops.values()) == pytest.approx(sum(graph.nodes[i].flops for i in members))
        assert stage.output_bits == 8 * graph.nodes[members[-1]].output_bytes
        assert stage.memory_bytes == sum(graph.nodes[i].param_bytes for i in members)
        assert stage.on == ("edge",)
    assert sum(_flops(s).sum() for s in service.stages) == pytest.approx(graph.total_flops)


def test_a_split_over_tiers_is_plan_horizontal_with_the_scenarios_servers_and_path():
    edge = {"kind": "cpu", "peak_flops_per_s": 1e10, "memory_bytes": 1e10}
    cloud = {"kind": "gpu", "peak_flops_per_s": 1e14, "memory_bytes": 1e12}
    scenario = _scenario(
        {"model": "alexnet", "split": {"tiers": ["edge", "cloud"]}},
        network={"wan_bps": 1e8},
        compute={"edge": edge, "cloud": cloud},
    )
    graph = load_zoo_graph("alexnet")
    players = [
        ComputeNode.of_kind(node_id="e", tier=Tier.EDGE, **edge),
        ComputeNode.of_kind(node_id="c", tier=Tier.CLOUD, **cloud),
    ]
    net = scenario.network
    delay = net.lan_delay_s + net.backhaul_delay_s + net.core_delay_s + net.wan_delay_s
    tiers = Tiers((PlanTier("edge", 1e10), PlanTier("cloud", 1e14)), (Link("edge", "cloud", 1e8, delay),))
    plan = plan_horizontal(graph, tiers, compute_s=compute_table_s(graph, players))
    stages = scenario.services[0].stages
    assert [s.on for s in stages] == [("edge",), ("cloud",)]  # this setting cuts alexnet in two
    for k, stage in enumerate(stages):
        on_tier = [i for i, t in enumerate(plan.assignment) if t == k]
        assert sum(stage.flops.values()) == pytest.approx(sum(graph.nodes[i].flops for i in on_tier))
    crossing = plan.to_json_dict()["breakdown"]["transfer_s"]["edge->cloud"]
    assert stages[0].output_bits / 1e8 + delay == pytest.approx(crossing)
    assert stages[1].output_bits == 8 * sum(graph.nodes[i].output_bytes for i in graph.outputs)


def test_a_plan_that_leaves_the_edge_only_the_input_is_one_cloud_stage():
    stages = _scenario({"model": "resnet50", "split": {"tiers": ["edge", "cloud"]}}).services[0].stages
    assert len(stages) == 1
    assert stages[0].on in (("edge",), ("cloud",))
    assert sum(stages[0].flops.values()) == pytest.approx(load_zoo_graph("resnet50").total_flops)


def test_a_zoo_service_defaults_to_its_input_tensor_and_published_accuracy():
    service = _scenario({"model": "mobilenet_v2"}).services[0]
    assert service.data_bits == 32 * 3 * 224 * 224
    assert service.accuracy == PUBLISHED_TOP1["mobilenet_v2"] == 0.71878
    assert len(service.stages) == 1
    assert service.stages[0].on == ("edge", "cloud")
    given = _scenario({"model": "mobilenet_v2", "data_bits": 1e6, "accuracy": 0.5}).services[0]
    assert (given.data_bits, given.accuracy) == (1e6, 0.5)


def test_the_default_scenario_validates_with_classify_from_the_zoo():
    scenario = default_scenario()
    classify = scenario.services[0]
    assert classify.model == "resnet50"
    assert classify.accuracy == pytest.approx(0.7613)
    assert sum(classify.stages[0].flops.values()) == pytest.approx(load_zoo_graph("resnet50").total_flops)
    assert [s.model for s in scenario.services[1:]] == [None, None]  # no detector or speech model in the zoo


def test_on_in_a_yaml_file_is_a_field_not_a_boolean(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "services:\n  - {name: a, model: resnet18, split: {stages: 2, on: [edge]}, rate_per_terminal_per_s: 1,"
        " deadline_s: 1}\n",
        encoding="utf-8",
    )
    assert [s.on for s in load_scenario(path).services[0].stages] == [("edge",), ("edge",)]


@pytest.mark.parametrize(
    ("service", "top", "message"),
    [
        ({"model": "resnet51"}, {}, "services[0]: model 'resnet51' is not in the zoo; valid: alexnet"),
        ({"model": "resnet50", "split": {"stages": 0}}, {}, "services[0].split.stages"),
        ({"model": "resnet50", "split": {"stages": 2, "tiers": ["edge"]}}, {}, "services[0].split: 'tiers' pins"),
        ({"model": "resnet50", "split": {"tiers": ["cloud", "edge"]}}, {}, "tiers must be [edge], [cloud] or"),
        ({"model": "resnet50", "split": {"tiers": ["cloud"]}}, {"compute": {"cloud": None}}, "split uses the cloud"),
        ({"model": "resnet50", "stages": [{"flops": 1.0, "output_bits": 1.0}]}, {}, "not both"),
        ({"data_bits": 1.0, "stages": [{"flops": 1.0, "output_bits": 1.0}], "split": {"stages": 2}}, {}, "'split'"),
        ({"data_bits": 1.0}, {}, "give 'stages' (1 to 16) or a zoo 'model'"),
        ({"stages": [{"flops": 1.0, "output_bits": 1.0}]}, {}, "services[0].data_bits: Field required"),
        ({"model": "resnet50", "accuracy_curve": {"r": 0}}, {}, "services[0].accuracy_curve.r"),
    ],
)
def test_bad_zoo_services_name_the_field(service, top, message):
    with pytest.raises(ScenarioError) as caught:
        _scenario(service, **top)
    assert message in str(caught.value)


def test_the_example_zoo_scenario_reads_as_its_comments_say():
    scenario = load_scenario(Path(__file__).parents[2] / "examples" / "sim_zoo.yaml")
    classify, recognise, describe = scenario.services
    assert scenario.radio.uplink_policy == "joint-allocation"
    assert classify.accuracy == PUBLISHED_TOP1["resnet50"]
    assert [s.on for s in classify.stages] == [("edge", "cloud")]
    assert [s.on for s in recognise.stages] == [("edge",), ("edge",)]
    assert all(len(s.on) == 1 for s in describe.stages)
    assert recognise.curve.accuracy(recognise.data_bits) == pytest.approx(recognise.accuracy)
