"""The spec's simple latency model, term by term, on a hand-computed example."""

from __future__ import annotations

import pytest

from mcfn.models.graph import LayerGraph, Node
from mcfn.partition.cost import evaluate
from tests.partition.partition_cases import THREE_TIERS

# x -> a -> b -> out, and x -> b: x is read on two tiers.
GRAPH = LayerGraph(
    "hand",
    (
        Node("x", "input", 0, 1000),
        Node("a", "conv", 2e10, 500),
        Node("b", "conv", 5e11, 250),
        Node("out", "fc", 1e13, 100),
    ),
    (("x", "a"), ("a", "b"), ("x", "b"), ("b", "out")),
)


def test_every_term_of_the_simple_model() -> None:
    result = evaluate(GRAPH, THREE_TIERS, [0, 0, 1, 2])
    assert result.compute_s == pytest.approx({"device": 1.0, "edge": 1.0, "cloud": 1.0})
    # device->edge carries x (read by b on edge) and a, once each; edge->cloud carries b.
    assert result.transfer_s["device->edge"] == pytest.approx(8 * 1500 / 2e7 + 0.005)
    assert result.transfer_s["edge->cloud"] == pytest.approx(8 * 250 / 1e9 + 0.020)
    # out returns from the cloud to the device over both links.
    assert result.transfer_s["cloud->edge"] == pytest.approx(8 * 100 / 1e9 + 0.020)
    assert result.transfer_s["edge->device"] == pytest.approx(8 * 100 / 2e7 + 0.005)
    assert result.latency_s == pytest.approx(3.0 + sum(result.transfer_s.values()) - 0.0)


def test_a_tensor_crosses_every_link_to_its_farthest_reader() -> None:
    result = evaluate(GRAPH, THREE_TIERS, [0, 0, 2, 2])
    assert result.transfer_s["device->edge"] == pytest.approx(8 * 1500 / 2e7 + 0.005)
    assert result.transfer_s["edge->cloud"] == pytest.approx(8 * 1500 / 1e9 + 0.020)


def test_unused_links_cost_nothing() -> None:
    result = evaluate(GRAPH, THREE_TIERS, [0, 0, 0, 0])
    assert result.transfer_s == {}
    assert result.latency_s == pytest.approx((2e10 + 5e11 + 1e13) / 2e10)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ([1, 1, 1, 1], "the input 'x' must be on the first tier"),
        ([0, 2, 1, 2], "'a' on 'cloud' feeds 'b' on 'edge': data only moves forward"),
        ([0, 0, 0], "4 nodes need a tier each"),
        ([0, 0, 0, 3], "node 'out' has no tier number 3"),
    ],
)
def test_infeasible_plans_are_refused(assignment: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate(GRAPH, THREE_TIERS, assignment)
