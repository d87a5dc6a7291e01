"""Executable plans: for every zoo model, the tier parts composed give the full model's output (relative 1e-5);
any assignment that ``evaluate`` accepts runs, however its tiers interleave in the trace."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mcfn.models.profile import profile_model  # noqa: E402
from mcfn.models.zoo import ZOO, build_model, example_input  # noqa: E402
from mcfn.partition.check import TOLERANCE, relative_difference  # noqa: E402
from mcfn.partition.cost import evaluate  # noqa: E402
from mcfn.partition.execute import run_parts, split_by_tier  # noqa: E402
from mcfn.partition.horizontal import plan_horizontal  # noqa: E402
from mcfn.partition.tiers import Link, Tier, Tiers  # noqa: E402
from tests.partition.partition_cases import THREE_TIERS  # noqa: E402

TWO = ("device", "edge")
THREE = ("device", "edge", "cloud")


def _random_monotone(graph, names: tuple[str, ...], rng: np.random.Generator) -> dict[str, str]:
    tier = [0] * len(graph.nodes)
    for v in graph.topological_order:
        lowest = max((tier[u] for u in graph.predecessors[v]), default=0)
        bump = v != graph.input_index and lowest < len(names) - 1 and rng.random() < 0.05
        tier[v] = lowest + int(bump)
    return {n.id: names[t] for n, t in zip(graph.nodes, tier, strict=True)}


def _thirds(graph, names: tuple[str, ...]) -> dict[str, str]:
    order = graph.topological_order
    return {graph.nodes[v].id: names[len(names) * pos // len(order)] for pos, v in enumerate(order)}


@pytest.mark.parametrize("name", list(ZOO))
def test_split_parts_compose_to_the_full_model(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name)
    x = example_input(name)
    profile = profile_model(model, x, name=name)
    with torch.no_grad():
        reference = model(x)
        for names, assignment in (
            (TWO, _random_monotone(profile.graph, TWO, np.random.default_rng(0))),
            (THREE, _thirds(profile.graph, THREE)),
        ):
            split = split_by_tier(profile.module, assignment, names)
            assert [p.tier for p in split.parts] == sorted({*assignment.values()}, key=names.index)
            assert relative_difference(split.module(x), reference) <= TOLERANCE
            assert relative_difference(run_parts(split, x), reference) <= TOLERANCE


def test_optimal_plan_executes() -> None:
    torch.manual_seed(0)
    model = build_model("resnet18")
    x = example_input("resnet18")
    profile = profile_model(model, x, name="resnet18")
    slow_device = Tiers(
        tiers=(Tier("device", 1e9), Tier("edge", 1e11), Tier("cloud", 1e13)),
        links=(Link("device", "edge", 1e8, 0.001), Link("edge", "cloud", 1e7, 0.01)),
    )
    for tiers in (THREE_TIERS, slow_device):
        plan = plan_horizontal(profile.graph, tiers)
        split = split_by_tier(profile.module, plan.to_json_dict()["assignment"], tiers.names)
        with torch.no_grad():
            assert relative_difference(split.module(x), model(x)) <= TOLERANCE


def test_missing_node_is_named() -> None:
    profile = profile_model(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.ReLU()), torch.randn(2), name="seq")
    with pytest.raises(ValueError, match="does not place traced node '_1'"):
        split_by_tier(profile.module, {"input_1": "device", "_0": "device"}, TWO)


class TwoBranches(torch.nn.Module):
    """Six nodes: the edge's first node comes before the device's in the trace."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        a = torch.relu(x)
        b = torch.sigmoid(x)
        c = torch.tanh(b)
        d = a * 2
        return d + c, {"size": x.shape[-1], "branch": c}


def test_parts_run_in_dependency_order_whatever_the_trace_order() -> None:
    x = torch.randn(3, 4)
    profile = profile_model(TwoBranches(), x, name="two-branches")
    assignment = {"x": "device", "relu": "edge", "sigmoid": "device", "tanh": "device", "mul": "edge", "add": "edge"}
    assignment |= {n.id: "device" for n in profile.graph.nodes if n.id not in assignment}  # the size: getattr...
    names = tuple(n.id for n in profile.graph.nodes)
    evaluate(profile.graph, THREE_TIERS, [THREE.index(assignment[n]) for n in names])  # a valid plan
    split = split_by_tier(profile.module, assignment, TWO)
    assert [p.tier for p in split.parts] == list(TWO)
    out, extra = run_parts(split, x)
    expected, expected_extra = TwoBranches()(x)
    assert torch.equal(out, expected)
    assert torch.equal(extra["branch"], expected_extra["branch"])
    assert extra["size"] == 4  # an int crossed the cut


def test_a_node_reading_a_later_tier_is_named() -> None:
    profile = profile_model(TwoBranches(), torch.randn(3, 4), name="two-branches")
    assignment = {n.id: "device" for n in profile.graph.nodes} | {"sigmoid": "edge"}
    with pytest.raises(ValueError, match="'sigmoid' on 'edge' feeds 'tanh' on 'device': data only moves forward"):
        split_by_tier(profile.module, assignment, TWO)
