"""Seeded generator of the default instances and their variations (``docs/formats/allocation.md``, the default
scenario).

Terminals are dropped uniformly at 50–400 m from the base station; each has ``tasks_per_terminal`` tasks that
share its 23 dBm transmit power evenly and run in parallel on its VM (``parallel = tasks_per_terminal``). Task
types (light / medium / heavy) are assigned round-robin over all tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfn.allocation.problem import GHZ, MBIT, MHZ, AccuracyCurve, Instance, Task
from mcfn.network.radio import channel_gain, dbm_to_watt


@dataclass(frozen=True, slots=True)
class TaskType:
    name: str
    cycles_per_bit: float
    accuracy: AccuracyCurve


#: The spec's three task types (cycles per bit and accuracy curve), assigned round-robin.
TASK_TYPES: tuple[TaskType, ...] = (
    TaskType("light", 500.0, AccuracyCurve(0.95, 0.10, 0.8)),
    TaskType("medium", 1500.0, AccuracyCurve(0.92, 0.14, 0.6)),
    TaskType("heavy", 3000.0, AccuracyCurve(0.90, 0.18, 0.5)),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceSpec:
    """Parameters of a generated instance; the defaults reproduce the seed's figures."""

    terminals: int = 10
    tasks_per_terminal: int = 2
    bandwidth_mhz: float = 10.0
    capacity_gcycles: float = 100.0
    vm_capacity_gcycles: float = 10.0
    degradation: float = 0.1
    weight: float = 0.5
    min_compression: float = 0.05
    min_accuracy: float = 0.55
    deadline_s: float = 1.0
    terminal_power_dbm: float = 23.0
    noise_psd_dbm_hz: float = -174.0
    distance_m: tuple[float, float] = (50.0, 400.0)
    data_mbit: tuple[float, float] = (1.0, 4.0)
    shadowing_db: float = 0.0

    def __post_init__(self) -> None:
        for name in ("terminals", "tasks_per_terminal"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("bandwidth_mhz", "capacity_gcycles", "vm_capacity_gcycles", "deadline_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.degradation < 0:
            raise ValueError(f"degradation must be >= 0, got {self.degradation}")
        if not 0 <= self.weight <= 1:
            raise ValueError(f"weight must be in [0, 1], got {self.weight}")
        if not 0 < self.min_compression <= 1:
            raise ValueError(f"min_compression must be in (0, 1], got {self.min_compression}")


def generate_instance(spec: InstanceSpec, rng: np.random.Generator) -> Instance:
    """Draw one instance; the same ``spec`` and generator state give the same instance, bit for bit."""
    n_terminals = spec.terminals
    per = spec.tasks_per_terminal
    distance = rng.uniform(*spec.distance_m, size=n_terminals)
    gain = channel_gain(distance, shadowing_db=spec.shadowing_db, rng=rng)
    data = rng.uniform(*spec.data_mbit, size=n_terminals * per) * MBIT
    power_w = float(dbm_to_watt(spec.terminal_power_dbm)) / per
    tasks = []
    for u in range(n_terminals):
        for m in range(per):
            index = u * per + m
            kind = TASK_TYPES[index % len(TASK_TYPES)]
            tasks.append(
                Task(
                    id=f"u{u}/t{m}",
                    terminal=f"u{u}",
                    data_bits=float(data[index]),
                    cycles_per_bit=kind.cycles_per_bit,
                    accuracy=kind.accuracy,
                    min_accuracy=spec.min_accuracy,
                    deadline_s=spec.deadline_s,
                    tx_power_w=power_w,
                    channel_gain=float(gain[u]),
                    parallel=per,
                )
            )
    return Instance(
        bandwidth_hz=spec.bandwidth_mhz * MHZ,
        noise_psd_dbm_hz=spec.noise_psd_dbm_hz,
        edge_capacity_hz=spec.capacity_gcycles * GHZ,
        vm_capacity_hz=spec.vm_capacity_gcycles * GHZ,
        degradation=spec.degradation,
        weight=spec.weight,
        min_compression=spec.min_compression,
        tasks=tuple(tasks),
    )


def random_station(rng: np.random.Generator) -> Instance:
    """A station drawn over the whole class the solvers claim, beyond the spec's defaults: one to twelve tasks; band
    from 1 to 50 MHz, edge capacity from 5 to 300 Gcycle/s, VM caps from 2 to 40 Gcycle/s; deadlines from binding to
    slack; accuracy floors absent, binding, or out of reach; weights from 0 to 1; degradation 0 to 1. Sets that need
    admission, or are infeasible without it, come up often. What the fast method is tested and benchmarked on."""
    n = int(rng.integers(1, 13))
    min_compression = float(rng.choice([0.01, 0.05, 0.2, 0.5]))
    deadline_scale = float(rng.choice([0.05, 0.2, 0.5, 1.0, 3.0]))
    tasks = []
    for i in range(n):
        curve = AccuracyCurve(p=rng.uniform(0.7, 0.99), q=rng.uniform(0.02, 0.3), r=rng.uniform(0.2, 1.2))
        data = rng.uniform(0.2, 5.0) * MBIT
        floor_at = rng.choice([0.0, rng.uniform(min_compression, 1.0), rng.uniform(0.9, 1.3)], p=[0.3, 0.6, 0.1])
        floor = 0.0 if floor_at == 0.0 else max(float(curve.accuracy(floor_at * data)), 0.0)
        tasks.append(
            Task(
                id=f"t{i}",
                terminal=f"u{i // 2}",
                data_bits=data,
                cycles_per_bit=rng.uniform(100, 5000),
                accuracy=curve,
                min_accuracy=floor,
                deadline_s=deadline_scale * rng.uniform(0.5, 2.0),
                tx_power_w=rng.uniform(0.05, 0.2),
                channel_gain=float(channel_gain(rng.uniform(30, 600))),
                parallel=int(rng.integers(1, 4)),
            )
        )
    return Instance(
        bandwidth_hz=float(rng.choice([1.0, 5.0, 10.0, 50.0])) * MHZ,
        noise_psd_dbm_hz=-174.0,
        edge_capacity_hz=float(rng.choice([5.0, 25.0, 100.0, 300.0])) * GHZ,
        vm_capacity_hz=float(rng.choice([2.0, 10.0, 40.0])) * GHZ,
        degradation=float(rng.choice([0.0, 0.1, 1.0])),
        weight=float(rng.choice([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])),
        min_compression=min_compression,
        tasks=tuple(tasks),
    )
