"""Vertical split (fused tiles): receptive fields, speed-balanced tiles, and tiles that reproduce the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcfn.cli.app import main
from mcfn.partition.vertical import ComputeNode, SpatialOp, needed_regions, plan_vertical, window_input

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
X = SpatialOp("x", "input", (), (16, 16), 0.0, 3 * 16 * 16 * 4)
CONV = SpatialOp("conv", "window", ("x",), (16, 16), 1e6, 8 * 16 * 16 * 4, (3, 3), (1, 1), (1, 1), (1, 1))
CONV2 = SpatialOp("conv2", "window", ("conv",), (16, 16), 1e6, 8 * 16 * 16 * 4, (3, 3), (1, 1), (1, 1), (1, 1))
POOL = SpatialOp("pool", "window", ("conv2",), (8, 8), 1e4, 8 * 8 * 8 * 4, (2, 2), (2, 2), (0, 0), (1, 1))
RELU = SpatialOp("relu", "pointwise", ("pool",), (8, 8), 512.0, 8 * 8 * 8 * 4)
PREFIX = (X, CONV, CONV2, POOL, RELU)


def test_receptive_field_back_propagation() -> None:
    assert window_input(CONV, ((0, 4), (4, 8))) == ((-1, 5), (3, 9))
    need = needed_regions(PREFIX, ((0, 2), (6, 8)))
    assert need["relu"] == ((0, 2), (6, 8))
    assert need["pool"] == ((0, 2), (6, 8))
    assert need["conv2"] == ((0, 4), (12, 16))
    assert need["conv"] == ((0, 5), (11, 16))  # the halo grows by one per 3x3 layer...
    assert need["x"] == ((0, 6), (10, 16))  # ...and is clipped at the feature map's edges


def test_faster_node_gets_the_larger_tile_and_halo_costs_extra() -> None:
    nodes = [ComputeNode("slow", 1e9), ComputeNode("fast", 3e9)]
    plan = plan_vertical(PREFIX, nodes, (1, 2))
    slow, fast = plan.tiles
    assert (fast.region[1][1] - fast.region[1][0]) > (slow.region[1][1] - slow.region[1][0])
    assert plan.latency_s == max(t.latency_s for t in plan.tiles)
    assert plan.halo_overhead > 0
    single = plan_vertical(PREFIX, [ComputeNode("only", 1e9)], (1, 1))
    assert single.halo_overhead == pytest.approx(0.0)
    assert plan.latency_s < single.latency_s


def test_transfers_are_charged_on_the_node_links() -> None:
    local = plan_vertical(PREFIX, [ComputeNode("a", 1e9), ComputeNode("b", 1e9)], (2, 1))
    remote = plan_vertical(PREFIX, [ComputeNode("a", 1e9), ComputeNode("b", 1e9, 1e6, 0.01)], (2, 1))
    assert remote.latency_s > local.latency_s + 0.02


def test_grid_must_match_the_nodes() -> None:
    with pytest.raises(ValueError, match="2x2 tiles for 3 nodes"):
        plan_vertical(PREFIX, [ComputeNode(str(i), 1e9) for i in range(3)], (2, 2))


torch = pytest.importorskip("torch")

from mcfn.models.profile import profile_model  # noqa: E402
from mcfn.models.zoo import build_model, example_input  # noqa: E402
from mcfn.partition.vertical_torch import prefix_output, run_vertical, spatial_prefix  # noqa: E402

SPEEDS = [
    ComputeNode("a", 1e10),
    ComputeNode("b", 2e10, 1e8, 0.001),
    ComputeNode("c", 1e10, 1e8),
    ComputeNode("d", 4e10),
]


@pytest.fixture(scope="module", params=[("vgg16", "features_9"), ("resnet18", "layer2_1_relu_1")])
def case(request: pytest.FixtureRequest):
    name, until = request.param
    torch.manual_seed(0)
    x = example_input(name)
    profile = profile_model(build_model(name), x, name=name)
    prefix = spatial_prefix(profile, until)
    return profile, prefix, x, prefix_output(profile, prefix, x)


@pytest.mark.parametrize("grid", [(2, 2), (1, 4)])
def test_stitched_tiles_equal_the_unsplit_model(case, grid: tuple[int, int]) -> None:
    profile, prefix, x, reference = case
    plan = plan_vertical(prefix, SPEEDS, grid, model=profile.graph.name)
    out = run_vertical(profile, prefix, plan, x)
    assert out.shape == reference.shape
    assert (out - reference).abs().max().item() <= 1e-5
    covered = sum((t.region[0][1] - t.region[0][0]) * (t.region[1][1] - t.region[1][0]) for t in plan.tiles)
    assert covered == reference.shape[-1] * reference.shape[-2]


def test_prefix_stops_where_tiling_must(case) -> None:
    profile, _, _, _ = case
    deepest = spatial_prefix(profile)
    assert deepest[-1].id in {"features_30", "layer4_1_relu_1"}
    with pytest.raises(ValueError, match="not in the tileable prefix"):
        spatial_prefix(profile, "fc" if profile.graph.name == "resnet18" else "classifier_0")


def test_cli_vertical_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["partition", "vgg16", "--vertical", str(EXAMPLES / "vertical_nodes.json"), "--grid", "2x2"]
    with pytest.raises(SystemExit) as info:
        main([*args, "--until", "features_4", "--json", "--check"])
    out, err = capsys.readouterr()
    assert "4 stitched tiles reproduce the unsplit output" in err
    assert info.value.code == 0
    plan = json.loads(out)
    assert plan["until"] == "features_4"
    assert len(plan["tiles"]) == 4
    assert plan["latency_s"] == max(t["latency_s"] for t in plan["tiles"])
