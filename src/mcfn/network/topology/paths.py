"""Fastest paths from one source: a private Dijkstra over CSR arrays, then per-path delay sums and bottlenecks.

Transfer model: a path of links with propagation delays ``δ_l`` and bandwidths ``b_l`` carries ``S`` bits in
``Σ δ_l + S / min_l b_l`` seconds (a pipelined flow in steady state: the bottleneck link sets the pace, every link
adds its propagation delay). Path choice minimises the additive weight ``Σ (δ_l + S_ref / b_l)`` with one
reference size ``S_ref`` for all requests, so one shortest-path tree per source serves every request (Dijkstra,
``O(E + V log V)``, via ``scipy.sparse.csgraph``). This is a heuristic: for sizes far from ``S_ref`` another path
may carry ``S`` slightly faster; the reported latency is always the exact latency of the path chosen.
"""

from __future__ import annotations

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
        if target != self.source and self.predecessor[target] < 0:
            return []
        hops = [target]
        while hops[-1] != self.source:
            hops.append(int(self.predecessor[hops[-1]]))
        return hops[::-1]


def fastest_paths(weight: csr_matrix, delay_s: csr_matrix, bandwidth_bps: csr_matrix, source: int) -> FastestPaths:
    """The tree of least ``weight`` from ``source``, with each path's delay sum and bottleneck bandwidth.

    The three matrices share one sparsity pattern (symmetric for undirected links). Sums and minima are propagated
    down the tree one depth level at a time, vectorised over the nodes of a level.
    """
    n = weight.shape[0]
    _, pred = dijkstra(weight, directed=True, indices=source, return_predecessors=True)
    pred = np.asarray(pred, dtype=np.int64)
    delay = np.full(n, np.inf)
    bottleneck = np.zeros(n)
    delay[source], bottleneck[source] = 0.0, np.inf
    done = np.zeros(n, dtype=bool)
    done[source] = True
    reachable = pred >= 0
    parent = np.where(reachable, pred, source)
    while True:
        level = np.flatnonzero(reachable & ~done & done[parent])
        if level.size == 0:
            break
        up = parent[level]
        delay[level] = delay[up] + np.asarray(delay_s[up, level]).ravel()
        bottleneck[level] = np.minimum(bottleneck[up], np.asarray(bandwidth_bps[up, level]).ravel())
        done[level] = True
    seconds_per_bit = np.zeros(n)
    finite = np.isfinite(bottleneck) & (bottleneck > 0)
    seconds_per_bit[finite] = 1.0 / bottleneck[finite]
    for values in (delay, bottleneck, seconds_per_bit, pred):
        values.flags.writeable = False  # the tree is cached and shared until a link changes
    return FastestPaths(
        source=source, delay_s=delay, bottleneck_bps=bottleneck, seconds_per_bit=seconds_per_bit, predecessor=pred
    )
