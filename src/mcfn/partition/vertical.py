"""Vertical split: fused-tile partitioning of a convolution / pooling prefix across K compute nodes.

The idea is DeepThings' Fused Tile Partitioning (Zhao, Mirzazad Barijough and Gerstlauer, IEEE TCAD 2018): cut
the prefix's final feature map into a grid of tiles, trace each tile's region back through the fused layers
(kernel, stride, padding, dilation) to the input region it needs — overlapping its neighbours by the halo — and
let each node compute its tile through all fused layers with no communication in between. Here a DAG prefix is
allowed (residual adds): a node read by several layers must cover the union of what they need.

Tile sizes follow the nodes' speeds: boundaries start proportional to speed and are then improved one at a time
(coordinate descent over integer positions) to minimise the predicted latency, halo compute included.
Predicted latency (each node has its own link to the source that holds the input; the source scatters all
tiles at once and gathers the results): ``max_k (2 latency_s_k + 8 in_bytes_k / bw_k + flops_k / speed_k
+ 8 out_bytes_k / bw_k)``. A node with no link is the source itself (free transfers).

This module is pure Python on the prefix's geometry (:class:`SpatialOp`); reading the geometry from a traced
model and running the tiles on it live in :mod:`mcfn.partition.vertical_torch`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import permutations
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mcfn.validation import StrictModel, read_json, validation_message

Interval = tuple[int, int]  # [start, stop) along one axis
Region = tuple[Interval, Interval]  # rows, columns


@dataclass(frozen=True)
class SpatialOp:
    """One layer of the prefix: ``window`` (convolution, pooling), ``pointwise`` (activation, norm, add) or
    ``input``; its inputs by id, its window geometry (height, width), output size and cost."""

    id: str
    kind: Literal["input", "window", "pointwise"]
    inputs: tuple[str, ...]
    out_hw: tuple[int, int]
    flops: float
    output_bytes: int
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)


@dataclass(frozen=True)
class ComputeNode:
    name: str
    flops_per_s: float
    bandwidth_bps: float | None = None  # None: the node holds the input (no transfer)
    latency_s: float = 0.0


@dataclass(frozen=True)
class Tile:
    node: str
    region: Region
    input_region: Region
    flops: float
    input_bytes: int
    output_bytes: int
    latency_s: float


@dataclass(frozen=True)
class VerticalPlan:
    model: str
    until: str
    grid: tuple[int, int]
    tiles: tuple[Tile, ...]
    unsplit_flops: float
    #: Each node computing the whole prefix alone (one tile of the whole output), the baselines of the split.
    alone_s: dict[str, float] = field(default_factory=dict)

    @property
    def latency_s(self) -> float:
        return max(t.latency_s for t in self.tiles)

    @property
    def halo_overhead(self) -> float:
        """Extra compute of the overlapping tiles, as a fraction of the unsplit prefix's flops."""
        return sum(t.flops for t in self.tiles) / self.unsplit_flops - 1.0 if self.unsplit_flops else 0.0

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "until": self.until,
            "grid": list(self.grid),
            "latency_s": self.latency_s,
            "unsplit_flops": self.unsplit_flops,
            "halo_overhead": self.halo_overhead,
            "alone_s": dict(self.alone_s),
            "tiles": [
                {
                    "node": t.node,
                    "rows": list(t.region[0]),
                    "cols": list(t.region[1]),
                    "input_rows": list(t.input_region[0]),
                    "input_cols": list(t.input_region[1]),
                    "flops": t.flops,
                    "input_bytes": t.input_bytes,
                    "output_bytes": t.output_bytes,
                    "latency_s": t.latency_s,
                }
                for t in self.tiles
            ],
        }


def window_input(op: SpatialOp, region: Region) -> Region:
    """The unclipped input region a layer reads to produce ``region`` (may extend into the padding)."""
    if op.kind != "window":
        return region
    out = []
    for axis, (start, stop) in enumerate(region):
        k, s, p, d = op.kernel[axis], op.stride[axis], op.padding[axis], op.dilation[axis]
        out.append((start * s - p, (stop - 1) * s - p + d * (k - 1) + 1))
    return out[0], out[1]


def needed_regions(prefix: tuple[SpatialOp, ...], region: Region) -> dict[str, Region]:
    """Region of every layer's output that a tile of the last layer's output ``region`` needs (receptive field,
    clipped to each feature map; a layer read by several others covers the union)."""
    by_id = {op.id: op for op in prefix}
    need: dict[str, Region] = {prefix[-1].id: region}
    for op in reversed(prefix):
        if op.id not in need:
            continue
        wanted = window_input(op, need[op.id])
        for name in op.inputs:
            h, w = by_id[name].out_hw
            clipped = (_clip(wanted[0], h), _clip(wanted[1], w))
            need[name] = clipped if name not in need else _union(need[name], clipped)
    return need


def _clip(interval: Interval, size: int) -> Interval:
    return max(interval[0], 0), min(interval[1], size)


def _union(a: Region, b: Region) -> Region:
    return (min(a[0][0], b[0][0]), max(a[0][1], b[0][1])), (min(a[1][0], b[1][0]), max(a[1][1], b[1][1]))


def _area(region: Region) -> int:
    return max(region[0][1] - region[0][0], 0) * max(region[1][1] - region[1][0], 0)


def tile_cost(prefix: tuple[SpatialOp, ...], region: Region) -> tuple[float, int, int, Region]:
    """Flops (halo included), input bytes and output bytes of one tile, and its input region."""
    need = needed_regions(prefix, region)
    flops = sum(op.flops * _area(need[op.id]) / math.prod(op.out_hw) for op in prefix if op.id in need)
    source = prefix[0]
    input_bytes = source.output_bytes * _area(need[source.id]) // math.prod(source.out_hw)
    output_bytes = prefix[-1].output_bytes * _area(region) // math.prod(prefix[-1].out_hw)
    return flops, input_bytes, output_bytes, need[source.id]


def _tile(prefix: tuple[SpatialOp, ...], node: ComputeNode, region: Region) -> Tile:
    flops, in_bytes, out_bytes, in_region = tile_cost(prefix, region)
    seconds = flops / node.flops_per_s
    if node.bandwidth_bps is not None:
        seconds += 2 * node.latency_s + 8.0 * (in_bytes + out_bytes) / node.bandwidth_bps
    return Tile(node.name, region, in_region, flops, in_bytes, out_bytes, seconds)


#: Up to this many nodes, every arrangement of the nodes on the grid is tried (4! = 24 descents).
ARRANGE_ALL_UP_TO = 4


def plan_vertical(
    prefix: tuple[SpatialOp, ...], nodes: list[ComputeNode], grid: tuple[int, int], *, model: str = ""
) -> VerticalPlan:
    """Tile the prefix's last output on a ``grid`` (rows, columns), one tile per node.

    Heuristic (the tiling problem is combinatorial): for each arrangement of the nodes on the grid (all of them
    up to :data:`ARRANGE_ALL_UP_TO` nodes, else the given row-major order), start from speed-proportional
    boundaries and improve one boundary at a time over every integer position; keep the best. The plan's
    latency is exact for the tiles it returns.
    """
    rows, cols = grid
    if rows < 1 or cols < 1 or rows * cols != len(nodes):
        raise ValueError(f"grid: {rows}x{cols} tiles for {len(nodes)} nodes; the grid needs one tile per node")
    if prefix[0].kind != "input" or prefix[-1].kind == "input":
        raise ValueError("prefix: must start at the model input and contain at least one layer")
    height, width = prefix[-1].out_hw
    if rows > height or cols > width:
        raise ValueError(f"grid: {rows}x{cols} tiles do not fit the {height}x{width} output of {prefix[-1].id!r}")
    if len(nodes) <= ARRANGE_ALL_UP_TO:
        distinct = {tuple(_signature(n) for n in order): list(order) for order in permutations(nodes)}
        arrangements = list(distinct.values())
    else:
        arrangements = [nodes]
    tiles = min((_balance(prefix, order, grid) for order in arrangements), key=lambda ts: max(t.latency_s for t in ts))
    whole = ((0, height), (0, width))
    alone = {node.name: _tile(prefix, node, whole).latency_s for node in nodes}
    return VerticalPlan(model, prefix[-1].id, grid, tuple(tiles), sum(op.flops for op in prefix), alone)


def _signature(node: ComputeNode) -> tuple[float, float | None, float]:
    return node.flops_per_s, node.bandwidth_bps, node.latency_s


def _balance(prefix: tuple[SpatialOp, ...], nodes: list[ComputeNode], grid: tuple[int, int]) -> list[Tile]:
    """Coordinate descent on the tile boundaries for nodes placed on the grid in row-major order."""
    rows, cols = grid
    height, width = prefix[-1].out_hw
    speed = [[nodes[r * cols + c].flops_per_s for c in range(cols)] for r in range(rows)]
    row_cuts = _proportional([sum(row) for row in speed], height)
    col_cuts = _proportional([sum(speed[r][c] for r in range(rows)) for c in range(cols)], width)

    def tiles(rc: list[int], cc: list[int]) -> list[Tile]:
        return [
            _tile(prefix, nodes[r * cols + c], ((rc[r], rc[r + 1]), (cc[c], cc[c + 1])))
            for r in range(rows)
            for c in range(cols)
        ]

    best = max(t.latency_s for t in tiles(row_cuts, col_cuts))
    improved = True
    while improved:
        improved = False
        for cuts in (row_cuts, col_cuts):
            for i in range(1, len(cuts) - 1):
                for position in range(cuts[i - 1] + 1, cuts[i + 1]):
                    trial = cuts.copy()
                    trial[i] = position
                    rc, cc = (trial, col_cuts) if cuts is row_cuts else (row_cuts, trial)
                    latency = max(t.latency_s for t in tiles(rc, cc))
                    if latency < best - 1e-15:
                        best, cuts[i], improved = latency, position, True
    return tiles(row_cuts, col_cuts)


def _proportional(weights: list[float], size: int) -> list[int]:
    """Integer cut positions 0 = c_0 < c_1 < ... < c_n = size with segment lengths near ``weights``' shares."""
    total = sum(weights)
    cuts = [0]
    acc = 0.0
    for i, weight in enumerate(weights[:-1]):
        acc += weight
        lowest, highest = cuts[-1] + 1, size - (len(weights) - 1 - i)
        cuts.append(min(max(round(size * acc / total), lowest), highest))
    cuts.append(size)
    return cuts


class VerticalError(ValueError):
    """A compute-nodes file that cannot be used; the message is one line naming the problem."""


class _Node(StrictModel):
    name: Annotated[str, Field(min_length=1)]
    flops_per_s: Annotated[float, Field(gt=0)]
    bandwidth_bps: Annotated[float, Field(gt=0)] | None = None
    latency_s: Annotated[float, Field(ge=0)] = 0.0


class _Nodes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    nodes: Annotated[list[_Node], Field(min_length=1)]


def load_compute_nodes(path: str | Path) -> list[ComputeNode]:
    """Read ``{"nodes": [{"name", "flops_per_s", "bandwidth_bps"?, "latency_s"?}, ...]}``."""
    document = read_json(path, VerticalError)
    try:
        model = _Nodes.model_validate(document)
    except ValidationError as exc:
        raise VerticalError(f"{path}: {validation_message(exc)}") from None
    return [ComputeNode(n.name, n.flops_per_s, n.bandwidth_bps, n.latency_s) for n in model.nodes]
