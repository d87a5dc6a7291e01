"""Uplink sharing policies: budgets, fairness, optimality."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcfn.network.uplink import UPLINK_POLICIES, bandwidth_for_rate, share_uplink

B = 1e7


def _rate(b, s):
    return b * np.log2(1 + s / b)


snrs = st.lists(st.floats(1e6, 1e11), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(snr=snrs, data=st.data())
def test_every_policy_spends_exactly_the_band(snr, data):
    bits = data.draw(st.lists(st.floats(1e3, 1e8), min_size=len(snr), max_size=len(snr)))
    for policy in UPLINK_POLICIES:
        b = share_uplink(policy, B, snr, bits)
        assert b.shape == (len(snr),)
        assert np.all(b > 0)
        assert b.sum() == pytest.approx(B, rel=1e-12)


def test_bandwidth_for_rate_inverts_the_shannon_rate():
    s = np.array([1e7, 1e8, 1e9, 1e10])
    b = np.array([1e4, 3e5, 2e6, 4e7])
    np.testing.assert_allclose(bandwidth_for_rate(_rate(b, s), s), b, rtol=1e-9)
    assert bandwidth_for_rate(2e7 / np.log(2) * 1.01, 2e7) == np.inf  # beyond the power-limited rate
    assert bandwidth_for_rate(0.0, 1e9) == 0.0


def test_equal_rate_equalises_rates():
    s = np.array([1e8, 1e9, 5e9, 2e10])
    rates = _rate(share_uplink("equal-rate", B, s, np.ones(4)), s)
    np.testing.assert_allclose(rates, rates[0], rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(snr=st.lists(st.floats(1e7, 1e10), min_size=2, max_size=6), data=st.data())
def test_min_total_time_beats_every_feasible_perturbation(snr, data):
    s = np.array(snr)
    bits = np.array(data.draw(st.lists(st.floats(1e4, 1e7), min_size=len(s), max_size=len(s))))
    best = share_uplink("min-total-time", B, s, bits)
    total = (bits / _rate(best, s)).sum()
    rng = np.random.default_rng(len(s))
    for _ in range(50):
        direction = rng.normal(size=len(s))
        direction -= direction.mean()  # keeps the sum at B
        for step in (1e-3, 1e-2, 1e-1):
            other = best + step * direction * best.min()
            if np.all(other > 0):
                assert (bits / _rate(other, s)).sum() >= total * (1 - 1e-9)
    for policy in ("equal-bandwidth", "equal-rate"):
        assert (bits / _rate(share_uplink(policy, B, s, bits), s)).sum() >= total * (1 - 1e-9)


def test_a_lone_upload_gets_the_whole_band_and_bad_input_is_named():
    for policy in UPLINK_POLICIES:
        assert share_uplink(policy, B, [3e9], [1e6])[0] == pytest.approx(B)
    with pytest.raises(ValueError, match="unknown uplink policy 'greedy'; valid: equal-bandwidth"):
        share_uplink("greedy", B, [1e9], [1e6])
    with pytest.raises(ValueError, match="positive"):
        share_uplink("equal-rate", 0.0, [1e9], [1e6])
