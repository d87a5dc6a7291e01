"""The joint bandwidth / compute / compression problem of seed §3.2 as typed values.

See ``docs/formats/allocation.md``: tasks of the terminals attached to one base station upload compressed data over
OFDMA and are processed on the base station's edge server, where parallel VMs slow each other down by
``(1 + d)^(i - 1)``. :class:`Instance` holds the inputs in SI units; :class:`ScaledTasks` holds the same data as
arrays in the scaled units that the solvers use (Mbit, MHz, Gcycle/s, seconds), because conic solvers misbehave
on raw SI magnitudes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mcfn.allocation import kernels
from mcfn.network.radio import FloatArray, noise_psd_w_per_hz, snr_bandwidth_hz

MBIT = 1e6
MHZ = 1e6
GHZ = 1e9


@dataclass(frozen=True, slots=True)
class AccuracyCurve:
    """Accuracy of a task vs the data it processes, seed eq. (1): ``A = p - q (alpha / Mbit)^(-r)``."""

    p: float
    q: float
    r: float

    def accuracy(self, data_bits: float) -> float:
        return self.p - self.q * (data_bits / MBIT) ** (-self.r)


@dataclass(frozen=True, slots=True)
class Task:
    """One intelligent task of a terminal (inputs of the spec's table, SI units)."""

    id: str
    terminal: str
    data_bits: float
    cycles_per_bit: float
    accuracy: AccuracyCurve
    min_accuracy: float
    deadline_s: float
    tx_power_w: float
    channel_gain: float
    parallel: int
    #: Power (W) the terminal draws while it uploads this task: the radiated ``tx_power_w`` over its amplifier's
    #: efficiency plus its radio's circuit power. None: ``tx_power_w`` (the radiated energy only).
    upload_power_w: float | None = None

    @property
    def sending_w(self) -> float:
        """The power whose product with the upload time is the task's transmit energy (``upload_power_w``)."""
        return self.tx_power_w if self.upload_power_w is None else self.upload_power_w


@dataclass(frozen=True)
class Instance:
    """One base station's allocation problem: system inputs plus its tasks (SI units)."""

    bandwidth_hz: float
    noise_psd_dbm_hz: float
    edge_capacity_hz: float
    vm_capacity_hz: float
    degradation: float
    weight: float
    min_compression: float
    tasks: tuple[Task, ...]
    #: Utility lost per joule the terminals spend uploading (1/J): the objective subtracts ``energy_weight`` times
    #: each task's transmit energy ``sending_w · T_up``. 0 (the seed's objective) leaves every result as it was.
    energy_weight: float = 0.0

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    def subset(self, indices: Sequence[int]) -> Instance:
        """The same system with only the tasks at ``indices`` (in that order)."""
        return dataclasses.replace(self, tasks=tuple(self.tasks[i] for i in indices))

    def replace(self, **changes: object) -> Instance:
        """A copy with some system inputs changed, e.g. ``inst.replace(edge_capacity_hz=2e11)``."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def scaled(self) -> ScaledTasks:
        """The tasks as arrays in solver units (computed once per instance: an instance is immutable)."""
        return self._scaled

    @cached_property
    def _scaled(self) -> ScaledTasks:
        return ScaledTasks.from_instance(self)


@dataclass(frozen=True, eq=False)
class ScaledTasks:
    """Per-task arrays in solver units: data in Mbit, bandwidth in MHz, compute in Gcycle/s, time in s.

    ``snr_mhz`` is ``P g / N0`` in MHz, so the rate in Mbit/s is ``b log2(1 + snr_mhz / b)`` for ``b`` in MHz.
    ``compute_s_per_mbit_g`` is the compute time of 1 Mbit on 1 Gcycle/s including the parallel slowdown,
    ``(1 + d)^(i - 1) c / 1000``, so ``T_cmp = compute_s_per_mbit_g * alpha / f``. ``upload_cost_per_s`` is the
    utility each second of upload costs in energy, ``energy_weight · sending_w`` (so the objective subtracts
    ``upload_cost_per_s · T_up``); None where the energy weight is 0 (the seed's objective, unchanged).
    """

    data_mbit: FloatArray
    snr_mhz: FloatArray
    compute_s_per_mbit_g: FloatArray
    p: FloatArray
    q: FloatArray
    r: FloatArray
    min_accuracy: FloatArray
    deadline_s: FloatArray
    bandwidth_mhz: float
    capacity_g: float
    vm_capacity_g: float
    weight: float
    min_compression: float
    upload_cost_per_s: FloatArray | None = None

    @classmethod
    def from_instance(cls, inst: Instance) -> ScaledTasks:
        columns = np.array(
            [
                (
                    t.data_bits,
                    t.tx_power_w,
                    t.channel_gain,
                    t.parallel,
                    t.cycles_per_bit,
                    t.accuracy.p,
                    t.accuracy.q,
                    t.accuracy.r,
                    t.min_accuracy,
                    t.deadline_s,
                )
                for t in inst.tasks
            ],
            dtype=float,
        ).reshape(-1, 10)
        data, power, gain, parallel, cycles, p, q, r, floor, deadline = columns.T
        n0 = noise_psd_w_per_hz(inst.noise_psd_dbm_hz)
        return cls(
            data_mbit=data / MBIT,
            snr_mhz=snr_bandwidth_hz(power, gain, n0) / MHZ,
            compute_s_per_mbit_g=(1.0 + inst.degradation) ** (parallel - 1.0) * cycles * MBIT / GHZ,
            p=p.copy(),
            q=q.copy(),
            r=r.copy(),
            min_accuracy=floor.copy(),
            deadline_s=deadline.copy(),
            bandwidth_mhz=inst.bandwidth_hz / MHZ,
            capacity_g=inst.edge_capacity_hz / GHZ,
            vm_capacity_g=inst.vm_capacity_hz / GHZ,
            weight=inst.weight,
            min_compression=inst.min_compression,
            upload_cost_per_s=(
                inst.energy_weight * np.array([t.sending_w for t in inst.tasks]) if inst.energy_weight > 0 else None
            ),
        )

    @property
    def n(self) -> int:
        return int(self.data_mbit.size)

    @property
    def accuracy_floor_mbit(self) -> FloatArray:
        """Least data that meets the accuracy floor: ``((p - A_min) / q)^(-1/r)`` Mbit (inf if p <= A_min)."""
        return kernels.accuracy_floor_mbit(self.p, self.q, self.r, self.min_accuracy)

    def rate_mbps(self, bandwidth_mhz: FloatArray) -> FloatArray:
        """Shannon rate in Mbit/s of each task for its bandwidth in MHz (zero bandwidth: zero rate)."""
        b = np.asarray(bandwidth_mhz, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = b * np.log2(1.0 + self.snr_mhz / b)
        return np.where(b > 0, rate, 0.0)

    def accuracy_at(self, data_mbit: FloatArray) -> FloatArray:
        return self.p - self.q * np.power(data_mbit, -self.r)
