"""Checking an executable plan against the whole model: its parts, run one by one, give the model's output.

What ``mcfn partition --check`` does, for any traceable module: trace it, cut it by the plan
(:func:`~mcfn.partition.execute.split_by_tier`), run the parts in turn passing only the values that cross each
cut (:func:`~mcfn.partition.execute.run_parts`), and compare with the unsplit model. The difference is relative
to the output's largest magnitude: with random weights some models output values near 1e-9 (mobilenet_v2) or
1e-14 (efficientnet_b0), which any absolute tolerance would pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from torch import nn

    from mcfn.partition.plan import HorizontalPlan

#: Largest relative difference (:func:`relative_difference`) at which a split counts as equal to the model: a few
#: float32 roundings of reordered sums.
TOLERANCE = 1e-5


def relative_difference(actual: Any, expected: Any) -> float:
    """Largest absolute difference between matching tensors of two outputs of one structure (a tensor, or nested
    tuples, lists and mappings of them), relative to the largest magnitude in ``expected``.

    0 when they are equal; ``inf`` when ``expected`` is all zeros and ``actual`` is not. Raises ``ValueError`` when
    the structures differ, or a value that is not a tensor differs.
    """
    difference = scale = 0.0
    for a, e in _tensor_pairs(actual, expected):
        if e.numel():
            difference = max(difference, float((a.double() - e.double()).abs().max()))
            scale = max(scale, float(e.abs().max()))
    if difference == 0:
        return 0.0
    return difference / scale if scale > 0 else math.inf


def _tensor_pairs(actual: Any, expected: Any) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Matching tensors of two outputs; any mapping matches any mapping with the same keys (a traced module
    returns a ``dict`` where the model returned an ``OrderedDict``), any sequence one of the same length."""
    import torch

    if isinstance(expected, torch.Tensor) and isinstance(actual, torch.Tensor):
        if actual.shape != expected.shape:
            raise ValueError(f"outputs differ in shape: {list(actual.shape)} against {list(expected.shape)}")
        yield actual, expected
    elif isinstance(expected, Mapping) and isinstance(actual, Mapping):
        if list(actual) != list(expected):
            raise ValueError(f"outputs differ in structure: keys {list(actual)} against {list(expected)}")
        for key in expected:
            yield from _tensor_pairs(actual[key], expected[key])
    elif isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        if len(actual) != len(expected):
            raise ValueError(f"outputs differ in structure: {len(actual)} values against {len(expected)}")
        for a, e in zip(actual, expected, strict=True):
            yield from _tensor_pairs(a, e)
    elif isinstance(expected, torch.Tensor) or isinstance(actual, torch.Tensor) or actual != expected:
        raise ValueError(
            f"outputs differ in structure or value: {type(actual).__name__} {actual!r:.60} against "
            f"{type(expected).__name__} {expected!r:.60}"
        )


def check_split(
    model: nn.Module, example: torch.Tensor, assignment: Mapping[str, str], tier_names: Sequence[str]
) -> float:
    """The relative difference (:func:`relative_difference`) between ``model``'s output on ``example`` and that of
    its parts under ``assignment`` (``{node id: tier name}`` over the ids of
    :func:`mcfn.models.profile.profile_model`), run one by one. ``model`` is put in eval mode.

    Raises ``ValueError`` for an assignment :func:`~mcfn.partition.execute.split_by_tier` refuses;
    :class:`mcfn.models.profile.ProfileError` for a model fx cannot trace.
    """
    import torch

    from mcfn.models.profile import trace
    from mcfn.partition.execute import run_parts, split_by_tier

    model = model.eval()
    split = split_by_tier(trace(model), assignment, tuple(tier_names))
    with torch.no_grad():
        return relative_difference(run_parts(split, example), model(example))


def check_plan(model: nn.Module, example: torch.Tensor, plan: HorizontalPlan) -> float:
    """:func:`check_split` of a horizontal plan of ``model`` (from :func:`mcfn.partition.plan_horizontal` on its
    profiled graph)."""
    return check_split(model, example, plan.to_json_dict()["assignment"], plan.tier_names)
