"""The seed's schemes as formulations: which variables each one fixes, and its standalone latencies.

Seed §3.2 compares the proposed joint optimisation with three baselines; ``docs/formats/allocation.md`` fixes them:

- ``proposed``: bandwidth, compute and compression ratio all optimised;
- ``fc`` (fixed channel): ``b_n = B / N``;
- ``ac`` (average computation): ``f_n = min(F / N, f_max)``;
- ``wcr`` (without compression ratio): ``rho_n = 1``.

``N`` is the number of tasks being served, so after admission rejects a task the others' equal shares grow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfn.allocation.choices import Scheme
from mcfn.allocation.kernels import least_data_mbit
from mcfn.allocation.problem import ScaledTasks
from mcfn.network.radio import FloatArray


@dataclass(frozen=True, eq=False)
class Formulation:
    """A scheme applied to a set of tasks: data bounds per task and the variables it fixes (solver units).

    ``data_min_mbit`` is the least data a task may upload: compression floor, accuracy floor and, under wcr, the
    raw size; it is ``inf`` where the accuracy floor cannot be met even uncompressed.
    """

    tasks: ScaledTasks
    data_min_mbit: FloatArray
    data_max_mbit: FloatArray
    fixed_bandwidth_mhz: FloatArray | None
    fixed_compute_g: FloatArray | None

    @property
    def data_fixed(self) -> bool:
        return bool(np.all(self.data_min_mbit == self.data_max_mbit))


def formulate(scheme: Scheme, tasks: ScaledTasks) -> Formulation:
    """The formulation of ``scheme`` over ``tasks``: O(N), no solver involved."""
    n = tasks.n
    data_max = tasks.data_mbit.copy()
    least_ratio = 1.0 if scheme is Scheme.WCR else tasks.min_compression
    data_min = least_data_mbit(data_max, tasks.accuracy_floor_mbit, least_ratio)
    bandwidth = np.full(n, tasks.bandwidth_mhz / n) if scheme is Scheme.FC else None
    compute = np.full(n, min(tasks.capacity_g / n, tasks.vm_capacity_g)) if scheme is Scheme.AC else None
    return Formulation(tasks, data_min, data_max, bandwidth, compute)


def standalone_latency_s(scheme: Scheme, tasks: ScaledTasks) -> FloatArray:
    """Least latency each task reaches alone under ``scheme`` (the spec's admission order key).

    Alone, a task gets all of ``B`` (``B / N`` under fc), a full VM ``min(F, f_max)`` (``min(F / N, f_max)``
    under ac) and uploads the least data the scheme allows; ``inf`` when its accuracy floor is out of reach.
    """
    form = formulate(scheme, tasks)
    n = tasks.n
    bandwidth = np.full(n, tasks.bandwidth_mhz) if form.fixed_bandwidth_mhz is None else form.fixed_bandwidth_mhz
    compute = np.full(n, min(tasks.capacity_g, tasks.vm_capacity_g))
    if form.fixed_compute_g is not None:
        compute = form.fixed_compute_g
    alpha = form.data_min_mbit
    with np.errstate(invalid="ignore"):
        latency = alpha / tasks.rate_mbps(bandwidth) + tasks.compute_s_per_mbit_g * alpha / compute
    return np.where(np.isfinite(alpha), latency, np.inf)
