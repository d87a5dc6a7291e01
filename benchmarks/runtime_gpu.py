"""GPU check of the real runtime: ``python benchmarks/runtime_gpu.py [--device cuda] [--models a,b,c] [--requests N]
[--out DIR]`` (``benchmarks/runtime_gpu.sh`` installs what is missing and runs it).

1. Each model's per-layer latency table is measured on ``--device`` here, at start
   (:func:`mcfn.runtime.timing.measure_table`, one torch thread as an agent has) and written to ``OUT/tables``,
   with the cost of running a stage there beyond its layers (per call, per byte in and out;
   :mod:`mcfn.runtime.overhead`), which each stage's prediction includes.
2. One local cluster: three agents in their own processes — a terminal ``ue0``, an edge server ``edge0`` and the
   ``cloud`` — all computing on ``--device``; every model is split in three stages, one per tier, of about equal
   FLOPs (``split: balanced``), whose layers are timed by those tables.
3. Per model: ``--requests`` requests in a row; the split output against local full-model inference on the CPU,
   and the median predicted and actual end-to-end latency with the actual/predicted ratio of the compute and
   network parts. Outputs are compared relative to their scale (max absolute difference over max absolute
   output): with weights drawn from a seed, mobilenet_v2's outputs are about 1e-9 and efficientnet_b0's 1e-14,
   so an absolute tolerance would pass anything. At most 1e-5 on cpu and 1e-4 on cuda, where cuDNN picks other
   algorithms than the CPU (TF32 off, :mod:`mcfn.runtime.device`).

Output: a table on stdout, ``OUT/runtime_gpu.txt`` and ``OUT/runtime_gpu.json`` (``OUT``: ``--out``, else
``$OUT``, else ``results/runtime_gpu``). Exit status 1 when an output differs beyond the tolerance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from mcfn.models.measure import LatencyTable
from mcfn.runtime.client import Client, Reply
from mcfn.runtime.cluster import LocalCluster, RuntimeScenario, parse_runtime_scenario

SECRET = "gpu-check-token-0123456789abcdef"
MODELS = ("resnet18", "mobilenet_v2", "efficientnet_b0")
TIERS = ("terminal", "edge", "cloud")
TOLERANCE = {"cpu": 1e-5, "cuda": 1e-4}


def measure_tables(models: list[str], device: str, folder: Path) -> dict[str, LatencyTable]:
    """Each model's per-layer table on ``device``, written to ``folder`` as ``NAME.DEVICE.latency.json``."""
    import torch

    from mcfn.runtime.timing import measure_table

    torch.set_num_threads(1)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {name: measure_table(name, device=device) for name in models}
    for name, table in tables.items():
        table_path(folder, name, device).write_text(json.dumps(table.to_json_dict()), encoding="utf-8")
    return tables


def table_path(folder: Path, name: str, device: str) -> Path:
    """Where :func:`measure_tables` writes the table of ``name`` on ``device``."""
    return folder / f"{name}.{device.replace(':', '')}.latency.json"


def overhead_line(tables: dict[str, LatencyTable]) -> str:
    """The stage overhead measured with each table: per call, and per MB taken in and given back."""
    parts = []
    for name, table in tables.items():
        overhead = table.stage_overhead
        assert overhead is not None  # measure_table measures it
        parts.append(
            f"{name} {overhead.call_s * 1e3:.3f} ms + {overhead.in_s_per_byte * 1e9:.3f}/"
            f"{overhead.out_s_per_byte * 1e9:.3f} ms per MB in/out"
        )
    return "stage overhead measured with the tables: " + ", ".join(parts)


def scenario(tables: dict[str, Path], device: str) -> dict[str, Any]:
    """bs0 with a phone ue0 (radio 1 Gbit/s, 1 ms), an edge server edge0 next to it and the cloud behind an
    aggregation router; an agent on each, computing on ``device``, hosting every model in one stage per tier."""

    def node(node_id: str, tier: str) -> dict[str, Any]:
        kind = "gpu" if device.startswith("cuda") else "cpu"
        return {"id": node_id, "tier": tier, "kind": kind, "peak_flops_per_s": 1e13, "memory_bytes": 8e10}

    latency = {name: {tier: str(path) for tier in TIERS} for name, path in tables.items()}
    return {
        "topology": {
            "nodes": [
                {"id": "bs0", "role": "base_station"},
                {"id": "ue0", "role": "terminal"},
                {"id": "edge0", "role": "edge_server"},
                {"id": "agg", "role": "aggregation"},
                {"id": "cloud", "role": "cloud"},
            ],
            "links": [
                {"a": "bs0", "b": "ue0", "bandwidth_bps": 1e9, "delay_s": 1e-3},
                {"a": "bs0", "b": "edge0", "bandwidth_bps": 1e9, "delay_s": 5e-4},
                {"a": "bs0", "b": "agg", "bandwidth_bps": 1e9, "delay_s": 5e-4},
                {"a": "agg", "b": "cloud", "bandwidth_bps": 1e9, "delay_s": 2e-3},
            ],
        },
        "compute": [node("ue0", "terminal"), node("edge0", "edge"), node("cloud", "cloud")],
        "runtime": {
            "ingress": "bs0",
            "policy": "optimal",
            "models": {
                name: {"tiers": list(TIERS), "split": "balanced", "deadline_s": 30.0, "latency": latency[name]}
                for name in tables
            },
            "agents": [
                {"node": node_id, "models": list(tables), "device": device} for node_id in ("ue0", "edge0", "cloud")
            ],
        },
    }


def local_output(name: str, x: np.ndarray) -> np.ndarray:
    """Full-model inference on the CPU, weights from seed 0 as the cluster's."""
    import torch

    from mcfn.runtime.models import build

    with torch.no_grad():
        return build(name, seed=0)[0](torch.from_numpy(x)).numpy()


async def serve_requests(runtime: RuntimeScenario, requests: int) -> dict[str, tuple[np.ndarray, list[Reply]]]:
    """Start the cluster, then ``requests`` in a row for each model (after one to warm the connections): each
    model's input and replies."""
    served = {}
    async with LocalCluster(runtime, token=SECRET) as cluster:
        await cluster.wait_ready(timeout_s=150)
        print(f"{len(cluster.node_ids)} agents ready", flush=True)
        client = Client(*cluster.address, token=cluster.keys.client_token, timeout_s=120)
        for name, plan in runtime.plans.items():
            x = np.random.default_rng(0).standard_normal(plan.input.shape).astype(np.float32)
            await client.infer(name, x)
            served[name] = (x, [await client.infer(name, x) for _ in range(requests)])
        await client.close()
    return served


def summarise(name: str, x: np.ndarray, replies: list[Reply], tolerance: float) -> dict[str, Any]:
    """Equality with local inference (relative to the output's scale) and the median predicted vs actual latency of
    one model's requests."""
    expected = local_output(name, x)
    error = max(float(np.abs(reply.output - expected).max()) for reply in replies)
    scale = float(np.abs(expected).max())
    fields = [reply.fields for reply in replies]

    def median(key: str) -> float:
        return statistics.median(sum(stage[key] for stage in f["stages"]) for f in fields)

    predicted = statistics.median(f["predicted_latency_s"] for f in fields)
    actual = statistics.median(f["latency_s"] for f in fields)
    return {
        "model": name,
        "placement": [stage["node"] for stage in fields[-1]["stages"]],
        "max_abs_error": error,
        "output_scale": scale,
        "relative_error": error / scale,
        "tolerance": tolerance,
        "equal": error <= tolerance * scale,
        "predicted_s": predicted,
        "actual_s": actual,
        "actual_over_predicted": actual / predicted,
        "compute_actual_over_predicted": median("compute_s") / median("predicted_compute_s"),
        "network_actual_over_predicted": median("network_s") / median("predicted_network_s"),
        "stages": [
            {
                "node": stage["node"],
                "predicted_compute_s": statistics.median(f["stages"][k]["predicted_compute_s"] for f in fields),
                "compute_s": statistics.median(f["stages"][k]["compute_s"] for f in fields),
            }
            for k, stage in enumerate(fields[-1]["stages"])
        ],
    }


def report(rows: list[dict[str, Any]], header: str) -> str:
    """The rows as a text table, each with its stages' predicted and actual compute."""
    lines = [
        header,
        f"{'model':>16} {'placement':>20} {'max |out|':>10} {'rel. err':>9} {'equal':>6} {'predicted (ms)':>15} "
        f"{'actual (ms)':>12} {'actual/pred':>12} {'compute a/p':>12} {'network a/p':>12}",
    ]
    for row in rows:
        lines.append(
            f"{row['model']:>16} {'/'.join(row['placement']):>20} {row['output_scale']:>10.1e} "
            f"{row['relative_error']:>9.1e} "
            f"{'yes' if row['equal'] else 'NO':>6} {row['predicted_s'] * 1e3:>15.2f} {row['actual_s'] * 1e3:>12.2f} "
            f"{row['actual_over_predicted']:>12.2f} {row['compute_actual_over_predicted']:>12.2f} "
            f"{row['network_actual_over_predicted']:>12.2f}"
        )
        stages = ", ".join(
            f"{s['node']} {s['predicted_compute_s'] * 1e3:.2f}/{s['compute_s'] * 1e3:.2f}" for s in row["stages"]
        )
        lines.append(f"{'':>16} compute per stage, predicted/actual ms: {stages}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cpu, cuda or cuda:N (every agent computes there)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated runtime models")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "results/runtime_gpu"))
    args = parser.parse_args()
    import torch

    from mcfn.runtime.device import torch_device

    device = torch_device(args.device)
    models = [name for name in args.models.split(",") if name]
    started = time.perf_counter()
    folder = args.out / "tables"
    tables = measure_tables(models, args.device, folder)
    measured_s = time.perf_counter() - started
    print(f"per-layer tables measured on {args.device} in {measured_s:.1f} s", flush=True)
    paths = {name: table_path(folder, name, args.device) for name in models}
    runtime = parse_runtime_scenario(scenario(paths, args.device))
    served = asyncio.run(serve_requests(runtime, args.requests))
    rows = [summarise(name, *served[name], TOLERANCE[device.type]) for name in models]
    machine = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    header = (
        f"runtime on {args.device} ({machine}, torch {torch.__version__}): 3 stages per model on ue0/edge0/cloud, "
        f"per-layer tables measured here in {measured_s:.1f} s, {args.requests} requests per model (medians), "
        f"{time.perf_counter() - started:.1f} s in all"
    )
    text = report(rows, f"{header}\n{overhead_line(tables)}")
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "runtime_gpu.txt").write_text(text + "\n", encoding="utf-8")
    document = {
        "device": args.device,
        "machine": machine,
        "torch": torch.__version__,
        "stage_overhead": {name: table.to_json_dict()["stage_overhead"] for name, table in tables.items()},
        "models": rows,
    }
    (args.out / "runtime_gpu.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    if not all(row["equal"] for row in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
