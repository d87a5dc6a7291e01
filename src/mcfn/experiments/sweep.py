"""Run a figure's sweep: every seed x bandwidth x grid value x scheme, as independent jobs of
:mod:`mcfn.experiments.executor` (local processes or a Ray cluster, cached by their inputs).

Each seed draws one instance per bandwidth with the same random stream at every grid value (common random
numbers), so the curves' shape reflects the swept parameter, not sampling noise. Points are averaged over seeds;
allocations that end in status ``error`` are counted and left out of the mean, never hidden.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcfn.allocation.choices import Method, Scheme
from mcfn.allocation.generator import InstanceSpec, generate_instance
from mcfn.allocation.solve import allocate
from mcfn.experiments.catalog import FigureSpec
from mcfn.experiments.executor import Job, ResultCache, execute

CSV_COLUMNS = (
    "bandwidth_mhz",
    "capacity_gcycles",
    "degradation",
    "scheme",
    "utility_mean",
    "utility_std",
    "rejected_mean",
    "n_seeds",
)


@dataclass(frozen=True, slots=True)
class Sample:
    """One allocation in a sweep."""

    seed: int
    bandwidth_mhz: float
    capacity_gcycles: float
    degradation: float
    scheme: str
    status: str
    utility: float
    rejected: int


@dataclass(frozen=True, slots=True)
class Point:
    """Mean over seeds of one (bandwidth, x, scheme): a row of the figure's CSV."""

    bandwidth_mhz: float
    capacity_gcycles: float
    degradation: float
    scheme: str
    utility_mean: float
    utility_std: float
    rejected_mean: float
    n_seeds: int

    def as_row(self) -> dict[str, float | int | str]:
        return dataclasses.asdict(self)


def instance_spec(figure: FigureSpec, bandwidth_mhz: float, x: float) -> InstanceSpec:
    """The generator parameters of one grid point of ``figure``."""
    base = InstanceSpec(
        bandwidth_mhz=bandwidth_mhz, capacity_gcycles=figure.capacity_gcycles, degradation=figure.degradation
    )
    return dataclasses.replace(base, **{figure.x_field: x})


def solve_point(figure: FigureSpec, seed: int, bandwidth_mhz: float, x: float, method: Method) -> list[Sample]:
    """All schemes on the instance of ``seed`` at one grid point (the unit of parallel work)."""
    spec = instance_spec(figure, bandwidth_mhz, x)
    instance = generate_instance(spec, np.random.default_rng(seed))
    samples = []
    for scheme in Scheme:
        result = allocate(instance, scheme=scheme, method=method)
        samples.append(
            Sample(
                seed=seed,
                bandwidth_mhz=bandwidth_mhz,
                capacity_gcycles=spec.capacity_gcycles,
                degradation=spec.degradation,
                scheme=scheme.value,
                status=result.status,
                utility=result.utility,
                rejected=result.rejected,
            )
        )
    return samples


def run_sweep(
    figure: FigureSpec,
    *,
    seeds: Iterable[int],
    method: Method = Method.FAST,
    jobs: int = 1,
    ray_address: str | None = None,
    cache_dir: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Sample]:
    """Solve every point of ``figure`` for every seed; ``jobs > 1`` uses that many processes, ``ray_address`` the
    Ray cluster there; with ``cache_dir``, points solved before are read from there
    (:func:`mcfn.experiments.executor.execute`).

    ``on_progress(done, total)`` is called after each unit of work. Samples come back in a fixed order
    (bandwidth, x, seed, scheme) whatever ran them.
    """
    units = [
        Job(solve_point, (figure, seed, b, x, method))
        for b in figure.bandwidths_mhz
        for x in figure.x_values
        for seed in seeds
    ]
    results = execute(
        units, workers=jobs, ray_address=ray_address, cache=ResultCache(cache_dir), on_progress=on_progress
    )
    return [sample for samples in results for sample in samples]


def aggregate(samples: list[Sample]) -> list[Point]:
    """Mean and standard deviation over seeds per (bandwidth, capacity, degradation, scheme); errors left out."""
    groups: dict[tuple[float, float, float, str], list[Sample]] = {}
    for s in samples:
        groups.setdefault((s.bandwidth_mhz, s.capacity_gcycles, s.degradation, s.scheme), []).append(s)
    points = []
    for (b, f, d, scheme), group in groups.items():
        ok = [s for s in group if s.status == "optimal"]
        utility = np.array([s.utility for s in ok])
        rejected = np.array([s.rejected for s in ok], dtype=float)
        points.append(
            Point(
                bandwidth_mhz=b,
                capacity_gcycles=f,
                degradation=d,
                scheme=scheme,
                utility_mean=float(utility.mean()) if ok else float("nan"),
                utility_std=float(utility.std(ddof=1)) if len(ok) > 1 else 0.0,
                rejected_mean=float(rejected.mean()) if ok else float("nan"),
                n_seeds=len(ok),
            )
        )
    return points
