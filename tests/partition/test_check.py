"""The public check of a plan against the whole model: relative differences over any output structure."""

from __future__ import annotations

import math
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")

from mcfn.models.profile import profile_model  # noqa: E402
from mcfn.partition import check_plan, check_split, plan_horizontal, relative_difference  # noqa: E402
from tests.partition.partition_cases import THREE_TIERS  # noqa: E402


def test_relative_difference_is_relative_to_the_largest_expected_magnitude() -> None:
    tiny = torch.tensor([1e-9, -2e-9])
    assert relative_difference(tiny + torch.tensor([1e-9, 0.0]), tiny) == pytest.approx(0.5)
    nested = {"out": (tiny, 3), "aux": tiny * 2}
    assert relative_difference(nested, OrderedDict(nested)) == 0.0
    assert relative_difference(torch.ones(2), torch.zeros(2)) == math.inf


@pytest.mark.parametrize(
    ("actual", "expected", "message"),
    [
        ((torch.ones(2),), (torch.ones(2), torch.ones(2)), "1 values against 2"),
        ({"a": torch.ones(2)}, {"b": torch.ones(2)}, r"keys \['a'\] against \['b'\]"),
        ((torch.ones(2), 3), (torch.ones(2), 4), "value: int 3 against int 4"),
        (torch.ones(2), {"a": torch.ones(2)}, "structure"),
        (torch.ones(2), torch.ones(3), r"shape: \[2\] against \[3\]"),
    ],
)
def test_outputs_that_cannot_be_compared_are_named(actual, expected, message) -> None:
    with pytest.raises(ValueError, match=message):
        relative_difference(actual, expected)


class Heads(torch.nn.Module):
    """Two heads on a shared trunk, returned as a dict and a tuple, one of them computed from the input's size."""

    def __init__(self) -> None:
        super().__init__()
        self.trunk = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.head = torch.nn.Conv2d(8, 2, 1)

    def forward(self, x: torch.Tensor) -> dict[str, object]:
        features = torch.relu(self.trunk(x))
        logits = self.head(features)
        upsampled = torch.nn.functional.interpolate(logits[..., ::2, ::2], size=x.shape[-2:])
        return {"out": upsampled, "pair": (features.mean(), logits * 1e-9)}


def test_any_modules_plan_checks_against_the_whole_model() -> None:
    model, x = Heads(), torch.randn(1, 3, 16, 16)
    graph = profile_model(model, x, name="heads").graph
    plan = plan_horizontal(graph, THREE_TIERS)
    assert check_plan(model, x, plan) <= 1e-6
    order = graph.topological_order
    thirds = {graph.nodes[v].id: THREE_TIERS.names[3 * k // len(order)] for k, v in enumerate(order)}
    assert check_split(model, x, thirds, THREE_TIERS.names) <= 1e-6
