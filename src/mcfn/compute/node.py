"""Compute nodes of the mobile CFN: where they sit (tier), what they are (kind), how fast they run each op class.

A node's speed differs by operator class, because a GPU or an NPU accelerates dense tensor work (convolutions,
matrix products) far more than memory-bound elementwise work; a single "MIPS" or "cycles/s" figure hides exactly
the difference that decides where a DNN stage should run. :class:`ComputeNode` therefore carries a throughput per
:class:`OpClass`. VM slots model the seed's parallel processing: a task that shares the node with ``i - 1`` other
busy VMs runs ``(1 + d)^(i - 1)`` times slower (seed eq. 2, :func:`parallel_slowdown`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from numbers import Real
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray


class Tier(StrEnum):
    """Where a node sits in the terminal–edge–cloud hierarchy (seed §3.1)."""

    TERMINAL = "terminal"
    EDGE = "edge"
    CLOUD = "cloud"


class Kind(StrEnum):
    """Processor kind of a node."""

    CPU = "cpu"
    GPU = "gpu"
    NPU = "npu"


class OpClass(StrEnum):
    """Operator classes whose throughput differs by processor kind."""

    CONV = "conv"
    MATMUL = "matmul"
    ELEMENTWISE = "elementwise"
    OTHER = "other"
    #: Dense tensor work (convolutions, matrix products) of a quantised model in 8-bit integers (seed §3's "model
    #: optimisation"): what int8-capable units (GPU tensor cores, NPUs, CPUs with VNNI) run faster than floats.
    INT8 = "int8"


#: Fixed order of op classes in every per-op array (``OP_CLASSES.index(op)`` is the column).
OP_CLASSES: tuple[OpClass, ...] = tuple(OpClass)

#: Relative speed of each op class to the kind's (floating-point) peak, in ``OP_CLASSES`` order. Dense tensor work
#: reaches a large share of an accelerator's peak; elementwise work is memory-bound. Rough shares in the spirit of
#: roofline measurements (Williams, Waterman & Patterson, "Roofline", CACM 52(4), 2009); override per node when
#: profiled. Int8 dense work runs at twice the float conv share: NVIDIA's datasheets give int8 at 2x the FP16 tensor
#: peak (T4: 130 TOPS vs 65 TFLOPS; A100: 624 vs 312 dense), and int8 inference on CPUs is 2-3x faster than float
#: (Krishnamoorthi, "Quantizing deep convolutional networks for efficient inference: A whitepaper",
#: arXiv:1806.08342, 2018; 2x taken); NPUs are built for int8 (2x assumed, as on GPUs).
_OP_EFFICIENCY: dict[Kind, tuple[float, float, float, float, float]] = {
    Kind.CPU: (0.6, 0.7, 0.3, 0.3, 1.2),
    Kind.GPU: (0.7, 0.8, 0.1, 0.1, 1.4),
    Kind.NPU: (0.8, 0.8, 0.05, 0.05, 1.6),
}


def parallel_slowdown(parallel: ArrayLike, degradation: ArrayLike) -> NDArray[np.float64]:
    """Seed eq. (2): service time grows by ``(1 + d)^(i - 1)`` when ``i`` VMs run in parallel on one node."""
    i = np.asarray(parallel, dtype=float)
    if np.any(i < 1):
        raise ValueError(f"parallel must be >= 1, got {i[i < 1].ravel()[:3]}")
    return np.power(1.0 + np.asarray(degradation, dtype=float), i - 1.0)


def op_throughputs(kind: Kind | str, peak_flops_per_s: float) -> dict[OpClass, float]:
    """Per-op-class throughput of a ``kind`` processor of the given peak, from the default efficiency shares."""
    return {op: share * peak_flops_per_s for op, share in zip(OP_CLASSES, _OP_EFFICIENCY[Kind(kind)], strict=True)}


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeNode:
    """One compute node: a terminal, an edge server at a base station, or a cloud data centre.

    ``node_id`` is also the node's name in the network topology. ``throughput_flops_per_s`` maps every op class
    to the speed of one VM on it (``int8`` may be left out: a node without int8 units runs quantised layers at its
    float ``conv`` speed); ``vm_slots`` VMs run in parallel with degradation factor ``degradation``.
    """

    node_id: str
    tier: Tier
    kind: Kind
    throughput_flops_per_s: Mapping[OpClass, float]
    memory_bytes: float
    vm_slots: int = 1
    degradation: float = 0.0
    _per_op: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tier", Tier(self.tier))
        object.__setattr__(self, "kind", Kind(self.kind))
        speeds = {OpClass(op): float(v) for op, v in self.throughput_flops_per_s.items()}
        if OpClass.CONV in speeds:
            speeds.setdefault(OpClass.INT8, speeds[OpClass.CONV])
        missing = [op.value for op in OP_CLASSES if op not in speeds]
        if missing:
            raise ValueError(f"node {self.node_id}: throughput_flops_per_s lacks op classes {missing}")
        per_op = tuple(speeds[op] for op in OP_CLASSES)
        if not min(per_op) > 0:
            raise ValueError(f"node {self.node_id}: every throughput must be positive, got {per_op}")
        if self.vm_slots < 1:
            raise ValueError(f"node {self.node_id}: vm_slots must be >= 1, got {self.vm_slots}")
        if self.degradation < 0:
            raise ValueError(f"node {self.node_id}: degradation must be >= 0, got {self.degradation}")
        if self.memory_bytes <= 0:
            raise ValueError(f"node {self.node_id}: memory_bytes must be positive, got {self.memory_bytes}")
        object.__setattr__(self, "throughput_flops_per_s", MappingProxyType(speeds))
        object.__setattr__(self, "_per_op", per_op)

    @classmethod
    def of_kind(
        cls,
        *,
        node_id: str,
        tier: Tier | str,
        kind: Kind | str,
        peak_flops_per_s: float,
        memory_bytes: float,
        vm_slots: int = 1,
        degradation: float = 0.0,
    ) -> ComputeNode:
        """A node whose per-op throughputs follow the kind's default shares of ``peak_flops_per_s``."""
        return cls(
            node_id=node_id,
            tier=Tier(tier),
            kind=Kind(kind),
            throughput_flops_per_s=op_throughputs(kind, peak_flops_per_s),
            memory_bytes=memory_bytes,
            vm_slots=vm_slots,
            degradation=degradation,
        )

    @property
    def per_op_flops_per_s(self) -> tuple[float, ...]:
        """Throughputs in ``OP_CLASSES`` order."""
        return self._per_op

    def compute_time_s(self, work: Work, *, parallel: int = 1) -> float:
        """Seconds one VM needs for ``work`` while ``parallel`` VMs (this one included) are busy."""
        alone = sum(f / t for f, t in zip(work.per_op_flops, self._per_op, strict=True))
        return alone * float(parallel_slowdown(parallel, self.degradation))


@dataclass(frozen=True, slots=True, init=False)
class Work:
    """Floating-point operations of a (sub-)task by op class; build it from a total or a mapping.

    ``Work(2e9)`` is 2 GFLOP of matrix products; ``Work({"conv": 3e9, "elementwise": 1e8})`` is a mix.
    """

    per_op_flops: tuple[float, ...]

    def __init__(self, flops: float | Mapping[OpClass | str, float], op_class: OpClass | str = OpClass.MATMUL):
        mix = {OpClass(op_class): float(flops)} if isinstance(flops, Real) else flops
        per_op = {OpClass(k): float(v) for k, v in mix.items()}
        values = tuple(per_op.get(op, 0.0) for op in OP_CLASSES)
        if min(values) < 0 or not all(np.isfinite(values)):
            raise ValueError(f"flops must be finite and >= 0, got {dict(zip(OP_CLASSES, values, strict=True))}")
        object.__setattr__(self, "per_op_flops", values)

    @property
    def total_flops(self) -> float:
        return sum(self.per_op_flops)
