"""Measured latency of the model zoo on one device: whole forward passes and per-node tables.

For each zoo model: the median wall time of a whole forward pass (batch 1, ``torch.no_grad``), the sum of its
per-node medians from :func:`mcfn.models.measure.measure_latency` (what the planner's ``measured`` cost model
uses; node-by-node execution adds interpreter and launch overhead, so the ratio column says how much), and the
effective speed ``flops / forward``. Per-node tables are written to ``--out`` for ``mcfn partition --cost-model
measured --latency FILE``. Usage: ``python benchmarks/zoo_latency.py [--device cuda] [--models a,b] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def forward_median_s(module, example, device, warmup: int, repeats: int) -> float:
    import torch

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            sync()
            start = time.perf_counter()
            module(example)
            sync()
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    import torch

    from mcfn.models.measure import measure_latency
    from mcfn.models.profile import profile_model
    from mcfn.models.zoo import build_model, example_input, zoo_names

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    parser.add_argument("--models", default=",".join(zoo_names()), help="comma-separated zoo models")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None, help="directory for per-node latency tables")
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    args = parser.parse_args()
    device = torch.device(args.device)
    rows = []
    for name in args.models.split(","):
        profile = profile_model(build_model(name), example_input(name), name=name)
        module = profile.module.to(device).eval()
        example = example_input(name).to(device)
        forward_s = forward_median_s(module, example, device, args.warmup, args.repeats)
        table = measure_latency(
            profile.module, example_input(name), name=name, warmup=args.warmup, repeats=args.repeats, device=args.device
        )
        nodes_s = sum(table.node_latency_s.values())
        flops = profile.graph.total_flops
        rows.append(
            {
                "model": name,
                "gflop": flops / 1e9,
                "forward_ms": forward_s * 1e3,
                "sum_of_nodes_ms": nodes_s * 1e3,
                "nodes_over_forward": nodes_s / forward_s,
                "effective_gflop_per_s": flops / forward_s / 1e9,
                "nodes": len(table.node_latency_s),
                "machine": table.machine,
            }
        )
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            path = args.out / f"{name}.{device.type}.latency.json"
            path.write_text(json.dumps(table.to_json_dict(), indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"device: {rows[0]['machine']}; batch 1; medians of {args.repeats} after {args.warmup} warm-ups")
    print(f"{'model':<20} {'GFLOP':>7} {'forward ms':>11} {'nodes ms':>9} {'nodes/fwd':>10} {'GFLOP/s':>9}")
    for r in rows:
        print(
            f"{r['model']:<20} {r['gflop']:>7.2f} {r['forward_ms']:>11.3f} {r['sum_of_nodes_ms']:>9.3f} "
            f"{r['nodes_over_forward']:>10.2f} {r['effective_gflop_per_s']:>9.1f}"
        )


if __name__ == "__main__":
    main()
