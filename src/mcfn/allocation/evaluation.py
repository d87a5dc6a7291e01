"""Evaluation of any allocation: the single source of every number a result reports.

Given an instance and per-task bandwidth, compute and compression ratio, :func:`evaluate` recomputes upload,
compute and total latency, accuracy, the terminals' transmit energy ``E = sending_w T_up``, the system utility
``U = sum(w A - (1 - w) T / T_max - lambda E)`` of seed §3.2 (``lambda`` the instance's ``energy_weight``, 0 in the
seed) and every constraint violation. Solvers return raw variables; results are always built from this evaluation, so a
reported utility equals its recomputation by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mcfn.allocation.problem import GHZ, MHZ, Instance
from mcfn.network.radio import FloatArray

#: Relative tolerance under which a constraint counts as met (solver accuracy is about 1e-8).
DEFAULT_TOLERANCE = 1e-6


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Per-task metrics of an allocation, and the system utility. Rejected tasks score accuracy 0, latency T_max, and
    spend no transmit energy."""

    bandwidth_hz: FloatArray
    compute_hz: FloatArray
    compression: FloatArray
    admitted: NDArray[np.bool_]
    upload_s: FloatArray
    compute_s: FloatArray
    latency_s: FloatArray
    accuracy: FloatArray
    upload_energy_j: FloatArray
    task_utility: FloatArray
    violations: tuple[str, ...]

    @property
    def utility(self) -> float:
        return float(self.task_utility.sum())

    @property
    def feasible(self) -> bool:
        return not self.violations


def evaluate(
    instance: Instance,
    *,
    bandwidth_hz: ArrayLike,
    compute_hz: ArrayLike,
    compression: ArrayLike,
    admitted: ArrayLike | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Evaluation:
    """Recompute every per-task quantity and the utility of an allocation; list violated constraints.

    Complexity O(N). ``admitted`` defaults to all tasks; a rejected task contributes ``-(1 - w)`` to the utility
    (accuracy 0, latency equal to its deadline) and must hold no bandwidth or compute.
    """
    n = instance.n_tasks
    b = _vector(bandwidth_hz, n, "bandwidth_hz")
    f = _vector(compute_hz, n, "compute_hz")
    rho = _vector(compression, n, "compression")
    adm = np.ones(n, dtype=bool) if admitted is None else np.asarray(admitted, dtype=bool).reshape(n)
    s = instance.scaled()
    alpha = rho * s.data_mbit
    b_mhz = b / MHZ
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = b_mhz * np.log2(1.0 + s.snr_mhz / b_mhz)  # s.rate_mbps, without its check for zero bandwidth
        upload = np.where(adm, alpha / rate, 0.0)
        compute = np.where(adm, s.compute_s_per_mbit_g * alpha / (f / GHZ), 0.0)
        accuracy = np.where(adm, s.accuracy_at(alpha), 0.0)
    latency = np.where(adm, upload + compute, s.deadline_s)
    energy = np.where(adm, np.array([t.sending_w for t in instance.tasks]) * upload, 0.0)
    w = s.weight
    task_utility = w * accuracy - (1.0 - w) * latency / s.deadline_s
    if instance.energy_weight > 0:
        task_utility -= instance.energy_weight * energy
    violations = _violations(instance, b, f, rho, adm, latency, accuracy, tolerance)
    return Evaluation(b, f, rho, adm, upload, compute, latency, accuracy, energy, task_utility, violations)


def _vector(values: ArrayLike, n: int, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one value per task ({n}), got shape {arr.shape}")
    return arr


def _violations(
    inst: Instance,
    b: FloatArray,
    f: FloatArray,
    rho: FloatArray,
    adm: NDArray[np.bool_],
    latency: FloatArray,
    accuracy: FloatArray,
    tol: float,
) -> tuple[str, ...]:
    found: list[str] = []
    ids = [t.id for t in inst.tasks]
    s = inst.scaled()
    per_task = {
        "latency above deadline": adm & ~(latency <= s.deadline_s * (1 + tol)),
        "accuracy below its floor": adm & ~(accuracy >= s.min_accuracy - tol),
        "admitted without bandwidth": adm & ~(b > 0),
        "admitted without compute": adm & ~(f > 0),
        "compute above the VM cap": f > inst.vm_capacity_hz * (1 + tol),
        "compression outside [min, 1]": adm & ((rho < inst.min_compression * (1 - tol)) | (rho > 1 + tol)),
        "rejected but holds resources": ~adm & ((b != 0) | (f != 0)),
        "negative bandwidth": b < 0,
    }
    if np.any(np.logical_or.reduce(list(per_task.values()))):
        for message, mask in per_task.items():
            found.extend(f"{ids[i]}: {message}" for i in np.flatnonzero(mask))
    if b.sum() > inst.bandwidth_hz * (1 + tol):
        found.append(f"total bandwidth {b.sum():.6g} Hz above B = {inst.bandwidth_hz:.6g} Hz")
    if f.sum() > inst.edge_capacity_hz * (1 + tol):
        found.append(f"total compute {f.sum():.6g} Hz above F = {inst.edge_capacity_hz:.6g} Hz")
    return tuple(found)


def utility_scale(instance: Instance, utility: float) -> float:
    """What a utility's precision is relative to: its magnitude, or, where that is smaller, one task's own scale
    ``w p_mean + (1 - w)`` (a sum of accuracy terms and latency terms can be near zero; solvers are accurate to a
    share of its terms, not of their difference)."""
    w = instance.weight
    per_task = w * float(np.mean([t.accuracy.p for t in instance.tasks])) + (1.0 - w) if instance.tasks else 1.0
    return max(abs(utility), per_task)
