import numpy as np
import pytest

from mcfn.network import radio


def test_path_loss_matches_3gpp_formula_at_reference_distances():
    loss = radio.path_loss_db([1000.0, 100.0, 500.0])
    np.testing.assert_allclose(loss, [128.1, 128.1 - 37.6, 128.1 + 37.6 * np.log10(0.5)])


def test_shadowing_is_seeded_and_has_the_requested_spread():
    a = radio.path_loss_db(np.full(20000, 200.0), shadowing_db=8.0, rng=np.random.default_rng(1))
    b = radio.path_loss_db(np.full(20000, 200.0), shadowing_db=8.0, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert abs(np.std(a) - 8.0) < 0.2
    assert abs(np.mean(a) - radio.path_loss_db(200.0)) < 0.2


def test_shadowing_without_generator_is_refused():
    with pytest.raises(ValueError, match="Generator"):
        radio.path_loss_db(100.0, shadowing_db=4.0)


def test_dbm_watt_round_trip():
    assert radio.dbm_to_watt(30.0) == pytest.approx(1.0)
    assert radio.dbm_to_watt(23.0) == pytest.approx(0.19953, rel=1e-4)
    np.testing.assert_allclose(radio.watt_to_dbm(radio.dbm_to_watt([-174.0, 0.0, 23.0])), [-174.0, 0.0, 23.0])
    with pytest.raises(ValueError, match="positive"):
        radio.watt_to_dbm(0.0)


def test_shannon_rate_is_vectorised_and_matches_the_formula():
    n0 = radio.noise_psd_w_per_hz(-174.0)
    b = np.array([0.0, 1e5, 1e6, 1e7])
    rate = radio.shannon_rate_bps(b, 0.1, 1e-12, n0)
    expected = [0.0, *(bi * np.log2(1 + 0.1e-12 / (n0 * bi)) for bi in b[1:])]
    np.testing.assert_allclose(rate, expected)
    assert np.all(np.diff(rate) > 0)


def test_rate_saturates_at_the_power_limited_bound():
    n0 = radio.noise_psd_w_per_hz(-174.0)
    snr_hz = radio.snr_bandwidth_hz(0.1, 1e-12, n0)
    huge = radio.shannon_rate_bps(1e15, 0.1, 1e-12, n0)
    assert huge == pytest.approx(snr_hz / np.log(2), rel=1e-3)
