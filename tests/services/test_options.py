"""Service options: variants (float and int8), early exits and compression, from scenario to stages and accuracy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mcfn.compute import ComputeNode, OpClass, Tier, Work
from mcfn.models.zoo import PUBLISHED_TOP1, PUBLISHED_TOP1_INT8, load_zoo_graph
from mcfn.scenario import ScenarioError, default_scenario, parse_scenario
from mcfn.services import FINAL, quantised, service_options

STAGES = [
    {"flops": {"conv": 4e9, "elementwise": 1e8}, "output_bits": 1e6},
    {"flops": {"matmul": 1e9, "other": 1e7}, "output_bits": 8000},
]


def _scenario(service: dict[str, Any]) -> Any:
    base = {"name": "svc", "rate_per_terminal_per_s": 1.0, "deadline_s": 0.5, "data_bits": 1e6}
    return parse_scenario({"services": [{**base, **service}]})


def _total(stages: Any) -> float:
    return sum(sum(s.flops.values()) for s in stages)


def test_the_reference_comes_first_then_each_variant_with_its_exits():
    scenario = _scenario(
        {
            "model": "resnet50",
            "exits": [{"after": "layer2_3_relu_2", "accuracy": 0.5, "source": "assumed"}],
            "variants": [{"model": "resnet50", "precision": "int8"}, {"model": "mobilenet_v2"}],
        }
    )
    (options,) = service_options(scenario)
    assert [(o.variant, o.exit) for o in options] == [
        ("resnet50", FINAL),
        ("resnet50", "layer2_3_relu_2"),
        ("resnet50-int8", FINAL),
        ("mobilenet_v2", FINAL),
    ]
    assert options[0].accuracy == PUBLISHED_TOP1["resnet50"]
    assert options[2].accuracy == PUBLISHED_TOP1_INT8["resnet50"][0]
    assert "QuantizedWeights" in options[2].source
    assert options[1].assumed
    assert not options[0].assumed
    graph = load_zoo_graph("resnet50")
    assert _total(options[0].stages) == pytest.approx(graph.total_flops)
    # the exit runs the ancestors of its node plus a pooled linear head: far less than the whole model
    assert 0.2 * graph.total_flops < _total(options[1].stages) < 0.6 * graph.total_flops
    assert _total(options[2].stages) == pytest.approx(graph.total_flops)  # int8 moves work, it does not remove it


def test_an_int8_stage_runs_its_dense_work_on_int8_units():
    stage = _scenario({"stages": STAGES}).services[0].stages[0]
    q = quantised(stage)
    assert q.flops == {OpClass.INT8: 4e9, OpClass.ELEMENTWISE: 1e8}
    for kind in ("cpu", "gpu", "npu"):
        node = ComputeNode.of_kind(node_id="n", tier=Tier.EDGE, kind=kind, peak_flops_per_s=1e12, memory_bytes=1e9)
        fast, slow = node.compute_time_s(Work(q.flops)), node.compute_time_s(Work(stage.flops))
        assert fast < slow
    plain = ComputeNode(
        node_id="p",
        tier=Tier.EDGE,
        kind="cpu",
        memory_bytes=1e9,
        throughput_flops_per_s={op: 1e9 for op in OpClass if op is not OpClass.INT8},
    )
    assert plain.throughput_flops_per_s[OpClass.INT8] == plain.throughput_flops_per_s[OpClass.CONV]


def test_an_exit_of_explicit_stages_answers_with_the_final_answer_size():
    scenario = _scenario(
        {"stages": STAGES, "accuracy": 0.8, "exits": [{"after": 0, "accuracy": 0.6, "source": "Table 2 of X"}]}
    )
    (options,) = service_options(scenario)
    early = options[1]
    assert len(early.stages) == 1
    assert early.stages[0].output_bits == STAGES[-1]["output_bits"]
    assert early.accuracy == 0.6
    assert not early.assumed


@pytest.mark.parametrize("ratio", [1.0, 0.5, 0.1])
def test_accuracy_at_a_compression_is_seed_eq1_anchored_at_the_option(ratio):
    scenario = _scenario({"model": "resnet18", "variants": [{"model": "mobilenet_v2"}], "compression": [1.0, 0.5]})
    service = scenario.services[0]
    for option in service_options(scenario)[0]:
        q, r = service.accuracy_curve.q, service.accuracy_curve.r
        p = option.accuracy + q * (service.data_bits / 1e6) ** (-r)
        assert option.accuracy_at(ratio) == pytest.approx(p - q * (ratio * service.data_bits / 1e6) ** (-r))
        assert option.accuracy_at(np.array([ratio, 1.0]))[1] == option.accuracy


@pytest.mark.parametrize(
    ("service", "message"),
    [
        ({"model": "resnet50", "exits": [{"after": "nowhere", "accuracy": 0.5, "source": "assumed"}]}, "nowhere"),
        ({"model": "vgg16", "precision": "int8"}, "no published int8 accuracy"),
        ({"model": "resnet50", "variants": [{"model": "resnet50"}]}, "appears twice"),
        ({"stages": STAGES, "exits": [{"after": 1, "accuracy": 0.5, "source": "assumed"}]}, "a stage before the last"),
        ({"stages": STAGES, "accuracy": 0.5, "exits": [{"after": 0, "accuracy": 0.9, "source": "x"}]}, "above"),
        ({"model": "resnet50", "compression": [0.5, 0.5]}, "must differ"),
        ({"model": "resnet50", "compression": [0.0]}, "compression"),
    ],
)
def test_bad_options_are_one_line_errors_naming_the_problem(service, message):
    with pytest.raises(ScenarioError, match=message) as info:
        _scenario(service)
    assert "\n" not in str(info.value)


def test_the_default_offers_lightweight_variants_an_exit_and_compression():
    classify = service_options(default_scenario())[0]
    labels = {o.label for o in classify}
    assert {"resnet50", "resnet50-int8", "mobilenet_v2", "mobilenet_v2-int8"} <= labels
    assert any(o.exit != FINAL for o in classify)
    assert len(default_scenario().services[0].compression) > 1
