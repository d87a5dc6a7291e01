"""The allocation's per-task loops against the array expressions they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mcfn.allocation import kernels

positive = st.floats(1e-3, 1e3)
columns = st.integers(1, 6).flatmap(
    lambda n: st.tuples(*(arrays(float, n, elements=e) for e in (positive, st.floats(0.0, 2.0), positive, positive)))
)


@settings(max_examples=200, deadline=None)
@given(columns, st.floats(0.0, 1.0))
def test_least_data_is_the_compression_or_accuracy_floor_within_the_data(cols, least_ratio):
    data, q, r, headroom = cols
    p = np.full(data.size, 1.0)
    floor_accuracy = p - np.where(np.arange(data.size) % 3 == 2, -headroom, headroom)  # some floors out of reach
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        expected_floor = np.where(p - floor_accuracy > 0, ((p - floor_accuracy) / q) ** (-1.0 / r), np.inf)
    floor = kernels.accuracy_floor_mbit(p, q, r, floor_accuracy)
    np.testing.assert_allclose(floor, expected_floor, rtol=1e-14)
    least = np.maximum(least_ratio * data, floor)
    expected = np.where(least <= data * (1 + 1e-12), np.minimum(least, data), np.inf)
    np.testing.assert_array_equal(kernels.least_data_mbit(data, floor, least_ratio), expected)


def test_a_flat_curve_meets_a_floor_below_it_with_no_data():
    one = np.ones(1)
    assert kernels.accuracy_floor_mbit(one, np.zeros(1), one, np.full(1, 0.5))[0] == 0.0
    assert kernels.accuracy_floor_mbit(one, np.zeros(1), one, one)[0] == np.inf


def test_to_si_clips_onto_the_box_and_scales_into_the_budgets():
    data, raw = np.array([0.5, 3.0, 1e-9]), np.array([1.0, 2.0, 1.0])
    bandwidth, compute, ratio = kernels.to_si(
        data, np.array([6.0, -1e-12, 6.0]), np.array([2.0, 5.0, 1.0]), raw, (10.0, 6.0, 4.0, 0.1), 1e6, 1e9
    )
    np.testing.assert_allclose(bandwidth, [5e6, 0.0, 5e6])  # 12 MHz asked of a 10 MHz band: scaled down
    np.testing.assert_allclose(compute, np.array([2.0, 4.0, 1.0]) * 6e9 / 7)  # 5 capped at 4, then 7 scaled into 6
    np.testing.assert_array_equal(ratio, [0.5, 1.0, 0.1])
    zero = kernels.to_si(data, np.zeros(3), np.zeros(3), raw, (10.0, 6.0, 4.0, 0.1), 1e6, 1e9)
    assert not np.any(zero[0])
    assert not np.any(zero[1])
