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

A task's deadline in the problem is the time it has left. The solver's compute shares are its model of the
edge server; the simulator does not enforce them (its VMs run the stages), it applies the bandwidths and the
compression ratios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mcfn.allocation.problem import MBIT, AccuracyCurve, Instance, Task
from mcfn.network.radio import FloatArray, noise_psd_w_per_hz


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
    """The solver's bandwidth (Hz) and compression ratio of every upload, in order; ``ρ = 1`` for fixed ones."""

    bandwidth_hz: FloatArray
    compression: FloatArray
    solve_time_s: float


def allocate_uploads(uploads: Sequence[Upload], system: UplinkSystem) -> UplinkAllocation | str:
    """Solve seed §3.2 for ``uploads`` (one conic program with ``method="exact"``, about twenty with ``"sca"``,
    after one feasibility check); returns the allocation, or the solver's reason when the set cannot be served
    within its deadlines and floors (no admission: the caller decides whom to turn away)."""
    from mcfn.allocation import allocate

    result = allocate(_instance(uploads, system), method=system.method, admission=False)
    if result.status != "optimal":
        return result.reason or result.status
    bandwidth = np.array([t.bandwidth_hz for t in result.tasks])
    compression = np.array([1.0 if u.fixed else t.compression for u, t in zip(uploads, result.tasks, strict=True)])
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
