"""Reproduce one of the seed's allocation figures: sweep, then write CSV, JSON record and PNG."""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcfn.allocation.choices import Method
from mcfn.experiments.catalog import FigureSpec
from mcfn.experiments.plots import plot_figure
from mcfn.experiments.sweep import CSV_COLUMNS, Point, Sample, aggregate, run_sweep


@dataclass(frozen=True, slots=True)
class Reproduction:
    """Files written for one figure and what they contain."""

    figure: str
    method: str
    seeds: tuple[int, ...]
    csv_path: Path
    json_path: Path
    image_path: Path
    points: tuple[Point, ...]
    errors: tuple[Sample, ...]
    elapsed_s: float

    def summary(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "method": self.method,
            "seeds": list(self.seeds),
            "csv": str(self.csv_path),
            "json": str(self.json_path),
            "image": str(self.image_path),
            "errors": len(self.errors),
            "elapsed_s": self.elapsed_s,
        }


def figure_files(name: str) -> list[str]:
    """The names of the files :func:`reproduce_figure` writes for figure ``name``."""
    return [f"{name}.{suffix}" for suffix in ("csv", "json", "png")]


def reproduce_figure(
    figure: FigureSpec,
    out_dir: Path,
    *,
    seeds: int,
    jobs: int = 1,
    method: Method = Method.FAST,
    ray_address: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Reproduction:
    """Sweep ``figure`` over seeds ``0..seeds-1`` and write ``<name>.csv``, ``<name>.json``, ``<name>.png``; the
    points run as :func:`mcfn.experiments.sweep.run_sweep` runs them (``jobs`` local processes, or the Ray cluster at
    ``ray_address``), cached under ``<out_dir>/cache`` so that a reproduction run again resumes.

    The JSON record holds the seed list, the method and every individual allocation, so each CSV row can be
    recomputed from it.
    """
    if seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {seeds}")
    if jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {jobs}")
    started = time.perf_counter()
    seed_list = tuple(range(seeds))
    samples = run_sweep(
        figure,
        seeds=seed_list,
        method=method,
        jobs=jobs,
        ray_address=ray_address,
        cache_dir=out_dir / "cache",
        on_progress=on_progress,
    )
    points = aggregate(samples)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = figure.name.value
    csv_path = out_dir / f"{name}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(p.as_row() for p in points)
    image_path = plot_figure(figure, points, out_dir / f"{name}.png")
    errors = tuple(s for s in samples if s.status != "optimal")
    elapsed = time.perf_counter() - started
    record = {
        "figure": name,
        "title": figure.title,
        "method": method.value,
        "seeds": list(seed_list),
        "grid": {
            "x_field": figure.x_field,
            "x_values": list(figure.x_values),
            "bandwidths_mhz": list(figure.bandwidths_mhz),
        },
        "elapsed_s": elapsed,
        "samples": [dataclasses.asdict(s) for s in samples],
    }
    json_path = out_dir / f"{name}.json"
    json_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return Reproduction(name, method.value, seed_list, csv_path, json_path, image_path, tuple(points), errors, elapsed)
