"""Min-max splits: divide one resource among jobs that start at different times so that the last one ends earliest.

A federated round ends with its slowest update (the server waits for all it chose), so the allocation that serves a
round best minimises the latest finish time. With job ``i`` starting at ``a_i`` and needing a share ``x_i(T)`` of the
resource to end by ``T`` (decreasing in ``T``), the optimum is the smallest ``T`` with ``Σ x_i(T) ≤ C``; there
every job ends exactly at ``T`` (equal finish times: a job that ended earlier could give share to the last one).
``Σ x_i(T)`` is monotone, so ``T`` is found by bisection (the scheme of Shi, Zhou and Niu, "Joint device scheduling
and resource allocation for latency constrained wireless federated learning", IEEE Trans. Wireless Commun. 20(1),
2021, and of Chen et al., "A joint learning and communications framework for federated learning over wireless
networks", IEEE Trans. Wireless Commun. 20(1), 2021, for the round's bandwidth). The allocation is static over the
round, as in those papers: a job's share is reserved from the round's start.

- :func:`split_compute`: ``w_i`` FLOP at ``x_i`` FLOP/s: ``x_i(T) = w_i / (T − a_i)``;
- :func:`split_band`: ``D_i`` bits over OFDMA at the Shannon rate ``b log2(1 + s_i / b)`` (``s_i``: the terminal's
  ``P g / N0`` in Hz): ``x_i(T)`` is the band whose rate is ``D_i / (T − a_i)``, in closed form with the Lambert W
  function's lower branch (:func:`band_for_rate`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import lambertw

#: Relative width of the finish time's bracket at which the bisection stops.
RELATIVE_TOLERANCE = 1e-10


@dataclass(frozen=True, slots=True)
class MinMaxSplit:
    """The common finish time (seconds from the round's start) and every job's share of the resource."""

    finish_s: float
    shares: np.ndarray


def band_for_rate(rate_bps: ArrayLike, snr_hz: ArrayLike) -> np.ndarray:
    """The bandwidth (Hz) whose Shannon rate ``b log2(1 + s / b)`` is ``rate_bps``: with ``x = s / b`` and
    ``c = rate ln 2 / s``, ``ln(1 + x) = c x``, so ``1 + x = −W₋₁(−c e^−c) / c``; infinite where ``c ≥ 1`` (the rate
    exceeds ``s / ln 2``, the limit of an infinite band), zero for a zero rate."""
    rate = np.asarray(rate_bps, dtype=float)
    snr = np.asarray(snr_hz, dtype=float)
    c = rate * np.log(2.0) / snr
    out = np.full(np.broadcast(c, snr).shape, np.inf)
    ok = (c > 0.0) & (c < 1.0)
    cc = np.broadcast_to(c, out.shape)[ok]
    y = -lambertw(-cc * np.exp(-cc), -1).real / cc
    out[ok] = np.broadcast_to(snr, out.shape)[ok] / (y - 1.0)
    out[np.broadcast_to(c, out.shape) == 0.0] = 0.0
    return out


def split_compute(work_flops: ArrayLike, start_s: ArrayLike, capacity_flops_per_s: float) -> MinMaxSplit:
    """Divide ``capacity_flops_per_s`` among jobs of ``work_flops`` starting at ``start_s`` so that the last ends
    earliest (module docstring); ``O(n)`` per bisection step, exact to :data:`RELATIVE_TOLERANCE`."""
    work = np.asarray(work_flops, dtype=float)
    start = np.asarray(start_s, dtype=float)
    _check(work, start, capacity_flops_per_s)
    upper = float(start.max()) + float(work.sum()) / capacity_flops_per_s  # all from the last start, by work
    return _bisect(lambda t: work / (t - start), start, upper, capacity_flops_per_s)


def split_band(bits: ArrayLike, snr_hz: ArrayLike, start_s: ArrayLike, bandwidth_hz: float) -> MinMaxSplit:
    """Divide ``bandwidth_hz`` among uploads of ``bits`` (their terminals' ``P g / N0``: ``snr_hz``) starting at
    ``start_s`` so that the last ends earliest (module docstring); shares in Hz."""
    data = np.asarray(bits, dtype=float)
    snr = np.asarray(snr_hz, dtype=float)
    start = np.asarray(start_s, dtype=float)
    _check(data, start, bandwidth_hz)
    alone_s = data / (bandwidth_hz * np.log2(1.0 + snr / bandwidth_hz))
    # from the last start, shares in proportion to the times alone are feasible: the rate is concave in the band
    upper = float(start.max()) + float(alone_s.sum())
    return _bisect(lambda t: band_for_rate(data / (t - start), snr), start, upper, bandwidth_hz)


def _check(demand: np.ndarray, start: np.ndarray, capacity: float) -> None:
    if demand.ndim != 1 or demand.shape != start.shape or demand.size == 0:
        raise ValueError(f"need one demand and one start per job, got {demand.shape} and {start.shape}")
    if np.any(demand < 0) or np.any(start < 0):
        raise ValueError("demands and starts must be >= 0")
    if not capacity > 0:
        raise ValueError(f"capacity must be > 0, got {capacity}")


def _bisect(need: Callable[[float], np.ndarray], start: np.ndarray, upper: float, capacity: float) -> MinMaxSplit:
    """The smallest ``T`` in ``(max start, upper]`` with ``Σ need(T) ≤ capacity``, and ``need(T)``."""
    lower = float(start.max())
    if upper <= lower:  # nothing to do
        return MinMaxSplit(finish_s=lower, shares=np.zeros(start.size))
    while upper - lower > RELATIVE_TOLERANCE * upper:
        middle = 0.5 * (lower + upper)
        if need(middle).sum() <= capacity:
            upper = middle
        else:
            lower = middle
    return MinMaxSplit(finish_s=upper, shares=need(upper))
