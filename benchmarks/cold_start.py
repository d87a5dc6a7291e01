"""Cold vs warm requests in the runtime: ``python benchmarks/cold_start.py [--models M ...] [--requests N]``.

A local cluster (one edge agent in its own process, deployment policy ``lru``, the node's memory large enough for
every model) serves each model in turn: the first request finds the stage not loaded, so the controller commands
the load and the request waits for it (:mod:`mcfn.runtime.deployment`); the next ``--requests`` find it warm. Per
model: the load time the agent measured (building the stage's module from its plan and one warm-up pass), the
bytes of its tensors measured there (what the agent's memory grew by) beside the layer graph's count, the cold
request's latency and the warm ones' median, and the ratio (cold - warm median) / load: about 1 when the cold
start costs exactly the load (above 1 by the load command's round trip).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

import numpy as np

from mcfn.runtime import loop as event_loop
from mcfn.runtime.client import Client
from mcfn.runtime.cluster import LocalCluster, parse_runtime_scenario
from mcfn.runtime.models import input_shape


def scenario(models: list[str]) -> dict:
    """bs0 - edge0, an edge agent hosting every model in one stage, under LRU with 8 GB of memory."""
    return {
        "topology": {
            "nodes": [{"id": "bs0", "role": "base_station"}, {"id": "edge0", "role": "edge_server"}],
            "links": [{"a": "bs0", "b": "edge0", "bandwidth_bps": 1e9, "delay_s": 1e-4}],
        },
        "compute": [
            {"id": "edge0", "tier": "edge", "kind": "cpu", "peak_flops_per_s": 2e10, "memory_bytes": 8e9, "vm_slots": 1}
        ],
        "runtime": {
            "ingress": "bs0",
            "measure_stages": False,
            "models": {model: {"stages": 1, "deadline_s": 60.0} for model in models},
            "agents": [{"node": "edge0", "models": models}],
            "deployment": {"policy": "lru"},
        },
    }


async def measure(models: list[str], requests: int) -> list[dict[str, float | str]]:
    runtime = parse_runtime_scenario(scenario(models))
    rows, held = [], 0.0  # bytes the agent held before each model's load
    async with LocalCluster(runtime) as cluster:
        await cluster.wait_ready()
        client = Client(*cluster.address, token=cluster.keys.client_token)
        for model in models:
            x = np.random.default_rng(0).standard_normal(input_shape(model)).astype(np.float32)
            cold = (await client.infer(model, x)).fields
            warm = [(await client.infer(model, x)).fields["latency_s"] for _ in range(requests)]
            await cluster.controller.wait_until(
                lambda c, m=model: f"{m}/0" in c.status()["agents"][0]["loaded"], timeout_s=10
            )
            await asyncio.sleep(0.2)  # an advert after the load: the agent's measured bytes
            agent = (await client.status())["agents"][0]
            load_s = cold["stages"][0]["load_s"]
            warm_s = statistics.median(warm)
            rows.append(
                {
                    "model": model,
                    "load_s": load_s,
                    "measured_bytes": agent["memory_bytes"] - held,
                    "graph_bytes": runtime.plans[model].stages[0].weights_bytes,
                    "cold_s": cold["latency_s"],
                    "warm_s": warm_s,
                    "ratio": (cold["latency_s"] - warm_s) / load_s,
                }
            )
            held = agent["memory_bytes"]
        await client.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["mobilenet_v3_small", "resnet18"])
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    rows = event_loop.run(measure(args.models, args.requests))
    print(f"{'model':<20} {'load s':>8} {'bytes measured':>15} {'bytes (graph)':>14} {'cold s':>8} {'warm s':>8} ratio")
    for row in rows:
        print(
            f"{row['model']:<20} {row['load_s']:8.3f} {row['measured_bytes']:15,.0f} {row['graph_bytes']:14,.0f} "
            f"{row['cold_s']:8.3f} {row['warm_s']:8.4f} {row['ratio']:.2f}"
        )


if __name__ == "__main__":
    main()
