"""The model zoo: layer graphs of torchvision classifiers, shipped as package data.

The JSON files under ``mcfn/models/zoo/`` are made by ``scripts/build_zoo.py`` from torchvision's model
definitions (random weights; only shapes matter), so planning needs neither torch nor a download.
:func:`build_model` rebuilds the real torch module for profiling, measurement and executable plans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from mcfn.models.graph import GraphError, LayerGraph
from mcfn.models.io import parse_graph

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class ZooModel:
    """A torchvision classifier: constructor name, keyword arguments and the input it is profiled on."""

    name: str
    input_shape: tuple[int, ...] = (1, 3, 224, 224)
    kwargs: tuple[tuple[str, Any], ...] = ()


ZOO: dict[str, ZooModel] = {
    m.name: m
    for m in (
        ZooModel("alexnet"),
        ZooModel("vgg16"),
        ZooModel("resnet18"),
        ZooModel("resnet50"),
        ZooModel("mobilenet_v2"),
        ZooModel("mobilenet_v3_small"),
        ZooModel("googlenet", kwargs=(("aux_logits", False), ("init_weights", False))),
        ZooModel("inception_v3", (1, 3, 299, 299), (("aux_logits", False), ("init_weights", False))),
        ZooModel("densenet121"),
        ZooModel("efficientnet_b0"),
        ZooModel("vit_b_16"),
    )
}


#: Published ImageNet-1K top-1 accuracy (share, not percent) of every zoo model with torchvision's
#: ``IMAGENET1K_V1`` weights: the ``acc@1`` of each ``*_Weights.IMAGENET1K_V1`` entry in torchvision's model
#: documentation (https://pytorch.org/vision/stable/models.html, "Table of all available classification
#: weights"; the same numbers as ``weights.meta["_metrics"]["ImageNet-1K"]["acc@1"]`` in torchvision 0.13+).
#: The zoo's graphs carry random weights; this is the accuracy of the same architecture trained.
PUBLISHED_TOP1: dict[str, float] = {
    "alexnet": 0.56522,
    "vgg16": 0.71592,
    "resnet18": 0.69758,
    "resnet50": 0.76130,
    "mobilenet_v2": 0.71878,
    "mobilenet_v3_small": 0.67668,
    "googlenet": 0.69778,
    "inception_v3": 0.77294,
    "densenet121": 0.74434,
    "efficientnet_b0": 0.77692,
    "vit_b_16": 0.81072,
}


#: Published ImageNet-1K top-1 of torchvision's quantised (int8, post-training) versions of zoo models, with the
#: weights named: the ``acc@1`` of each ``*_QuantizedWeights`` entry in torchvision's documentation
#: (https://pytorch.org/vision/stable/models.html, "Table of all available quantized classification weights").
#: Zoo models that torchvision does not quantise are absent.
PUBLISHED_TOP1_INT8: dict[str, tuple[float, str]] = {
    "resnet18": (0.69494, "ResNet18_QuantizedWeights.IMAGENET1K_FBGEMM_V1"),
    "resnet50": (0.75920, "ResNet50_QuantizedWeights.IMAGENET1K_FBGEMM_V1"),
    "mobilenet_v2": (0.71658, "MobileNet_V2_QuantizedWeights.IMAGENET1K_QNNPACK_V1"),
    "googlenet": (0.69826, "GoogLeNet_QuantizedWeights.IMAGENET1K_FBGEMM_V1"),
    "inception_v3": (0.77176, "Inception_V3_QuantizedWeights.IMAGENET1K_FBGEMM_V1"),
}


def published_top1(name: str) -> float:
    """Published top-1 accuracy of zoo model ``name`` (:data:`PUBLISHED_TOP1`); unknown names raise ``GraphError``."""
    return PUBLISHED_TOP1[zoo_entry(name).name]


def zoo_names() -> list[str]:
    """Names of the zoo's models, in the order they are listed."""
    return list(ZOO)


def zoo_entry(name: str) -> ZooModel:
    """The zoo entry ``name``; an unknown name raises :class:`GraphError` listing the valid ones."""
    if name not in ZOO:
        raise GraphError(f"unknown model {name!r}; the zoo has: {', '.join(ZOO)}")
    return ZOO[name]


def zoo_text(name: str) -> str:
    """The shipped layer-graph JSON text of zoo model ``name``."""
    zoo_entry(name)
    return resources.files("mcfn.models").joinpath(f"zoo/{name}.json").read_text(encoding="utf-8")


def load_zoo_graph(name: str) -> LayerGraph:
    """The shipped layer graph of zoo model ``name`` (no torch needed)."""
    return parse_graph(json.loads(zoo_text(name)))


def build_model(name: str) -> nn.Module:
    """A fresh torchvision model ``name`` with random weights, in eval mode (needs torch)."""
    from mcfn.models._torchvision import import_torchvision

    entry = zoo_entry(name)
    models = import_torchvision().models
    return getattr(models, name)(weights=None, **dict(entry.kwargs)).eval()


def example_input(name: str, *, seed: int = 0) -> Any:
    """A reproducible random input tensor of the shape zoo model ``name`` is profiled on."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    return torch.randn(zoo_entry(name).input_shape, generator=generator)
