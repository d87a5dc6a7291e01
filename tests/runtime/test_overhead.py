"""The cost of running a stage beyond its layers: measured with the table, stored in it, charged to each stage."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np
import pytest

from mcfn.compute.node import ComputeNode
from mcfn.models.measure import LatencyTable, LatencyTableError, StageOverhead, load_latency_table
from mcfn.runtime.models import TINY, build
from mcfn.runtime.overhead import fit_overhead, measure_stage_overhead
from mcfn.runtime.plan import plan_balanced
from mcfn.runtime.timing import Player

torch = pytest.importorskip("torch")

OVERHEAD = StageOverhead(call_s=2e-3, in_s_per_byte=1e-9, out_s_per_byte=3e-9)


def test_the_stage_overhead_measured_here_is_positive_and_finite():
    overhead = measure_stage_overhead("cpu", warmup=1, repeats=5)
    assert 0 < overhead.call_s < math.inf
    assert 0 <= overhead.in_s_per_byte < math.inf
    assert 0 <= overhead.out_s_per_byte < math.inf


def test_the_fit_recovers_the_coefficients_and_never_makes_one_negative():
    sizes = np.array([(a, b) for a in (1e3, 1e5, 1e6) for b in (1e3, 1e5, 1e6)])
    exact = fit_overhead(sizes, OVERHEAD.seconds(sizes[:, 0], sizes[:, 1]))
    for name in ("call_s", "in_s_per_byte", "out_s_per_byte"):
        assert getattr(exact, name) == pytest.approx(getattr(OVERHEAD, name), rel=1e-6)
    falling = fit_overhead(sizes, 1e-3 - 1e-10 * sizes[:, 1])  # times that shrink as the output grows
    assert falling.out_s_per_byte == 0
    assert falling.call_s > 0


def test_a_table_stores_its_overhead_and_one_without_it_still_loads(tmp_path):
    table = LatencyTable("m", "here", 1, 2, {"a": 1e-3}, OVERHEAD)
    path = tmp_path / "with.json"
    path.write_text(json.dumps(table.to_json_dict()), encoding="utf-8")
    assert load_latency_table(path) == table
    old = {"model": "m", "machine": "here", "warmup": 1, "repeats": 2, "node_latency_s": {"a": 1e-3}}
    path.write_text(json.dumps(old), encoding="utf-8")
    assert load_latency_table(path).stage_overhead is None
    assert LatencyTable("m", "here", 1, 2, {"a": 1e-3}).to_json_dict() == old
    path.write_text(json.dumps(old | {"stage_overhead": asdict(OVERHEAD) | {"call_s": -1}}), encoding="utf-8")
    with pytest.raises(LatencyTableError, match=r"stage_overhead\.call_s"):
        load_latency_table(path)
    with pytest.raises(ValueError, match="in_s_per_byte"):
        StageOverhead(call_s=0, in_s_per_byte=math.nan, out_s_per_byte=0)


def test_a_stage_is_predicted_as_its_layers_time_plus_the_overhead_of_what_its_part_takes_and_returns():
    """On its tier's player each stage's work takes its layers' measured time plus the table's overhead for the
    bytes its part reads and makes, both times the agent's slowdown; a table without an overhead gives the layers'
    time alone, as before."""
    from mcfn.models.profile import profile_model

    graph = profile_model(*build(TINY, seed=0), name=TINY).graph
    layer_s = {layer.id: 1e-4 * (1 + i % 3) for i, layer in enumerate(graph.nodes)}
    tiers = ("terminal", "edge", "cloud")
    nodes = [ComputeNode.of_kind(node_id=t, tier=t, kind="cpu", peak_flops_per_s=1e10, memory_bytes=1e9) for t in tiers]
    slowdowns = (4.0, 1.0, 1.0)
    for overhead in (OVERHEAD, None):
        table = LatencyTable(TINY, "test", 0, 1, layer_s, overhead)
        players = [Player(node=n, table=table, slowdown=s) for n, s in zip(nodes, slowdowns, strict=True)]
        plan = plan_balanced(TINY, seed=0, stages=tiers, players=players)
        assignment = dict(plan.assignment)
        for stage, player in zip(plan.stages, players, strict=True):
            layers = sum(s for layer, s in layer_s.items() if assignment[layer] == stage.tier)
            in_bytes = sum(spec.bits / 8 for spec in stage.receives if spec.name in stage.reads)
            out_bytes = sum(spec.bits / 8 for spec in stage.sends if spec.name in stage.outputs)
            extra = 0.0 if overhead is None else overhead.seconds(in_bytes, out_bytes)
            assert min(in_bytes, out_bytes) > 0
            expected = (layers + extra) * player.slowdown
            assert player.node.compute_time_s(stage.work) == pytest.approx(expected, rel=1e-9)
