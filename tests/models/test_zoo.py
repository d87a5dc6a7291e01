"""The shipped zoo: every model loads without torch, and total flops match published counts."""

from __future__ import annotations

import pytest

from mcfn.models.graph import GraphError
from mcfn.models.zoo import PUBLISHED_TOP1, ZOO, load_zoo_graph, published_top1, zoo_names

#: Published multiply-accumulate counts (GMAC) of the torchvision classifiers at their profiling resolution:
#: torchvision's "Table of all available classification weights" (GFLOPS column, pytorch.org/vision/stable/models),
#: the same numbers as the weights' ``meta["_ops"]``. ResNet-50 agrees with He et al. (CVPR 2016) up to their
#: 3.8 G, which leaves out the final fully-connected layer and the shortcut projections' strided form.
PUBLISHED_GMAC = {
    "alexnet": 0.714,
    "vgg16": 15.47,
    "resnet18": 1.814,
    "resnet50": 4.089,
    "mobilenet_v2": 0.301,
    "mobilenet_v3_small": 0.057,
    "googlenet": 1.498,
    "inception_v3": 5.713,
    "densenet121": 2.834,
    "efficientnet_b0": 0.386,
    "vit_b_16": 17.564,
}


def test_zoo_lists_the_issue_models() -> None:
    assert set(zoo_names()) == set(PUBLISHED_GMAC)


@pytest.mark.parametrize("name", list(ZOO))
def test_total_flops_within_five_percent_of_published(name: str) -> None:
    graph = load_zoo_graph(name)
    assert graph.name == name
    gmac = graph.total_flops / 2e9
    assert gmac == pytest.approx(PUBLISHED_GMAC[name], rel=0.05)


def test_unknown_model_lists_the_zoo() -> None:
    with pytest.raises(GraphError, match="unknown model 'lenet'; the zoo has: alexnet, vgg16"):
        load_zoo_graph("lenet")


def test_every_zoo_model_has_its_published_top1() -> None:
    assert list(PUBLISHED_TOP1) == zoo_names()
    for name in zoo_names():
        assert 0.5 < published_top1(name) < 0.85
    assert published_top1("resnet50") == 0.7613  # ResNet50_Weights.IMAGENET1K_V1, acc@1 76.130
    assert published_top1("vit_b_16") > published_top1("resnet50") > published_top1("alexnet")
    with pytest.raises(GraphError, match="unknown model"):
        published_top1("resnet51")
