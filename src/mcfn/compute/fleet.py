"""A fleet: compute nodes in a fixed order, as the arrays that vectorised routing reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from mcfn.compute.ids import unknown_id
from mcfn.compute.node import ComputeNode, Tier
from mcfn.network.radio import FloatArray


@dataclass(frozen=True, eq=False, init=False)
class Fleet:
    """Compute nodes indexed ``0..n-1``; ``seconds_per_flop[j, c]`` is ``1 / throughput`` of node j, op class c."""

    nodes: tuple[ComputeNode, ...]
    index: MappingProxyType[str, int] = field(repr=False)
    seconds_per_flop: FloatArray = field(repr=False)
    vm_slots: np.ndarray = field(repr=False)
    degradation: FloatArray = field(repr=False)
    memory_bytes: FloatArray = field(repr=False)
    is_cloud: np.ndarray = field(repr=False)

    def __init__(self, nodes: Iterable[ComputeNode]):
        ordered = tuple(nodes)
        index = {n.node_id: i for i, n in enumerate(ordered)}
        if len(index) != len(ordered):
            raise ValueError("compute node ids must be unique")
        set_ = object.__setattr__
        set_(self, "nodes", ordered)
        set_(self, "index", MappingProxyType(index))
        set_(self, "seconds_per_flop", 1.0 / np.array([n.per_op_flops_per_s for n in ordered], dtype=float))
        set_(self, "vm_slots", np.array([n.vm_slots for n in ordered], dtype=np.int64))
        set_(self, "degradation", np.array([n.degradation for n in ordered], dtype=float))
        set_(self, "memory_bytes", np.array([n.memory_bytes for n in ordered], dtype=float))
        set_(self, "is_cloud", np.array([n.tier is Tier.CLOUD for n in ordered], dtype=bool))

    def __len__(self) -> int:
        return len(self.nodes)

    def indices(self, node_ids: Iterable[str]) -> np.ndarray:
        """Indices of ``node_ids``; raises :class:`~mcfn.compute.ids.UnknownIdError` for an unknown id."""
        out = []
        for name in node_ids:
            if name not in self.index:
                raise unknown_id("compute node", name, self.index)
            out.append(self.index[name])
        return np.array(out, dtype=np.int64)

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(n.node_id for n in self.nodes)
