"""Fastest paths from sources: a private Dijkstra over CSR arrays, then per-path delay sums and bottlenecks.

Transfer model: a path of links with propagation delays ``δ_l`` and bandwidths ``b_l`` carries ``S`` bits in
``Σ δ_l + S / min_l b_l`` seconds (a pipelined flow in steady state: the bottleneck link sets the pace, every link
adds its propagation delay). Path choice minimises the additive weight ``Σ (δ_l + S_ref / b_l)`` with one
reference size ``S_ref`` for all requests, so one shortest-path tree per source serves every request (Dijkstra,
``O(E + V log V)``, via ``scipy.sparse.csgraph``; many sources in one call, their sums vectorised over all of them
together). This is a heuristic: for sizes far from ``S_ref`` another path
may carry ``S`` slightly faster; the reported latency is always the exact latency of the path chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from mcfn.network.radio import FloatArray


@dataclass(frozen=True, eq=False)
class FastestPaths:
    """Shortest-path tree from ``source`` (an index): per target, delay sum, bottleneck and predecessor.

    Unreachable targets have ``delay_s = inf`` and ``bottleneck_bps = 0``; ``predecessor`` is -9999 at the
    source and at unreachable targets (scipy's convention). ``seconds_per_bit`` is ``1 / bottleneck`` (0 at the
    source and where unreachable, whose ``inf`` delay already says so), so a transfer is one multiply-add.
    """

    source: int
    delay_s: FloatArray
    bottleneck_bps: FloatArray
    seconds_per_bit: FloatArray
    predecessor: np.ndarray

    def transfer_s(self, bits: float) -> FloatArray:
        """Seconds to carry ``bits`` from the source to every node (``inf`` where unreachable)."""
        return self.delay_s + bits * self.seconds_per_bit

    def path(self, target: int) -> list[int]:
        """Node indices from the source to ``target`` inclusive; empty if ``target`` is unreachable."""
        predecessor = self.predecessor
        if target != self.source and predecessor.item(target) < 0:
            return []
        hops = [target]
        while hops[-1] != self.source:
            hops.append(predecessor.item(hops[-1]))
        return hops[::-1]


def fastest_paths(weight: csr_matrix, delay_s: csr_matrix, bandwidth_bps: csr_matrix, source: int) -> FastestPaths:
    """The tree of least ``weight`` from ``source``, with each path's delay sum and bottleneck bandwidth."""
    return fastest_paths_from(weight, delay_s, bandwidth_bps, [source])[0]


def fastest_paths_from(
    weight: csr_matrix, delay_s: csr_matrix, bandwidth_bps: csr_matrix, sources: Sequence[int]
) -> list[FastestPaths]:
    """The trees of least ``weight`` from each of ``sources``, with each path's delay sum and bottleneck bandwidth.

    The three matrices share one sparsity pattern (symmetric for undirected links). One Dijkstra call covers every
    source; sums and minima are then propagated down the trees one depth level at a time, vectorised over the
    nodes of a level in every tree at once (each path's sum is added up from its source outwards, as for one tree).
    Sources are taken in blocks of about :data:`BLOCK_CELLS` (source, node) pairs, which bounds the working memory.
    """
    n = weight.shape[0]
    edge_keys, edge_delay, edge_bandwidth = _edges(delay_s, bandwidth_bps)
    block = max(1, BLOCK_CELLS // max(n, 1))
    trees: list[FastestPaths] = []
    for start in range(0, len(sources), block):
        chunk = np.asarray(sources[start : start + block], dtype=np.int64)
        _, pred = dijkstra(weight, directed=True, indices=chunk, return_predecessors=True)
        pred = np.asarray(pred, dtype=np.int64).reshape(chunk.size, n)
        delay, bottleneck = _sums(pred, chunk, n, edge_keys, edge_delay, edge_bandwidth)
        seconds_per_bit = np.zeros_like(bottleneck)
        finite = np.isfinite(bottleneck) & (bottleneck > 0)
        seconds_per_bit[finite] = 1.0 / bottleneck[finite]
        for values in (delay, bottleneck, seconds_per_bit, pred):
            values.flags.writeable = False  # the trees are cached and shared until a link changes
        trees.extend(
            FastestPaths(
                source=int(source),
                delay_s=delay[i],
                bottleneck_bps=bottleneck[i],
                seconds_per_bit=seconds_per_bit[i],
                predecessor=pred[i],
            )
            for i, source in enumerate(chunk)
        )
    return trees


#: (source, node) pairs per block of :func:`fastest_paths_from` (a few tens of MB of working arrays).
BLOCK_CELLS = 1 << 21


def _edges(delay_s: csr_matrix, bandwidth_bps: csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every stored entry ``(u, v)`` as the sorted key ``u * n + v``, with its delay and bandwidth."""
    n = delay_s.shape[0]
    delay, bandwidth = delay_s.tocoo(), bandwidth_bps.tocoo()
    keys = delay.row.astype(np.int64) * n + delay.col
    order = np.argsort(keys, kind="stable")
    bw_keys = bandwidth.row.astype(np.int64) * n + bandwidth.col
    bw_order = np.argsort(bw_keys, kind="stable")
    if not np.array_equal(keys[order], bw_keys[bw_order]):
        raise ValueError("the delay and bandwidth matrices must share one sparsity pattern")
    return keys[order], delay.data[order], bandwidth.data[bw_order]


def _sums(
    pred: np.ndarray, sources: np.ndarray, n: int, keys: np.ndarray, edge_delay: np.ndarray, edge_bw: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Delay sums and bottlenecks of the trees ``pred`` (one row per source), level by level from the sources."""
    m = sources.size
    rows = np.arange(m)
    delay = np.full((m, n), np.inf)
    bottleneck = np.zeros((m, n))
    delay[rows, sources], bottleneck[rows, sources] = 0.0, np.inf
    done = np.zeros((m, n), dtype=bool)
    done[rows, sources] = True
    reachable = pred >= 0
    parent = np.where(reachable, pred, sources[:, None])
    while True:
        r, c = np.nonzero(reachable & ~done & np.take_along_axis(done, parent, axis=1))
        if r.size == 0:
            break
        up = parent[r, c]
        edge = np.searchsorted(keys, up * n + c)
        delay[r, c] = delay[r, up] + edge_delay[edge]
        bottleneck[r, c] = np.minimum(bottleneck[r, up], edge_bw[edge])
        done[r, c] = True
    return delay, bottleneck
