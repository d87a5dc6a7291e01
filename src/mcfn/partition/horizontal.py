"""Horizontal split: the exact optimum of the spec's simple latency model over ordered tiers, on any DAG.

Two tiers is DADS (Hu et al., "Dynamic Adaptive DNN Surgery for Inference Acceleration on the Edge",
INFOCOM 2019): a minimum s-t cut where a tensor read by several consumers crosses the link once. Several ordered
tiers use the layered construction of Ishikawa ("Exact optimization for Markov random fields with convex
priors", IEEE TPAMI 2003): node ``v`` gets one binary variable per link, ``x[v, l] = [tier(v) > l]``, chained so
that exactly one of its per-tier costs is cut. Infinite edges forbid backward transfers (``x[u, l] <= x[v, l]``
for an edge ``u -> v``) and pin the input to the first tier. Per link ``l``, an auxiliary node per tensor
charges ``bits / bandwidth`` once when the producer is on this side and any reader beyond. A link's
``latency_s`` is paid (forward and back) exactly when some node sits beyond it, i.e. when the largest tier used
exceeds ``l``; that largest tier is always an output's, so a virtual sink read by every output carries those
costs in its own per-tier cost. Every term is then a cut edge, and the minimum cut is the optimum.

Chains take a fast path, Neurosurgeon's per-layer split search (Kang et al., ASPLOS 2017) generalised to any
number of tiers: a vectorised dynamic programme over the positions where the chain crosses each link.

Both paths are exact for the simple model, with one caveat for the cut: scipy's max-flow is integral, so
capacities are rounded to integers at a resolution of 2**-29 of their sum; on graphs where two plans differ by
less than that the one returned may be the other. The latency reported is always recomputed
from the assignment by :func:`mcfn.partition.cost.evaluate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from mcfn.models.graph import LayerGraph
from mcfn.partition.cost import evaluate, simple_compute_s
from mcfn.partition.plan import HorizontalPlan
from mcfn.partition.tiers import Tiers

Method = Literal["auto", "cut", "chain"]
_INF = 2**30
_RESOLUTION = 2**29


def plan_horizontal(
    graph: LayerGraph, tiers: Tiers, *, compute_s: np.ndarray | None = None, method: Method = "auto"
) -> HorizontalPlan:
    """The latency-optimal tier for every node of ``graph`` (exact; see the module docstring).

    ``compute_s`` (nodes × tiers seconds) replaces the simple model's ``flops / flops_per_s``, e.g. with
    measured times. ``method``: ``"cut"`` (any DAG, O(max-flow) on ~nodes × links vertices), ``"chain"``
    (chains only, O(nodes × tiers)), or ``"auto"`` (chain when the graph is one). Returns a
    :class:`HorizontalPlan` with the device-only / edge-only / ... baselines.
    """
    table = simple_compute_s(graph, tiers) if compute_s is None else np.asarray(compute_s, dtype=float)
    if table.shape != (len(graph.nodes), len(tiers)):
        raise ValueError(f"compute_s: expected shape {(len(graph.nodes), len(tiers))}, got {table.shape}")
    if method == "chain" and not graph.is_chain():
        raise ValueError(f"method 'chain': graph {graph.name!r} is not a chain; use 'cut' or 'auto'")
    solver: Callable[[LayerGraph, Tiers, np.ndarray], np.ndarray]
    solver = _solve_chain if method == "chain" or (method == "auto" and graph.is_chain()) else _solve_cut
    start = time.perf_counter()
    assignment = tuple(int(t) for t in solver(graph, tiers, table))
    solve_time_s = time.perf_counter() - start
    return HorizontalPlan(
        model=graph.name,
        tier_names=tiers.names,
        node_ids=tuple(n.id for n in graph.nodes),
        assignment=assignment,
        breakdown=evaluate(graph, tiers, assignment, table),
        baselines=baselines(graph, tiers, table),
        solve_time_s=solve_time_s,
        method=solver.__name__.removeprefix("_solve_"),
    )


def baselines(graph: LayerGraph, tiers: Tiers, compute_s: np.ndarray) -> dict[str, float]:
    """Latency of running everything but the input on one tier, for each tier: ``{"device-only": ...}``."""
    out = {}
    for k, name in enumerate(tiers.names):
        assignment = [k] * len(graph.nodes)
        assignment[graph.input_index] = 0
        out[f"{name}-only"] = evaluate(graph, tiers, assignment, compute_s).latency_s
    return out


def _unary(graph: LayerGraph, tiers: Tiers, compute_s: np.ndarray) -> np.ndarray:
    """Per-tier cost of each node: compute, plus an output's return trip; the input can only be on tier 0."""
    cost = compute_s.copy()
    seconds_per_bit = np.array([1.0 / link.bandwidth_bps for link in tiers.links])
    back = np.concatenate([[0.0], np.cumsum(seconds_per_bit)])
    for out in graph.outputs:
        cost[out] += 8.0 * graph.nodes[out].output_bytes * back
    cost[graph.input_index, 1:] = np.inf
    return cost


def _fixed_latency(tiers: Tiers) -> np.ndarray:
    """Link latencies paid when the farthest tier used is ``t``: each link below ``t``, forward and back."""
    return np.concatenate([[0.0], np.cumsum([2.0 * link.latency_s for link in tiers.links])])


def _solve_chain(graph: LayerGraph, tiers: Tiers, compute_s: np.ndarray) -> np.ndarray:
    """O(nodes × tiers), vectorised: a chain's plan is where it crosses each link, ``p_1 <= ... <= p_{K-1}``.

    With ``p_l`` the position of the first node beyond link ``l``, the cost separates into one term per link:
    the change in compute of every node from ``p_l`` on moving one tier up, plus the tensor of node ``p_l - 1``
    crossing link ``l``. Minimising over ordered positions is then a running minimum per link.
    """
    n, k = len(graph.nodes), len(tiers)
    order = np.array(graph.topological_order)
    unary = _unary(graph, tiers, compute_s)[order]
    unary[-1] += _fixed_latency(tiers)  # in a chain the last node is on the farthest tier used
    if k == 1 or n == 1:
        return np.zeros(n, dtype=int)
    bits = np.array([8.0 * graph.nodes[v].output_bytes for v in order])
    positions = np.arange(n)  # index j stands for p = j + 1
    best = np.zeros(n)
    came_from = np.zeros((k - 1, n), dtype=int)
    for link in range(k - 1):
        step = unary[1:, link + 1] - unary[1:, link]
        moved = np.concatenate([np.cumsum(step[::-1])[::-1], [0.0]])  # nodes p..n-1 move up one tier
        crossing = bits * (1.0 / tiers.links[link].bandwidth_bps)
        crossing[-1] = 0.0  # p = n: nothing crosses this link
        if link:
            running = np.minimum.accumulate(best)
            came_from[link] = np.maximum.accumulate(np.where(best == running, positions, 0))
            best = running
        best = best + moved + crossing
    cuts = [int(np.argmin(best))]
    for link in range(k - 2, 0, -1):
        cuts.append(int(came_from[link, cuts[-1]]))
    first_beyond = np.array(cuts[::-1]) + 1  # p_1 <= ... <= p_{K-1}
    assignment = np.zeros(n, dtype=int)
    assignment[order] = (np.arange(n)[:, None] >= first_beyond[None, :]).sum(axis=1)
    return assignment


def _solve_cut(graph: LayerGraph, tiers: Tiers, compute_s: np.ndarray) -> np.ndarray:
    n, k = len(graph.nodes), len(tiers)
    if k == 1:
        return np.zeros(n, dtype=int)
    layers = k - 1
    sink_node = n  # virtual node read by every output: carries the link latencies
    total = n + 1
    unary = np.vstack([_unary(graph, tiers, compute_s), _fixed_latency(tiers)])
    finite = np.where(np.isfinite(unary), unary, np.nan)
    unary = unary - np.nanmin(finite, axis=1, keepdims=True)

    def var(v: np.ndarray | int, layer: np.ndarray | int) -> np.ndarray:
        return 2 + np.asarray(layer) * total + np.asarray(v)

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    caps: list[np.ndarray] = []

    def add(u: np.ndarray, v: np.ndarray, c: np.ndarray | float) -> None:
        u, v = np.broadcast_arrays(np.asarray(u), np.asarray(v))
        rows.append(u.ravel())
        cols.append(v.ravel())
        caps.append(np.broadcast_to(np.asarray(c, dtype=float), u.shape).ravel())

    nodes = np.arange(total)
    # Ishikawa chain per node: cutting the edge above layer t-1 and below layer t puts the node on tier t.
    add(var(nodes, 0), 1, unary[:, 0])
    for t in range(1, layers):
        add(var(nodes, t), var(nodes, t - 1), unary[:, t])
        add(var(nodes, t - 1), var(nodes, t), np.inf)
    add(0, var(nodes, layers - 1), unary[:, layers])
    # Data only moves forward: x[u, l] <= x[v, l] for every edge u -> v, and outputs -> virtual sink.
    pairs = [(u, v) for u, readers in enumerate(graph.successors) for v in readers]
    pairs += [(out, sink_node) for out in graph.outputs]
    producers, readers_of = np.array(pairs, dtype=int).T if pairs else (np.zeros(0, int), np.zeros(0, int))
    layer_ids = np.arange(layers)[:, None]
    add(var(readers_of[None, :], layer_ids), var(producers[None, :], layer_ids), np.inf)
    # Transfers: a tensor crosses link l once when its producer is at or before l and any reader beyond.
    per_bit = np.array([1.0 / link.bandwidth_bps for link in tiers.links])
    bits = np.array([8.0 * node.output_bytes for node in graph.nodes])
    fan_out = np.array([len(readers) for readers in graph.successors])
    crossing = bits[None, :] * per_bit[:, None]  # (layers, nodes)
    single = np.flatnonzero((fan_out == 1) & (bits > 0))
    first_reader = np.array([readers[0] if readers else -1 for readers in graph.successors], dtype=int)
    add(var(single[None, :], layer_ids), var(first_reader[single][None, :], layer_ids), crossing[:, single])
    # A tensor with several readers goes through one auxiliary vertex per link, so it is charged once.
    shared = np.flatnonzero((fan_out > 1) & (bits > 0))
    aux = 2 + layers * total + layer_ids * len(shared) + np.arange(len(shared))[None, :]  # (layers, shared)
    add(var(shared[None, :], layer_ids), aux, crossing[:, shared])
    slot = np.repeat(np.arange(len(shared)), fan_out[shared])
    readers = np.array([v for u in shared for v in graph.successors[u]], dtype=int)
    add(aux[:, slot], var(readers[None, :], layer_ids), np.inf)
    next_free = 2 + layers * total + layers * len(shared)

    row, col, cap = np.concatenate(rows), np.concatenate(cols), np.concatenate(caps)
    keep = cap > 0
    row, col, cap = row[keep], col[keep], cap[keep]
    finite_cap = np.isfinite(cap)
    scale = _RESOLUTION / max(float(cap[finite_cap].sum()), 1e-300)
    quantised = np.where(finite_cap, np.rint(np.where(finite_cap, cap, 0.0) * scale), _INF).astype(np.int32)
    capacity = sp.csr_matrix((quantised, (row, col)), shape=(next_free, next_free), dtype=np.int32)
    flow = maximum_flow(capacity, 0, 1, method="dinic").flow
    residual = (capacity - flow).tocsr()
    residual.data[residual.data < 0] = 0
    residual.eliminate_zeros()
    source_side = np.zeros(next_free, dtype=bool)
    source_side[breadth_first_order(residual, 0, directed=True, return_predecessors=False)] = True
    beyond = ~source_side[var(nodes[:n, None], np.arange(layers)[None, :])]  # x[v, l] = tier(v) > l
    return beyond.sum(axis=1)
