"""Horizontal planning benchmark: solver time against graph size, and a Neurosurgeon-style zoo table.

Run: ``.venv/bin/python benchmarks/partition.py``. Part 1 times the exact planner (min-cut) on random DNN-like
DAGs of 10^2..10^4 nodes with three tiers, and the chain fast path on chains of the same sizes; the ratio column
is time per node against the smallest graph, measured in the same run. Part 2 follows the evaluation of
Neurosurgeon (Kang et al., ASPLOS 2017, Fig. 12): best split vs device-only and edge-only (and cloud-only) at
1, 6, 20 and 100 Mbps uplink, on the spec's example tier speeds.
"""

from __future__ import annotations

import time

import numpy as np

from mcfn.models.graph import LayerGraph
from mcfn.models.synthetic import random_layer_graph
from mcfn.models.zoo import load_zoo_graph, zoo_names
from mcfn.partition.horizontal import plan_horizontal
from mcfn.partition.tiers import Link, Tier, Tiers

SIZES = (100, 300, 1_000, 3_000, 10_000)
UPLINKS_MBPS = (1, 6, 20, 100)
REPEATS = 3


def tiers(uplink_bps: float = 2.0e7) -> Tiers:
    """The spec's example tiers, with the device->edge bandwidth as a parameter."""
    return Tiers(
        tiers=(Tier("device", 2.0e10), Tier("edge", 5.0e11), Tier("cloud", 1.0e13)),
        links=(Link("device", "edge", uplink_bps, 0.005), Link("edge", "cloud", 1.0e9, 0.020)),
    )


def _best_time(graph: LayerGraph, method: str) -> float:
    return min(plan_horizontal(graph, tiers(), method=method).solve_time_s for _ in range(REPEATS))


def solver_scaling() -> None:
    print("Solver time, 3 tiers (best of 3); ratio: time per node against the 100-node DAG")
    print("chain: the same nodes as a chain, by the chain fast path and by the general cut")
    print(
        f"{'nodes':>7} {'edges':>7} {'DAG cut (s)':>11} {'us/node':>8} {'ratio':>6} "
        f"{'chain DP (s)':>12} {'chain cut (s)':>13} {'DP gain':>8}"
    )
    reference = None
    for n in SIZES:
        dag = random_layer_graph(np.random.default_rng(n), n)
        chain = LayerGraph(f"chain-{n}", dag.nodes, tuple((f"n{v - 1}", f"n{v}") for v in range(1, n)))
        cut = _best_time(dag, "cut")
        per_node = cut / n
        reference = reference or per_node
        chain_dp, chain_cut = _best_time(chain, "chain"), _best_time(chain, "cut")
        print(
            f"{n:>7} {len(dag.edges):>7} {cut:>11.4f} {per_node * 1e6:>8.1f} {per_node / reference:>6.2f} "
            f"{chain_dp:>12.4f} {chain_cut:>13.4f} {chain_cut / chain_dp:>7.1f}x"
        )


def zoo_table() -> None:
    print("\nZoo, 3 tiers (device 20 GFLOP/s, edge 500 GFLOP/s, cloud 10 TFLOP/s; edge-cloud 1 Gbps)")
    print("latency in ms; speed-up = best single-tier baseline / best split; split = nodes on device/edge/cloud")
    header = f"{'model':<19} {'Mbps':>4} {'best':>8} {'device':>8} {'edge':>8} {'cloud':>8} {'speed-up':>8}  split"
    print(header)
    for name in zoo_names():
        graph = load_zoo_graph(name)
        for mbps in UPLINKS_MBPS:
            plan = plan_horizontal(graph, tiers(mbps * 1e6))
            base = plan.baselines
            counts = "/".join(str(plan.assignment.count(k)) for k in range(3))
            print(
                f"{name:<19} {mbps:>4} {plan.latency_s * 1e3:>8.1f} {base['device-only'] * 1e3:>8.1f} "
                f"{base['edge-only'] * 1e3:>8.1f} {base['cloud-only'] * 1e3:>8.1f} "
                f"{min(base.values()) / plan.latency_s:>7.2f}x  {counts}"
            )


if __name__ == "__main__":
    start = time.perf_counter()
    solver_scaling()
    zoo_table()
    print(f"\n(total {time.perf_counter() - start:.1f} s)")
