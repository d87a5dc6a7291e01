"""The stand-in planner: chains, balanced cuts, identical weights from a seed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcfn.runtime.plan import _balanced_cuts, build_stages, chain_of, plan_model

torch = pytest.importorskip("torch")


@given(st.lists(st.floats(0, 1e9), min_size=1, max_size=30), st.integers(1, 30))
def test_cuts_are_contiguous_non_empty_and_cover_the_chain(flops, parts):
    parts = min(parts, len(flops))
    cuts = _balanced_cuts(flops, parts)
    assert cuts[0] == 0
    assert cuts[-1] == len(flops)
    assert len(cuts) == parts + 1
    assert all(a < b for a, b in itertools.pairwise(cuts))


def test_stages_chain_up_and_together_equal_the_model():
    plan = plan_model("tiny-cnn", stages=3, seed=7)
    assert [s.service_id for s in plan.stages] == ["tiny-cnn/0", "tiny-cnn/1", "tiny-cnn/2"]
    for before, after in zip(plan.stages, plan.stages[1:], strict=False):
        assert before.output_shape == after.input_shape
        assert before.stop == after.start
    modules = build_stages(plan.stages)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(plan.input_shape).astype(np.float32))
    with torch.no_grad():
        y = x
        for stage in plan.stages:
            y = modules[stage.service_id](y)
        assert torch.allclose(y, chain_of("tiny-cnn", seed=7)(x), atol=1e-6)
        assert not torch.allclose(y, chain_of("tiny-cnn", seed=8)(x), atol=1e-3)  # the seed decides the weights
    assert plan.stages[0].flops > 0


def test_unknown_models_and_impossible_splits_are_refused():
    with pytest.raises(ValueError, match="unknown model"):
        plan_model("mobilenet_v2", stages=2)
    with pytest.raises(ValueError, match=r"stages must be 1\.\.11"):
        plan_model("tiny-cnn", stages=12)
