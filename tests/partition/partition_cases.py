"""Shared builders for partition tests: tiers and random DAGs."""

from __future__ import annotations

import numpy as np

from mcfn.models.graph import LayerGraph, Node
from mcfn.partition.tiers import Link, Tier, Tiers

THREE_TIERS = Tiers(
    tiers=(Tier("device", 2.0e10), Tier("edge", 5.0e11), Tier("cloud", 1.0e13)),
    links=(Link("device", "edge", 2.0e7, 0.005), Link("edge", "cloud", 1.0e9, 0.020)),
)


def tiers_of(count: int, speeds: list[float], bandwidths: list[float], latencies: list[float]) -> Tiers:
    names = ["device", "edge", "cloud", "far"][:count]
    return Tiers(
        tiers=tuple(Tier(n, s) for n, s in zip(names, speeds, strict=False)),
        links=tuple(
            Link(a, b, bw, lat) for a, b, bw, lat in zip(names, names[1:], bandwidths, latencies, strict=False)
        ),
    )


def random_dag(rng: np.random.Generator, nodes: int, *, edge_p: float = 0.3, name: str = "random") -> LayerGraph:
    """A random DAG whose node 0 is the input and every other node has a predecessor among earlier ones."""
    graph_nodes = [Node("n0", "input", 0.0, int(rng.integers(1, 10**6)))]
    edges = []
    for v in range(1, nodes):
        preds = {int(rng.integers(0, v))} | {u for u in range(v) if rng.random() < edge_p}
        edges += [(f"n{u}", f"n{v}") for u in sorted(preds)]
        flops = float(rng.choice([0.0, rng.uniform(1e6, 1e10)], p=[0.1, 0.9]))
        graph_nodes.append(Node(f"n{v}", "op", flops, int(rng.integers(0, 10**6))))
    return LayerGraph(name=name, nodes=tuple(graph_nodes), edges=tuple(edges))
