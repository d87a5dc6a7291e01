"""Executable plans: for every zoo model, the tier parts composed give the full model's output (≤ 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from partition_cases import THREE_TIERS  # noqa: E402

from mcfn.models.profile import profile_model  # noqa: E402
from mcfn.models.zoo import ZOO, build_model, example_input  # noqa: E402
from mcfn.partition.execute import split_by_tier  # noqa: E402
from mcfn.partition.horizontal import plan_horizontal  # noqa: E402
from mcfn.partition.tiers import Link, Tier, Tiers  # noqa: E402

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
            assert torch.allclose(split.module(x), reference, rtol=0, atol=1e-5)
            values = {"x": x}
            for part in split.parts:  # run the parts one by one, as separate processes would
                result = part.module(*(values[i] for i in part.inputs))
                results = result if isinstance(result, tuple) else (result,)
                values.update(zip(part.outputs, results, strict=True))
            assert torch.allclose(values[split.parts[-1].outputs[0]], reference, rtol=0, atol=1e-5)


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
            assert torch.allclose(split.module(x), model(x), rtol=0, atol=1e-5)


def test_missing_node_is_named() -> None:
    profile = profile_model(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.ReLU()), torch.randn(2), name="seq")
    with pytest.raises(ValueError, match="does not place traced node '_1'"):
        split_by_tier(profile.module, {"input_1": "device", "_0": "device"}, TWO)
