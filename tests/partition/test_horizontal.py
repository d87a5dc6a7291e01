"""Horizontal planning: exact against exhaustive search, latency equal to the spec's recomputation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcfn.models.graph import LayerGraph, Node
from mcfn.partition.cost import evaluate
from mcfn.partition.horizontal import plan_horizontal
from mcfn.partition.tiers import Tiers
from tests.partition.partition_cases import THREE_TIERS, random_dag, tiers_of


def exhaustive(graph: LayerGraph, tiers: Tiers) -> float:
    """The best latency over every feasible assignment, enumerated in topological order."""
    order = graph.topological_order
    assignment = [0] * len(graph.nodes)
    best = float("inf")

    def place(pos: int) -> None:
        nonlocal best
        if pos == len(order):
            best = min(best, evaluate(graph, tiers, assignment).latency_s)
            return
        v = order[pos]
        lowest = max((assignment[u] for u in graph.predecessors[v]), default=0)
        for tier in range(lowest, 1 if v == graph.input_index else len(tiers)):
            assignment[v] = tier
            place(pos + 1)

    place(0)
    return best


@st.composite
def instances(draw: st.DrawFn, *, tier_counts: tuple[int, ...], chain: bool = False) -> tuple[LayerGraph, Tiers]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    nodes = draw(st.integers(1, 10))
    k = draw(st.sampled_from(tier_counts))
    graph = random_dag(rng, nodes, edge_p=0.0 if chain else draw(st.sampled_from([0.1, 0.3, 0.6])))
    if chain:
        graph = LayerGraph("chain", graph.nodes, tuple((f"n{v - 1}", f"n{v}") for v in range(1, nodes)))
    speeds = sorted(rng.uniform(1e9, 1e12, k))
    tiers = tiers_of(k, speeds, list(rng.uniform(1e6, 1e9, k)), list(rng.uniform(0, 0.05, k)))
    return graph, tiers


@settings(max_examples=80, deadline=None)
@given(instances(tier_counts=(1, 2, 3)))
def test_cut_equals_exhaustive_search(instance: tuple[LayerGraph, Tiers]) -> None:
    graph, tiers = instance
    plan = plan_horizontal(graph, tiers, method="cut")
    assert plan.latency_s == pytest.approx(exhaustive(graph, tiers), rel=1e-7)


@settings(max_examples=40, deadline=None)
@given(instances(tier_counts=(1, 2, 3), chain=True))
def test_chain_fast_path_equals_exhaustive_search(instance: tuple[LayerGraph, Tiers]) -> None:
    graph, tiers = instance
    plan = plan_horizontal(graph, tiers)
    assert plan.method == "chain"
    assert plan.latency_s == pytest.approx(exhaustive(graph, tiers), rel=1e-9)
    assert plan.latency_s == pytest.approx(plan_horizontal(graph, tiers, method="cut").latency_s, rel=1e-7)


@settings(max_examples=30, deadline=None)
@given(instances(tier_counts=(2, 3)))
def test_reported_latency_is_the_recomputation(instance: tuple[LayerGraph, Tiers]) -> None:
    graph, tiers = instance
    plan = plan_horizontal(graph, tiers)
    again = evaluate(graph, tiers, plan.assignment)
    assert plan.latency_s == again.latency_s
    assert plan.latency_s == pytest.approx(sum(again.compute_s.values()) + sum(again.transfer_s.values()))
    assert plan.latency_s <= min(plan.baselines.values()) * (1 + 1e-7)
    document = plan.to_json_dict()
    assert set(document) == {"model", "latency_s", "assignment", "breakdown", "baselines", "solve_time_s"}
    assert list(document["assignment"]) == [n.id for n in graph.nodes]
    assert set(document["baselines"]) == {f"{name}-only" for name in tiers.names}


def test_baselines_put_everything_but_the_input_on_one_tier() -> None:
    graph = random_dag(np.random.default_rng(1), 30)
    plan = plan_horizontal(graph, THREE_TIERS)
    cloud = [2] * 30
    cloud[0] = 0
    assert plan.baselines["cloud-only"] == evaluate(graph, THREE_TIERS, cloud).latency_s
    assert plan.baselines["device-only"] == evaluate(graph, THREE_TIERS, [0] * 30).latency_s


def test_a_tensor_with_several_readers_crosses_once() -> None:
    # x -> a (cheap), a read by b and c (expensive): best is a on device, b and c on the edge.
    nodes = (
        Node("x", "input", 0, 4_000_000),
        Node("a", "pool", 1e6, 1000),
        Node("b", "conv", 1e12, 8),
        Node("c", "conv", 1e12, 8),
        Node("d", "add", 0, 8),
    )
    edges = (("x", "a"), ("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"))
    graph = LayerGraph("fan", nodes, edges)
    tiers = tiers_of(2, [1e10, 1e13], [8e6], [0.0])
    plan = plan_horizontal(graph, tiers)
    assert [plan.tier_of(n) for n in "xabcd"] == ["device", "device", "edge", "edge", "edge"]
    assert plan.breakdown.transfer_s["device->edge"] == pytest.approx(1000 * 8 / 8e6)


def test_data_never_moves_back() -> None:
    graph = random_dag(np.random.default_rng(7), 200, edge_p=0.05)
    plan = plan_horizontal(graph, THREE_TIERS)
    assert all(plan.assignment[graph.index[u]] <= plan.assignment[graph.index[v]] for u, v in graph.edges)


def test_measured_table_replaces_flops() -> None:
    graph = random_dag(np.random.default_rng(3), 12)
    table = np.ones((12, 3))
    table[:, 0] = 1e-9  # device is fastest for everything: nothing should leave it
    plan = plan_horizontal(graph, THREE_TIERS, compute_s=table)
    assert set(plan.assignment) == {0}
    with pytest.raises(ValueError, match=r"compute_s: expected shape \(12, 3\)"):
        plan_horizontal(graph, THREE_TIERS, compute_s=np.ones((12, 2)))


def test_chain_method_on_a_dag_is_refused() -> None:
    graph = random_dag(np.random.default_rng(3), 12, edge_p=0.5)
    with pytest.raises(ValueError, match="is not a chain"):
        plan_horizontal(graph, THREE_TIERS, method="chain")
