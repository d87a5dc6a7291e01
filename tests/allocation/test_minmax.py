"""The min-max splits: equal finish times, the whole resource used, closed forms where they exist."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcfn.allocation.minmax import band_for_rate, split_band, split_compute


def shannon(band_hz: np.ndarray, snr_hz: np.ndarray) -> np.ndarray:
    return band_hz * np.log2(1.0 + snr_hz / band_hz)


def test_two_jobs_share_compute_as_the_quadratic_says() -> None:
    # w1 / (T - a1) + w2 / T = F with w1 = 1, a1 = 0.2, w2 = 2, F = 1: T^2 - 3.2 T + 0.4 = 0
    split = split_compute([1e9, 2e9], [0.2, 0.0], 1e9)
    assert split.finish_s == pytest.approx((3.2 + math.sqrt(3.2**2 - 1.6)) / 2, rel=1e-8)
    assert split.shares.sum() == pytest.approx(1e9, rel=1e-8)
    assert np.array([0.2, 0.0]) + np.array([1e9, 2e9]) / split.shares == pytest.approx([split.finish_s] * 2)


def test_jobs_starting_together_share_compute_in_proportion_to_their_work() -> None:
    split = split_compute([1.0, 3.0, 4.0], [0.0, 0.0, 0.0], 2.0)
    assert split.finish_s == pytest.approx(4.0)
    assert split.shares == pytest.approx([0.25, 0.75, 1.0])


def test_band_for_rate_inverts_the_shannon_rate() -> None:
    snr = np.array([1e8, 3e7, 5e9])
    rate = np.array([1e6, 2e7, 1e5])
    assert shannon(band_for_rate(rate, snr), snr) == pytest.approx(rate, rel=1e-9)
    assert band_for_rate([1e9, 0.0], [1e8, 1e8]).tolist() == [np.inf, 0.0]  # beyond s / ln 2; nothing to send


def test_two_equal_terminals_starting_together_get_half_the_band_each() -> None:
    split = split_band([2e6, 2e6], [1e8, 1e8], [0.0, 0.0], 20e6)
    assert split.shares == pytest.approx([10e6, 10e6])
    assert split.finish_s == pytest.approx(2e6 / shannon(np.array(10e6), np.array(1e8)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(1e4, 1e7), st.floats(1e6, 1e10), st.floats(0.0, 0.5)), min_size=1, max_size=6))
def test_the_band_split_uses_the_band_and_every_upload_ends_at_the_common_finish(jobs) -> None:
    bits, snr, start = (np.array(column) for column in zip(*jobs, strict=True))
    split = split_band(bits, snr, start, 20e6)
    assert split.shares.sum() == pytest.approx(20e6, rel=1e-6)
    ends = start + bits / shannon(split.shares, snr)
    assert ends == pytest.approx(np.full(len(jobs), split.finish_s), rel=1e-6)
    equal = start + bits / shannon(np.full(len(jobs), 20e6 / len(jobs)), snr)
    assert split.finish_s <= equal.max() * (1 + 1e-9)  # no worse than equal shares


def test_a_split_needs_one_demand_per_start_and_a_positive_capacity() -> None:
    with pytest.raises(ValueError, match="one demand and one start"):
        split_compute([1.0, 2.0], [0.0], 1.0)
    with pytest.raises(ValueError, match="capacity"):
        split_band([1.0], [1e8], [0.0], 0.0)
