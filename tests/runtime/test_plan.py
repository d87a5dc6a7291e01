"""Executable split plans: stages from mcfn.partition, named tensors carried on, identical weights from a seed."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.compute.node import OP_CLASSES, ComputeNode, OpClass
from mcfn.partition.stages import layer_work, op_class
from mcfn.runtime.models import TINY, build, input_shape
from mcfn.runtime.plan import build_parts, plan_balanced, plan_over_tiers, run_part
from mcfn.runtime.timing import Player

torch = pytest.importorskip("torch")


def compose(plan, parts, x):
    """Run the stages in order as the controller and the agents do, passing exactly what crosses each cut."""
    tensors = {plan.input.name: x}
    for stage in plan.stages:
        assert list(tensors) == [spec.name for spec in stage.receives]
        tensors = run_part(parts[stage.service_id], stage, tensors)
        assert [tuple(t.shape) for t in tensors.values()] == [spec.shape for spec in stage.sends]
    return tensors[plan.output]


def test_balanced_stages_carry_skip_tensors_on_and_together_equal_the_model():
    plan = plan_balanced(TINY, seed=7, stages=3)
    assert [s.service_id for s in plan.stages] == [f"{TINY}/0", f"{TINY}/1", f"{TINY}/2"]
    assert not any(s.pinned for s in plan.stages)
    carried = [{spec.name for spec in s.receives} - set(s.reads) for s in plan.stages]
    assert any(carried)  # a tensor of stage 0 read by stage 2 passes through stage 1
    assert any(len(s.sends) > 1 for s in plan.stages)
    parts = build_parts(plan)  # rebuilt from the seed, as an agent does
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(input_shape(TINY)).astype(np.float32))
    with torch.no_grad():
        y = compose(plan, parts, x)
        assert (y - build(TINY, seed=7)[0](x)).abs().max() <= 1e-5
        assert not torch.allclose(y, build(TINY, seed=8)[0](x), atol=1e-3)  # the seed decides the weights


def test_a_plan_over_tiers_is_the_partition_optimum_with_op_class_work():
    from mcfn.models.profile import profile_model
    from mcfn.partition.horizontal import plan_horizontal
    from mcfn.partition.tiers import Link, Tier, Tiers

    nodes = [
        ComputeNode.of_kind(node_id="ue", tier="terminal", kind="cpu", peak_flops_per_s=1e10, memory_bytes=1e9),
        ComputeNode.of_kind(node_id="edge", tier="edge", kind="cpu", peak_flops_per_s=5e10, memory_bytes=1e9),
        ComputeNode.of_kind(node_id="cloud", tier="cloud", kind="gpu", peak_flops_per_s=1e13, memory_bytes=1e9),
    ]
    links = (Link("terminal", "edge", 1e7, 1e-3), Link("edge", "cloud", 3e7, 1e-2))
    tiers = Tiers(tiers=tuple(Tier(n.tier.value, max(n.per_op_flops_per_s)) for n in nodes), links=links)
    plan = plan_over_tiers("resnet18", seed=0, tiers=tiers, players=[Player(node=n) for n in nodes])
    assert [(s.tier, s.pinned) for s in plan.stages] == [("terminal", True), ("edge", True)]  # a slow radio
    model, x = build("resnet18", seed=0)
    graph = profile_model(model, x, name="resnet18").graph
    compute_s = np.array([[n.compute_time_s(layer_work(layer)) for n in nodes] for layer in graph.nodes])
    assert dict(plan.assignment) == plan_horizontal(graph, tiers, compute_s=compute_s).to_json_dict()["assignment"]
    assert sum(s.flops for s in plan.stages) == pytest.approx(graph.total_flops)
    assert plan.stages[-1].work.per_op_flops[OP_CLASSES.index(OpClass.MATMUL)] > 0  # the classifier's linear layer
    with torch.no_grad():
        assert (compose(plan, build_parts(plan), x) - model(x)).abs().max() <= 1e-5


def test_measured_layer_times_decide_the_cut_and_time_each_stage_on_its_player():
    """A terminal whose table says its layers are slow keeps only the input; one whose table says they are fast
    keeps them all behind a slow radio. Each stage's work, timed on its player, is its layers' measured time times
    the agent's slowdown (the edge, without a table, is timed by its throughputs on the real FLOPs)."""
    from mcfn.models.measure import LatencyTable
    from mcfn.models.profile import profile_model
    from mcfn.partition.tiers import Link, Tier, Tiers

    model, x = build(TINY, seed=0)
    graph = profile_model(model, x, name=TINY).graph
    ue = ComputeNode.of_kind(node_id="ue", tier="terminal", kind="cpu", peak_flops_per_s=1e10, memory_bytes=1e9)
    edge = ComputeNode.of_kind(node_id="edge", tier="edge", kind="cpu", peak_flops_per_s=1e10, memory_bytes=1e9)
    tiers = Tiers(tiers=(Tier("terminal", 1e10), Tier("edge", 1e10)), links=(Link("terminal", "edge", 1e5, 1e-3),))
    cuts = []
    for layer_s in (1.0, 1e-7):
        table = LatencyTable(TINY, "test", 0, 1, {layer.id: layer_s for layer in graph.nodes})
        players = [Player(node=ue, table=table, slowdown=3.0), Player(node=edge)]
        plan = plan_over_tiers(TINY, seed=0, tiers=tiers, players=players)
        on = {tier: [layer for layer in graph.nodes if dict(plan.assignment)[layer.id] == tier] for tier in tiers.names}
        cuts.append(len(on["terminal"]))
        for stage in plan.stages:
            player = players[tiers.names.index(stage.tier)]
            expected = sum(
                3.0 * layer_s if player.table else edge.compute_time_s(layer_work(layer)) for layer in on[stage.tier]
            )
            assert player.node.compute_time_s(stage.work) == pytest.approx(expected, rel=1e-9)
    assert cuts == [1, len(graph.nodes)]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("conv2d", OpClass.CONV),
        ("linear", OpClass.MATMUL),
        ("multiheadattention", OpClass.MATMUL),
        ("maxpool2d", OpClass.OTHER),
        ("adaptiveavgpool2d", OpClass.OTHER),
        ("relu", OpClass.ELEMENTWISE),
        ("add", OpClass.ELEMENTWISE),
        ("batchnorm2d", OpClass.ELEMENTWISE),
    ],
)
def test_layer_ops_map_to_op_classes(op, expected):
    assert op_class(op) is expected


def test_unknown_models_and_impossible_splits_are_refused():
    with pytest.raises(ValueError, match="unknown model"):
        plan_balanced("nope", seed=0, stages=2)
    with pytest.raises(ValueError, match=r"stages must be 1\.\.\d+"):
        plan_balanced(TINY, seed=0, stages=10_000)
