"""Sharing one base station's OFDMA uplink among concurrent uploads: named policies, vectorised.

When uploads start or end, the simulator re-divides the band ``B`` among the uploads in progress. The joint
bandwidth / compute / compression optimum of seed §3.2 lives in :mod:`mcfn.allocation`; these are the cheaper
policies a simulator re-runs at every upload event:

- ``equal-bandwidth``: ``b_i = B / n`` (what OFDMA schedulers do without channel knowledge);
- ``equal-rate``: every upload gets the same Shannon rate (max-min fairness of rates);
- ``min-total-time``: the static split minimising the sum of remaining upload times ``Σ D_i / R_i(b_i)``
  (convex; its KKT conditions solved in closed form up to one scalar). It gives a larger remainder *more*
  bandwidth (about in proportion to ``√D`` on equal channels), so it is not the policy that minimises mean
  completion time when the band is re-divided at every upload event — that favours short remainders.

Every policy returns bandwidths in Hz that sum to ``B`` (within floating-point rounding). The simulator offers
one more, ``joint-allocation`` (:data:`JOINT_ALLOCATION`): the seed §3.2 solver itself, which also picks each
upload's compression ratio and so needs more than bandwidth, channel and bits to decide
(:mod:`mcfn.orchestration.uplink`, above this layer). The rate model is the
Shannon rate ``R(b) = b log2(1 + s / b)`` of :mod:`mcfn.network.radio`, with ``s = P g / N0`` in Hz.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq
from scipy.special import lambertw

from mcfn.network.radio import FloatArray

#: Relative tolerance of the outer root finds.
_RTOL = 1e-12


def bandwidth_for_rate(rate_bps: ArrayLike, snr_hz: ArrayLike) -> FloatArray:
    """Least bandwidth giving Shannon rate ``rate_bps`` (inf where the rate exceeds ``s / ln 2``, the limit).

    Closed form: with ``x = s / b``, ``ln(1 + x) = c x`` where ``c = R ln 2 / s``, so
    ``1 + x = -W_{-1}(-c e^{-c}) / c`` (Lambert W, lower branch).
    """
    rate = np.asarray(rate_bps, dtype=float)
    s = np.asarray(snr_hz, dtype=float)
    c = rate * np.log(2.0) / s
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = -np.real(lambertw(-c * np.exp(-c), k=-1)) / c
        b = s / (y - 1.0)
    reachable = (c < 1.0) & np.isfinite(b) & (b > 0)  # near the limit W_{-1} loses precision: treat as out of reach
    return np.where(rate <= 0, 0.0, np.where(reachable, b, np.inf))


def equal_bandwidth(bandwidth_hz: float, snr_hz: ArrayLike, bits: ArrayLike) -> FloatArray:
    """``B / n`` for each of the ``n`` uploads."""
    n = np.size(snr_hz)
    return np.full(n, bandwidth_hz / n) if n else np.zeros(0)


def equal_rate(bandwidth_hz: float, snr_hz: ArrayLike, bits: ArrayLike) -> FloatArray:
    """Bandwidths giving every upload the same rate, the largest that fits in ``B`` (Brent's method on the rate)."""
    s = np.asarray(snr_hz, dtype=float)
    if s.size == 0:
        return np.zeros(0)
    limit = float(s.min()) / np.log(2.0)  # no finite bandwidth reaches s / ln 2
    rate = brentq(lambda r: bandwidth_for_rate(r, s).sum() - bandwidth_hz, 0.0, limit * (1 - 1e-12), rtol=_RTOL)
    b = bandwidth_for_rate(rate, s)
    return b * (bandwidth_hz / b.sum())


def min_total_time(bandwidth_hz: float, snr_hz: ArrayLike, bits: ArrayLike) -> FloatArray:
    """Bandwidths minimising ``Σ D_i / R_i(b_i)`` with ``Σ b_i = B``.

    KKT: ``D_i R'(b_i) / R(b_i)^2 = λ`` for all ``i``. With ``x = s / b`` the left side is
    ``D ln2 / s^2 · g(x)``, ``g(x) = x^2 (ln(1+x) - x/(1+x)) / ln(1+x)^2``, increasing in ``x``; ``g`` is inverted
    from a log-log table, and Brent's method on ``log λ`` makes the bandwidths sum to ``B`` (on the log of their sum,
    nearly linear in ``log λ``: about half the steps).
    """
    s = np.asarray(snr_hz, dtype=float)
    d = np.asarray(bits, dtype=float)
    if s.size == 0:
        return np.zeros(0)
    if np.any(d <= 0):
        raise ValueError("min-total-time needs positive remaining bits for every upload")
    log_x, log_g = _g_table()
    scale = np.log(d * np.log(2.0) / (s * s))  # log of D ln2 / s^2

    def share(log_lam: float) -> FloatArray:
        return s / np.exp(np.interp(log_lam - scale, log_g, log_x))

    low = float((log_g[0] + scale).max())
    high = float((log_g[-1] + scale).min())
    log_lam = brentq(lambda v: math.log(share(v).sum() / bandwidth_hz), low, high, rtol=_RTOL)
    b = share(log_lam)
    return b * (bandwidth_hz / b.sum())


@cache
def _g_table() -> tuple[FloatArray, FloatArray]:
    """``(ln x, ln g(x))`` on a dense grid, x from 1e-6 (huge bandwidth) to 1e12 (tiny bandwidth)."""
    x = np.logspace(-6, 12, 200_001)
    ln1x = np.log1p(x)
    g = x * x * (ln1x - x / (1.0 + x)) / (ln1x * ln1x)
    return np.log(x), np.log(g)


#: Policy name → function ``(B_hz, snr_hz, remaining_bits) -> bandwidth_hz``.
UPLINK_POLICIES: dict[str, Callable[[float, ArrayLike, ArrayLike], FloatArray]] = {
    "equal-bandwidth": equal_bandwidth,
    "equal-rate": equal_rate,
    "min-total-time": min_total_time,
}


#: The uplink policy that drives the allocation solver (:mod:`mcfn.orchestration.uplink`).
JOINT_ALLOCATION = "joint-allocation"

#: Every uplink policy a scenario may name.
UPLINK_POLICY_NAMES: tuple[str, ...] = (*UPLINK_POLICIES, JOINT_ALLOCATION)


def share_uplink(policy: str, bandwidth_hz: float, snr_hz: ArrayLike, bits: ArrayLike) -> FloatArray:
    """Divide ``bandwidth_hz`` among the uploads by the named policy (see ``UPLINK_POLICIES``)."""
    if policy not in UPLINK_POLICIES:
        raise ValueError(f"unknown uplink policy {policy!r}; valid: {', '.join(UPLINK_POLICIES)}")
    if not bandwidth_hz > 0:
        raise ValueError(f"bandwidth_hz must be positive, got {bandwidth_hz}")
    return UPLINK_POLICIES[policy](bandwidth_hz, snr_hz, bits)
