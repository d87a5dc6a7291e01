"""The models the runtime can deploy: the zoo's (:mod:`mcfn.models.zoo`) and one tiny residual network.

``tiny-resnet`` is a CIFAR-sized network with two residual blocks (He et al., "Deep Residual Learning for Image
Recognition", CVPR 2016): a cut inside a block sends the skip tensor beside the main one, as in a zoo ResNet, but
a stage computes in about a millisecond, so tests and demos of faults and load stay fast. Every model goes
through the same profiler and planner path.

Weights are drawn after ``torch.manual_seed(seed)``: :func:`mcfn.models.zoo.build_model` does not seed, so every
process that builds a model with the same seed holds the same weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcfn.models.graph import GraphError
from mcfn.models.zoo import zoo_entry, zoo_names

if TYPE_CHECKING:
    import torch

TINY = "tiny-resnet"
_TINY_INPUT = (1, 3, 32, 32)


def model_names() -> list[str]:
    """Every model the runtime can deploy."""
    return [TINY, *zoo_names()]


def input_shape(name: str) -> tuple[int, ...]:
    """The input shape (batch of one) of model ``name``; ``ValueError`` for an unknown one (no torch needed)."""
    if name == TINY:
        return _TINY_INPUT
    try:
        return zoo_entry(name).input_shape
    except GraphError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(model_names())}") from None


def build(name: str, *, seed: int) -> tuple[torch.nn.Module, torch.Tensor]:
    """Model ``name`` in eval mode with weights from ``seed``, and a reproducible example input."""
    import torch

    from mcfn.models.zoo import build_model, example_input

    shape = input_shape(name)
    torch.manual_seed(seed)
    if name == TINY:
        generator = torch.Generator().manual_seed(seed)
        return _tiny_resnet().eval(), torch.randn(shape, generator=generator)
    return build_model(name), example_input(name, seed=seed)


def _tiny_resnet() -> torch.nn.Module:
    from torch import nn

    class Block(nn.Module):
        def __init__(self, channels: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
            self.relu = nn.ReLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.relu(x + self.conv2(self.relu(self.conv1(x))))

    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.ReLU(),
        Block(16),
        nn.MaxPool2d(2),
        Block(16),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(1),
        nn.Linear(16, 10),
    )
