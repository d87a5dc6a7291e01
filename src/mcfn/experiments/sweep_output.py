"""A sweep's outputs: the tidy table (Parquet and CSV, the same rows) and its plots with 95 % confidence intervals."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcfn.experiments.grid import PLOTTED, Sweep, means


def write_table(rows: Sequence[dict[str, Any]], out_dir: Path, name: str = "sweep") -> tuple[Path, Path]:
    """Write ``rows`` to ``<name>.parquet`` (pyarrow) and ``<name>.csv``; returns both paths."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    parquet_path, csv_path = out_dir / f"{name}.parquet", out_dir / f"{name}.csv"
    columns = list(rows[0]) if rows else []
    pq.write_table(pa.Table.from_pylist(list(rows)), parquet_path)
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return parquet_path, csv_path


def plot_sweep(sweep: Sweep, rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """One panel per metric of :data:`~mcfn.experiments.grid.PLOTTED`: its mean over seeds against the first grid
    field (the grid point's index without one), a line per policy and combination of the other fields, with 95 %
    confidence intervals as error bars; PNG or SVG by suffix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10.0, 7.0), dpi=120)
    x_name = sweep.fields[0] if sweep.fields else "grid point"
    for ax, (metric, label) in zip(axes.flat, PLOTTED.items(), strict=True):
        lines: dict[tuple[Any, ...], list[tuple[Any, float, float]]] = {}
        for index, (key, ci) in enumerate(means(sweep, rows, metric).items()):
            if ci.mean is None:
                continue
            x = key[0] if sweep.fields else index // len(sweep.policies)
            lines.setdefault(key[1:], []).append((x, ci.mean, ci.half_width or 0.0))
        for rest, points in lines.items():
            points.sort(key=lambda p: p[0])
            xs, ys, errors = zip(*points, strict=True)
            ax.errorbar(xs, ys, yerr=errors, marker="o", markersize=3, capsize=3, label=", ".join(map(str, rest)))
        ax.set_xlabel(x_name)
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"means over {len(sweep.seeds)} seeds, 95 % confidence intervals", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
