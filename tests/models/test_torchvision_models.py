"""Generality over torchvision's families: every model profiles to its published FLOPs, plans, and its parts run.

For each model: the layer graph at the published input size (profiled on the ``meta`` device: shapes and counts,
no computing) totals within 5 % of 2 × the weights' published GMAC (``meta["_ops"]``, no download); the model
(random weights) profiled at a small input plans over three tiers, and both that plan's parts and a balanced
three-stage cut (the runtime's ``split: balanced``) run one by one equal to the whole model, relative to its
output's magnitude. Detection backbones have no published count: they are held to torch's counter run on the
whole model, which the per-node counts must add up to. (:func:`mcfn.partition.check_plan` makes the same check;
it is tested in ``tests/partition/test_check.py``.) ``python tests/models/test_torchvision_models.py`` prints
the table of the issue's closing note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from mcfn.models import import_torchvision, profile_model  # noqa: E402
from mcfn.partition import plan_horizontal, relative_difference, run_parts, split_by_tier  # noqa: E402
from mcfn.partition.check import TOLERANCE  # noqa: E402
from mcfn.partition.cost import evaluate  # noqa: E402
from mcfn.partition.stages import balanced_stages  # noqa: E402
from mcfn.partition.tiers import Link, Tier, Tiers  # noqa: E402

TIERS = Tiers(
    tiers=(Tier("device", 2e9), Tier("edge", 2e10), Tier("cloud", 2e11)),
    links=(Link("device", "edge", 5e7, 0.002), Link("edge", "cloud", 2e8, 0.01)),
)
IMAGE, SMALL = (1, 3, 224, 224), (1, 3, 64, 64)
CLIP, SMALL_CLIP = (1, 3, 16, 112, 112), (1, 3, 4, 32, 32)
SEGMENTATION = (1, 3, 520, 520)


@dataclass(frozen=True)
class Case:
    """A torchvision model: its builder name and keyword arguments, the input its count is published for, and
    the smaller input its parts are run on."""

    name: str
    published_shape: tuple[int, ...] = IMAGE
    run_shape: tuple[int, ...] = SMALL
    kwargs: dict[str, Any] = field(default_factory=dict)
    family: str = "classification"


CASES = (
    Case("resnet18"),
    Case("resnext50_32x4d"),
    Case("mobilenet_v2"),
    Case("mobilenet_v3_small"),
    Case("efficientnet_b0"),
    Case("efficientnet_v2_s", (1, 3, 384, 384)),
    Case("densenet121"),
    Case("convnext_tiny"),
    Case("regnet_y_400mf"),
    Case("shufflenet_v2_x0_5"),
    Case("mnasnet0_5"),
    Case("squeezenet1_0"),
    Case("alexnet"),
    Case("googlenet", kwargs={"init_weights": False}),
    Case("inception_v3", (1, 3, 299, 299), (1, 3, 96, 96), {"init_weights": False}),
    Case("vit_b_32", run_shape=IMAGE, family="vision transformer"),
    Case("swin_t", family="vision transformer"),
    Case("swin_v2_t", (1, 3, 256, 256), family="vision transformer"),
    Case("lraspp_mobilenet_v3_large", SEGMENTATION, kwargs={"weights_backbone": None}, family="segmentation"),
    Case(
        "deeplabv3_mobilenet_v3_large",
        SEGMENTATION,
        kwargs={"weights_backbone": None, "aux_loss": True},
        family="segmentation",
    ),
    Case("fcn_resnet50", SEGMENTATION, kwargs={"weights_backbone": None, "aux_loss": True}, family="segmentation"),
    Case("r3d_18", CLIP, SMALL_CLIP, family="video"),
    Case("mc3_18", CLIP, SMALL_CLIP, family="video"),
    Case("r2plus1d_18", CLIP, SMALL_CLIP, family="video"),
    Case("swin3d_t", (1, 3, 16, 224, 224), SMALL_CLIP, family="video"),
    Case("quantized_resnet18", kwargs={"quantize": False}, family="quantisable"),
    Case("quantized_mobilenet_v3_large", kwargs={"quantize": False}, family="quantisable"),
    Case("quantized_googlenet", kwargs={"quantize": False}, family="quantisable"),
    Case("quantized_shufflenet_v2_x1_0", kwargs={"quantize": False}, family="quantisable"),
    Case("quantized_mobilenet_v2", kwargs={"quantize": False}, family="quantisable"),
    Case("resnet_fpn_backbone", kwargs={"backbone_name": "resnet18"}, family="detection backbone"),
    Case(
        "mobilenet_backbone",
        kwargs={"backbone_name": "mobilenet_v3_large", "fpn": True, "trainable_layers": 6},
        family="detection backbone",
    ),
)


def _builder(case: Case) -> Callable[..., torch.nn.Module]:
    torchvision = import_torchvision()
    if case.family == "detection backbone":
        return getattr(torchvision.models.detection.backbone_utils, case.name)
    return lambda **kwargs: torchvision.models.get_model(case.name, **kwargs)


def _build(case: Case) -> torch.nn.Module:
    torch.manual_seed(0)
    return _builder(case)(weights=None, **case.kwargs).eval()


def reference_flops(case: Case, model: torch.nn.Module, example: torch.Tensor) -> float:
    """2 × the published GMAC of the model's default weights, or (no published count) torch's counter on the
    whole model."""
    if case.family != "detection backbone":
        weights = import_torchvision().models.get_model_weights(case.name).DEFAULT
        return 2e9 * weights.meta["_ops"]
    with FlopCounterMode(display=False) as counter:
        model(example)
    return counter.get_total_flops()


def run_case(case: Case) -> dict[str, Any]:
    """Profile, plan and run ``case``; the numbers the test holds to account and the table prints."""
    model = _build(case)
    example = torch.randn(case.run_shape, generator=torch.Generator().manual_seed(0))
    profile = profile_model(model, example, name=case.name)
    graph = profile.graph
    plan = plan_horizontal(graph, TIERS)
    stage_of = balanced_stages(graph, 3)
    evaluate(graph, TIERS, stage_of.tolist())  # the balanced cut is a valid plan
    balanced = {n.id: TIERS.names[s] for n, s in zip(graph.nodes, stage_of, strict=True)}
    crossing = [
        graph.nodes[u] for u, readers in enumerate(graph.successors) if any(stage_of[v] != stage_of[u] for v in readers)
    ]
    splits = [split_by_tier(profile.module, a, TIERS.names) for a in (plan.to_json_dict()["assignment"], balanced)]
    with torch.no_grad():
        expected = model(example)
        plan_difference, balanced_difference = (relative_difference(run_parts(s, example), expected) for s in splits)
    used = [(name, plan.assignment.count(k)) for k, name in enumerate(TIERS.names)]
    meta_model, meta_example = model.to("meta"), torch.empty(case.published_shape, device="meta")
    total = profile_model(meta_model, meta_example, name=case.name).graph.total_flops
    return {
        "model": case.name,
        "family": case.family,
        "flops": total,
        "reference": reference_flops(case, meta_model, meta_example),
        "plan": ", ".join(f"{name} {count}" for name, count in used if count),
        "plan_difference": plan_difference,
        "balanced_parts": len(splits[1].parts),
        "balanced_difference": balanced_difference,
        "unsized_crossings": [n.id for n in crossing if n.output_bytes == 0],
    }


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """Inputs this small run faster on one thread than split across cores (measured: 3x less CPU time)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_profiles_to_the_published_flops_plans_and_runs(case: Case) -> None:
    row = run_case(case)
    assert row["flops"] == pytest.approx(row["reference"], rel=0.05)
    assert row["plan_difference"] <= TOLERANCE
    assert row["balanced_parts"] == 3
    assert row["balanced_difference"] <= TOLERANCE
    assert row["unsized_crossings"] == []  # every value crossing a cut has its bytes in the graph


def test_the_families_the_issue_names_are_all_here() -> None:
    families = {case.family for case in CASES}
    assert families >= {"classification", "segmentation", "detection backbone", "video", "vision transformer"}
    assert "quantisable" in families
    assert len(CASES) >= 25


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(
        "| model | family | GFLOP counted | GFLOP reference | ratio | plan (nodes per tier) | relative difference "
        "(plan / balanced 3 stages) |"
    )
    print("|---|---|---|---|---|---|---|")
    for case in CASES:
        r = run_case(case)
        print(
            f"| {r['model']} | {r['family']} | {r['flops'] / 1e9:.3f} | {r['reference'] / 1e9:.3f} | "
            f"{r['flops'] / r['reference']:.4f} | {r['plan']} | {r['plan_difference']:.1e} / "
            f"{r['balanced_difference']:.1e} |",
            flush=True,
        )
