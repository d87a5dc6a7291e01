"""Means over seeds and their Student-t confidence intervals, held to scipy.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from mcfn.experiments.stats import CONFIDENCE, mean_ci, summarise_numbers

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(st.lists(finite, min_size=2, max_size=30), st.sampled_from([0.8, 0.9, CONFIDENCE, 0.99]))
def test_the_interval_is_scipys_student_t_interval(values, confidence):
    result = mean_ci(values, confidence=confidence)
    mean = np.mean(values)
    sem = stats.sem(values)
    assert result.n == len(values)
    assert result.mean == pytest.approx(mean, rel=1e-12, abs=1e-9)
    if sem == 0:
        assert result.half_width == pytest.approx(0.0, abs=1e-9)
        return
    low, high = stats.t.interval(confidence, len(values) - 1, loc=mean, scale=sem)
    assert result.half_width == pytest.approx((high - low) / 2, rel=1e-9, abs=1e-9)


def test_a_known_interval():
    # mean 2, sd 1, n 3: t(0.975, 2) = 4.302652729749464
    result = mean_ci([1.0, 2.0, 3.0])
    assert result.mean == 2.0
    assert result.half_width == pytest.approx(4.302652729749464 / math.sqrt(3), rel=1e-12)
    assert result.as_dict() == {"mean": 2.0, "ci95": result.half_width, "n": 3}


def test_one_value_has_no_interval_and_none_has_no_mean():
    assert mean_ci([0.25]).as_dict() == {"mean": 0.25, "ci95": None, "n": 1}
    assert mean_ci([]).as_dict() == {"mean": None, "ci95": None, "n": 0}
    assert mean_ci([None, float("nan")]).n == 0


def test_missing_values_are_left_out_and_not_counted():
    assert mean_ci([1.0, None, 3.0, float("nan")]) == mean_ci([1.0, 3.0])


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95])
def test_a_confidence_outside_the_unit_interval_is_refused(confidence):
    with pytest.raises(ValueError, match="confidence"):
        mean_ci([1.0, 2.0], confidence=confidence)


def test_every_number_of_nested_documents_is_summarised_in_place():
    documents = [
        {"seed": 0, "policy": "a", "ok": True, "tasks": {"arrived": 10, "reasons": {"x": 1}}, "p95": 0.2, "xs": [1]},
        {"seed": 1, "policy": "a", "ok": True, "tasks": {"arrived": 14, "reasons": {}}, "p95": None, "xs": [2]},
    ]
    out = summarise_numbers(documents, skip=("seed",))
    assert set(out) == {"tasks", "p95"}  # the seed, strings, booleans and lists are not metrics
    assert out["tasks"]["arrived"] == mean_ci([10, 14]).as_dict()
    assert out["tasks"]["reasons"]["x"] == {"mean": 1.0, "ci95": None, "n": 1}  # only where present
    assert out["p95"] == {"mean": 0.2, "ci95": None, "n": 1}
