"""The uploads in progress at one base station as the seed's §3.2 problem: bandwidth and compression by the
allocation solver.

Seed §3.2 allocates, for the tasks of the terminals attached to one base station, OFDMA bandwidth, edge compute
and each task's compression ratio jointly, maximising ``Σ w A − (1 − w) T / T_max`` under accuracy floors and
deadlines (``spec/allocation.md``). :func:`allocate_uploads` poses that problem for the uploads in progress and
solves it with :func:`mcfn.allocation.allocate` (the exact log-domain optimum, or the seed's SCA):

- an upload that is starting (``fixed=False``) has its whole input ``D`` to send and its compression ratio
  ``ρ`` still free; its accuracy follows its curve (seed eq. 1) at ``α = ρ D``;
- an upload already in progress (``fixed=True``) has compressed its data already: ``data_bits`` is what it still
  has to send and must be sent whole. It enters the problem with accuracy floor 0 and the curve
  ``A(α) = Mbit / D − Mbit / α``, whose floor is met exactly at ``α = D`` (so the solver's range
  ``[ρ_min D, D]`` shrinks to ``{D}``) and whose value there is 0: its data is fixed and it adds nothing but its
  latency to the objective, as it should;
- compute follows the seed's model, ``(1 + d)^(i − 1) c α / f`` with ``i = min(uploads, VM slots)``; ``c`` is
  chosen so that the uncompressed task takes, alone on one VM, what its stages take on one edge VM.

A lone starting upload — the common case in a cell — needs no solver: with all of ``B`` and a whole VM (more of
either only shortens it) the utility of seed §3.2 is concave in the data ``α`` alone, and its optimum is the
stationary point ``α* = (w q r T Mbit^r / ((1 − w) c₁))^(1/(r+1))``, ``c₁ = 1 / R(B) + c / f_max`` seconds per
bit, clipped to ``[max(ρ_min D, the accuracy floor's α), min(D, T / c₁)]`` (:func:`lone_upload`; the tests hold it
to the exact solver). So does a re-division among uploads whose data are all fixed, when no deadline binds: it
separates into the ``min-total-time`` bandwidth split with weights ``D / T`` and a water-filling of compute
(:func:`fixed_uploads`).

A task's deadline in the problem is the time it has left. The solver's compute shares are its model of the
edge server; the simulator does not enforce them (its VMs run the stages), it applies the bandwidths and the
compression ratios.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mcfn.allocation.problem import MBIT, AccuracyCurve, Instance, Task
from mcfn.network.radio import FloatArray, noise_psd_w_per_hz, shannon_rate_bps
from mcfn.network.uplink import min_total_time


@dataclass(frozen=True, slots=True, kw_only=True)
class UplinkSystem:
    """A station's side of the problem: its band, its edge server (as the solver sees it) and the objective."""

    bandwidth_hz: float
    noise_psd_dbm_hz: float
    tx_power_w: float
    vm_flops_per_s: float
    vm_slots: int
    degradation: float
    weight: float
    min_compression: float
    method: str = "exact"


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """One upload at the station (see the module docstring for ``fixed``)."""

    snr_hz: float
    data_bits: float
    #: Work of the task's compute at ``data_bits`` in FLOPs of one edge VM (seconds alone × VM FLOP/s).
    compute_flops: float
    curve: AccuracyCurve
    min_accuracy: float
    deadline_s: float
    fixed: bool


@dataclass(frozen=True, slots=True)
class UplinkAllocation:
    """The solver's bandwidth (Hz) and compression ratio of every upload, in order (1 for fixed ones, up to the
    solver's tolerance)."""

    bandwidth_hz: FloatArray
    compression: FloatArray
    solve_time_s: float
    #: True when :func:`lone_upload` or :func:`fixed_uploads` answered without the solver.
    closed_form: bool = False


def allocate_uploads(uploads: Sequence[Upload], system: UplinkSystem) -> UplinkAllocation | str:
    """Solve seed §3.2 for ``uploads`` (one conic program with ``method="exact"``, about twenty with ``"sca"``,
    after one feasibility check; a lone starting upload, and uploads whose data are all fixed when no deadline
    binds, in closed form: :func:`lone_upload`, :func:`fixed_uploads`); returns the
    allocation, or the reason when the set cannot be served within its deadlines and floors (no admission: the
    caller decides whom to turn away)."""
    from mcfn.allocation import allocate

    if len(uploads) == 1 and not uploads[0].fixed:
        return lone_upload(uploads[0], system)
    if all(u.fixed for u in uploads):
        closed = fixed_uploads(uploads, system)
        if closed is not None:
            return closed
    result = allocate(_instance(uploads, system), method=system.method, admission=False)
    if result.status != "optimal":
        return result.reason or result.status
    bandwidth = np.array([t.bandwidth_hz for t in result.tasks])
    compression = np.array([t.compression for t in result.tasks])
    return UplinkAllocation(bandwidth, compression, result.solve_time_s)


def _instance(uploads: Sequence[Upload], system: UplinkSystem) -> Instance:
    noise = noise_psd_w_per_hz(system.noise_psd_dbm_hz)
    parallel = min(len(uploads), system.vm_slots)
    tasks = []
    for i, u in enumerate(uploads):
        curve, floor = u.curve, u.min_accuracy
        if u.fixed:
            curve, floor = AccuracyCurve(p=MBIT / u.data_bits, q=1.0, r=1.0), 0.0
        tasks.append(
            Task(
                id=str(i),
                terminal=str(i),
                data_bits=u.data_bits,
                cycles_per_bit=u.compute_flops / u.data_bits,
                accuracy=curve,
                min_accuracy=floor,
                deadline_s=u.deadline_s,
                tx_power_w=system.tx_power_w,
                channel_gain=u.snr_hz * noise / system.tx_power_w,
                parallel=parallel,
            )
        )
    return Instance(
        bandwidth_hz=system.bandwidth_hz,
        noise_psd_dbm_hz=system.noise_psd_dbm_hz,
        edge_capacity_hz=system.vm_flops_per_s * system.vm_slots,
        vm_capacity_hz=system.vm_flops_per_s,
        degradation=system.degradation,
        weight=system.weight,
        min_compression=system.min_compression,
        tasks=tuple(tasks),
    )


def lone_upload(upload: Upload, system: UplinkSystem) -> UplinkAllocation | str:
    """The optimum of seed §3.2 for one starting upload alone at its station, in closed form (module docstring).

    O(1); exact: the utility is concave in the data once bandwidth and compute are at their (binding) maxima.
    """
    started = time.perf_counter()
    u, w = upload, system.weight
    q, r = u.curve.q, u.curve.r
    rate = float(shannon_rate_bps(system.bandwidth_hz, 1.0, u.snr_hz, 1.0))
    per_bit_s = 1.0 / rate + u.compute_flops / u.data_bits / system.vm_flops_per_s
    headroom = u.curve.p - u.min_accuracy
    if headroom < 0 or (headroom == 0 and q > 0):
        return f"accuracy floor {u.min_accuracy:g} is above what the uncompressed input reaches"
    floor_bits = MBIT * (headroom / q) ** (-1.0 / r) if q > 0 and headroom > 0 else 0.0
    low = max(system.min_compression * u.data_bits, floor_bits)
    high = min(u.data_bits, u.deadline_s / per_bit_s)
    if low > high * (1 + 1e-12):
        return "its deadline and accuracy floor cannot both be met, even alone with the whole band"
    if w >= 1.0:
        best = high
    elif w <= 0.0 or q == 0.0:
        best = low
    else:
        best = (w * q * r * u.deadline_s * MBIT**r / ((1.0 - w) * per_bit_s)) ** (1.0 / (r + 1.0))
    alpha = min(max(best, low), high)
    return UplinkAllocation(
        np.array([system.bandwidth_hz]), np.array([alpha / u.data_bits]), time.perf_counter() - started, True
    )


def fixed_uploads(uploads: Sequence[Upload], system: UplinkSystem) -> UplinkAllocation | None:
    """Seed §3.2 when every upload's data is fixed, in closed form where no deadline binds; None where one does.

    With the data fixed the accuracies are constant and the utility is ``−(1 − w) Σ (t_up + t_cmp) / T``. Without
    the deadlines it separates: bandwidth minimises ``Σ (D / T) / R(b)`` over ``Σ b = B`` — the ``min-total-time``
    split of :mod:`mcfn.network.uplink` with weights ``D / T`` — and compute minimises ``Σ a / f`` over
    ``Σ f <= F``, ``f <= f_max`` with ``a = (1 + d)^(i − 1) c D / T`` (water-filling: ``f = min(f_max, √(a / ν))``).
    When that relaxed optimum meets every deadline it is the optimum of the constrained problem; O(n log n).
    """
    started = time.perf_counter()
    data = np.array([u.data_bits for u in uploads])
    snr = np.array([u.snr_hz for u in uploads])
    deadline = np.array([u.deadline_s for u in uploads])
    work = np.array([u.compute_flops for u in uploads]) * (1.0 + system.degradation) ** (
        min(len(uploads), system.vm_slots) - 1
    )
    bandwidth = min_total_time(system.bandwidth_hz, snr, data / deadline)
    compute = _water_fill(work / deadline, system.vm_flops_per_s * system.vm_slots, system.vm_flops_per_s)
    latency = data / shannon_rate_bps(bandwidth, 1.0, snr, 1.0) + work / compute
    if np.any(latency > deadline):
        return None
    return UplinkAllocation(bandwidth, np.ones(len(uploads)), time.perf_counter() - started, True)


def _water_fill(weights: FloatArray, total: float, cap: float) -> FloatArray:
    """``f`` minimising ``Σ weights / f`` with ``Σ f <= total`` and ``0 < f <= cap``: ``min(cap, √(weights / ν))``."""
    root = np.sqrt(np.maximum(weights, 1e-300))  # a task without work still gets a share
    share = np.full(root.size, cap)
    free = np.ones(root.size, dtype=bool)
    while root.size * cap > total:
        share = np.where(free, (total - cap * np.count_nonzero(~free)) * root / root[free].sum(), cap)
        over = free & (share > cap)
        if not over.any():
            break
        free &= ~over
    return np.minimum(share, cap)
