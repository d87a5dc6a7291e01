"""Radio models for the uplink of a base station, vectorised over tasks.

- Path loss: the 3GPP macro-cell model used throughout the OFDMA allocation literature,
  ``PL(d) = 128.1 + 37.6 log10(d / km)`` dB (3GPP TR 36.814, Table A.2.1.1.2-3), with optional log-normal
  shadowing of standard deviation ``shadowing_db``.
- Rate: Shannon capacity of an OFDMA share ``b`` of the band, ``R(b) = b log2(1 + P g / (N0 b))`` bit/s.

All functions accept scalars or NumPy arrays and broadcast.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

PATH_LOSS_INTERCEPT_DB = 128.1
PATH_LOSS_SLOPE_DB = 37.6


def dbm_to_watt(dbm: ArrayLike) -> FloatArray:
    """Convert dBm to watts: ``10^((dBm - 30) / 10)``."""
    return np.power(10.0, (np.asarray(dbm, dtype=float) - 30.0) / 10.0)


def watt_to_dbm(watt: ArrayLike) -> FloatArray:
    """Convert watts to dBm; raises ``ValueError`` for non-positive power."""
    w = np.asarray(watt, dtype=float)
    if np.any(w <= 0):
        raise ValueError(f"power must be positive to express in dBm, got {w[w <= 0].ravel()[:3]}")
    return 10.0 * np.log10(w) + 30.0


def db_to_linear(db: ArrayLike) -> FloatArray:
    """Convert a ratio in dB to a linear ratio."""
    return np.power(10.0, np.asarray(db, dtype=float) / 10.0)


def path_loss_db(
    distance_m: ArrayLike,
    *,
    shadowing_db: float = 0.0,
    rng: np.random.Generator | None = None,
) -> FloatArray:
    """3GPP path loss ``128.1 + 37.6 log10(d/km)`` dB plus log-normal shadowing.

    Shadowing draws ``N(0, shadowing_db^2)`` dB per distance from ``rng`` (required when ``shadowing_db > 0``).
    """
    d = np.asarray(distance_m, dtype=float)
    if np.any(d <= 0):
        raise ValueError("distance_m must be positive")
    loss = PATH_LOSS_INTERCEPT_DB + PATH_LOSS_SLOPE_DB * np.log10(d / 1000.0)
    if shadowing_db < 0:
        raise ValueError(f"shadowing_db must be >= 0, got {shadowing_db}")
    if shadowing_db > 0:
        if rng is None:
            raise ValueError("shadowing needs a numpy Generator (rng=...)")
        loss = loss + rng.normal(0.0, shadowing_db, size=np.shape(loss))
    return loss


def channel_gain(
    distance_m: ArrayLike,
    *,
    shadowing_db: float = 0.0,
    rng: np.random.Generator | None = None,
) -> FloatArray:
    """Linear channel gain ``10^(-PL/10)`` for the 3GPP path loss (see :func:`path_loss_db`)."""
    return db_to_linear(-path_loss_db(distance_m, shadowing_db=shadowing_db, rng=rng))


def noise_psd_w_per_hz(noise_psd_dbm_hz: float) -> float:
    """Noise power spectral density in W/Hz from dBm/Hz (thermal noise is -174 dBm/Hz at 290 K)."""
    return float(dbm_to_watt(noise_psd_dbm_hz))


def snr_bandwidth_hz(tx_power_w: ArrayLike, gain: ArrayLike, noise_psd_w_hz: float) -> FloatArray:
    """``P g / N0`` in Hz: the bandwidth at which the SNR is 0 dB; rates depend on power only through it."""
    return np.asarray(tx_power_w, dtype=float) * np.asarray(gain, dtype=float) / noise_psd_w_hz


def shannon_rate_bps(
    bandwidth_hz: ArrayLike,
    tx_power_w: ArrayLike,
    gain: ArrayLike,
    noise_psd_w_hz: float,
) -> FloatArray:
    """OFDMA Shannon rate ``b log2(1 + P g / (N0 b))`` in bit/s; zero bandwidth gives zero rate."""
    b = np.asarray(bandwidth_hz, dtype=float)
    if np.any(b < 0):
        raise ValueError("bandwidth_hz must be >= 0")
    s = snr_bandwidth_hz(tx_power_w, gain, noise_psd_w_hz)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = b * np.log2(1.0 + s / b)
    return np.where(b > 0, rate, 0.0)
