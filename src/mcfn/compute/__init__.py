"""Compute measurement and identification (seed §2): nodes, their speed per op class, levelled metrics, ids.

- :mod:`~mcfn.compute.node`: :class:`ComputeNode` (tier, kind, throughput per op class, memory, VM slots with
  the seed's ``(1 + d)^(i - 1)`` slowdown) and :class:`Work` (FLOPs by op class);
- :mod:`~mcfn.compute.fleet`: nodes in a fixed order as arrays for vectorised routing;
- :mod:`~mcfn.compute.metrics`: L0 raw → L1 normalised → L2 overall scores (IETF CATS metric levels);
- :mod:`~mcfn.compute.ids`: service ids with many instances (anycast) and node ids.
"""

from mcfn.compute.fleet import Fleet
from mcfn.compute.ids import ServiceCatalog, UnknownIdError
from mcfn.compute.metrics import RawMetrics, Reference, Scores, normalise, overall_score
from mcfn.compute.node import OP_CLASSES, ComputeNode, Kind, OpClass, Tier, Work, op_throughputs, parallel_slowdown

__all__ = [
    "OP_CLASSES",
    "ComputeNode",
    "Fleet",
    "Kind",
    "OpClass",
    "RawMetrics",
    "Reference",
    "Scores",
    "ServiceCatalog",
    "Tier",
    "UnknownIdError",
    "Work",
    "normalise",
    "op_throughputs",
    "overall_score",
    "parallel_slowdown",
]
