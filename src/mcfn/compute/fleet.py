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
        object.__setattr__(self, "nodes", ordered)
        object.__setattr__(self, "index", MappingProxyType(index))
        arrays = {
            "seconds_per_flop": 1.0 / np.array([n.per_op_flops_per_s for n in ordered], dtype=float),
            "vm_slots": np.array([n.vm_slots for n in ordered], dtype=np.int64),
            "degradation": np.array([n.degradation for n in ordered], dtype=float),
            "memory_bytes": np.array([n.memory_bytes for n in ordered], dtype=float),
            "is_cloud": np.array([n.tier is Tier.CLOUD for n in ordered], dtype=bool),
        }
        for name, values in arrays.items():
            values.flags.writeable = False  # shared by every router and view built on this fleet
            object.__setattr__(self, name, values)

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
