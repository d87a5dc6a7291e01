"""Random layer graphs for tests and benchmarks: DNN-like DAGs with skip connections, of any size."""

from __future__ import annotations

import numpy as np

from mcfn.models.graph import INPUT_OP, LayerGraph, Node


def random_layer_graph(
    rng: np.random.Generator,
    nodes: int,
    *,
    max_inputs: int = 3,
    window: int = 50,
    input_bytes: int = 602_112,
    name: str = "random",
) -> LayerGraph:
    """A DAG of ``nodes`` nodes: node 0 is the input, each later node reads 1..``max_inputs`` of the ``window``
    nodes before it (the first always among them is its immediate predecessor, so the graph is connected).

    Flops are log-uniform in [1e6, 1e9], output sizes log-uniform in [1 kB, 4 MB]: the range of CNN layers.
    """
    if nodes < 1:
        raise ValueError(f"nodes: must be at least 1, got {nodes}")
    flops = np.exp(rng.uniform(np.log(1e6), np.log(1e9), nodes))
    sizes = np.exp(rng.uniform(np.log(1e3), np.log(4e6), nodes)).astype(int)
    graph_nodes = [Node("n0", INPUT_OP, 0.0, input_bytes, 0, ())]
    graph_nodes += [Node(f"n{v}", "op", float(round(flops[v])), int(sizes[v])) for v in range(1, nodes)]
    edges: list[tuple[str, str]] = []
    for v in range(1, nodes):
        extra = rng.integers(max(0, v - window), v, size=int(rng.integers(0, max_inputs)))
        for u in sorted({v - 1, *extra.tolist()}):
            edges.append((f"n{u}", f"n{v}"))
    return LayerGraph(name=name, nodes=tuple(graph_nodes), edges=tuple(edges))
