# cython: boundscheck=False, wraparound=False, cdivision=True
"""The allocation problem's per-task array helpers as loops, compiled by Cython (``kernels.pxd``).

A base station poses problems of two or three tasks thousands of times a simulated minute; at that size one NumPy
call costs more than the arithmetic it does, so these take each task in one pass instead. This file is also the
Python reference.
"""

from __future__ import annotations

import math

import numpy as np

from mcfn.network.radio import FloatArray

_INF = math.inf
#: A least data above the most by more than this share (rounding) puts the accuracy floor out of reach.
OUT_OF_REACH = 1e-12


def accuracy_floor_mbit(p: FloatArray, q: FloatArray, r: FloatArray, min_accuracy: FloatArray) -> FloatArray:
    """Least data (Mbit) whose accuracy ``p - q alpha^(-r)`` (seed eq. 1) meets each floor: ``((p - A_min) /
    q)^(-1/r)``, 0 where the curve is flat (``q = 0``) and above it, ``inf`` where ``p <= A_min``."""
    n = p.shape[0]
    out = np.empty(n)
    floor = out
    for i in range(n):
        floor[i] = floor_mbit(p[i], q[i], r[i], min_accuracy[i])
    return out


def floor_mbit(p: float, q: float, r: float, min_accuracy: float) -> float:
    """:func:`accuracy_floor_mbit` of one task."""
    headroom = p - min_accuracy
    if not headroom > 0.0:
        return _INF
    if q == 0.0:
        return 0.0
    return (headroom / q) ** (-1.0 / r)


def least_data_mbit(data_mbit: FloatArray, floor_mbit: FloatArray, least_ratio: float) -> FloatArray:
    """Each task's least data (Mbit): ``least_ratio`` of its data, or its accuracy floor where that is higher (at
    most the data itself); ``inf`` where the floor lies above the data (out of reach)."""
    n = data_mbit.shape[0]
    out = np.empty(n)
    least_data = out
    for i in range(n):
        least_data[i] = least_mbit(data_mbit[i], floor_mbit[i], least_ratio)
    return out


def least_mbit(data: float, floor: float, least_ratio: float) -> float:
    """:func:`least_data_mbit` of one task."""
    least = max(least_ratio * data, floor)
    return min(least, data) if least <= data * (1.0 + OUT_OF_REACH) else _INF


def to_si(
    data_mbit: FloatArray,
    bandwidth_mhz: FloatArray,
    compute_g: FloatArray,
    raw_mbit: FloatArray,
    budgets: tuple[float, float, float, float],
    hz_per_mhz: float,
    hz_per_g: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A solution in solver units to SI: bandwidth and compute in Hz and each task's compression ratio, clipped
    onto the box and the budgets the solver met to within its tolerance; ``budgets`` are the band (MHz), the
    compute budget and one VM's cap (Gcycle/s) and the least compression ratio (:func:`to_si_into`, into new
    arrays)."""
    band, capacity, cap, least_ratio = budgets
    table = np.empty((3, data_mbit.shape[0]))
    to_si_into(
        data_mbit, bandwidth_mhz, compute_g, raw_mbit, band, capacity, cap, least_ratio, hz_per_mhz, hz_per_g, table
    )
    return table[0], table[1], table[2]


def to_si_into(
    data_mbit: FloatArray,
    bandwidth_mhz: FloatArray,
    compute_g: FloatArray,
    raw_mbit: FloatArray,
    band: float,
    capacity: float,
    cap: float,
    least_ratio: float,
    hz_per_mhz: float,
    hz_per_g: float,
    si: np.ndarray,
) -> None:
    """:func:`to_si` into the first ``n`` columns of the three rows of ``si`` (a caller's buffer, which it keeps
    from one solve to the next: no array, view or tuple per call), the budgets as scalars."""
    n = data_mbit.shape[0]
    used_b = 0.0
    used_f = 0.0
    for i in range(n):
        si[0, i] = max(bandwidth_mhz[i], 0.0)
        si[1, i] = min(max(compute_g[i], 0.0), cap)
        used_b += si[0, i]
        used_f += si[1, i]
        si[2, i] = min(max(data_mbit[i] / raw_mbit[i], least_ratio), 1.0)
    scale_b = min(hz_per_mhz, band * hz_per_mhz / used_b) if used_b > 0.0 else hz_per_mhz
    scale_f = min(hz_per_g, capacity * hz_per_g / used_f) if used_f > 0.0 else hz_per_g
    for i in range(n):
        si[0, i] *= scale_b
        si[1, i] *= scale_f
