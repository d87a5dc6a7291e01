"""Phase-I feasibility of a formulation: can every task meet its deadline with the shared resources?

Uploading less data only shortens both latencies, and the accuracy floor bounds data from below, so a task set
is feasible exactly when it is feasible with every task at its least data ``alpha_min``. With data fixed the
problem is convex in (bandwidth, compute): minimise the common relative slack ``s`` in
``alpha/R(b) + k alpha/f <= T_max (1 + s)``; the set is feasible iff ``s* <= 0``. The minimiser balances slack
across tasks, which makes it a good interior starting point for SCA.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from mcfn.allocation._conic import InfeasibleProblemError, rate_mbps, solve, value
from mcfn.allocation.schemes import Formulation
from mcfn.network.radio import FloatArray

#: Slack (relative to the deadline) below which a set counts as feasible.
FEASIBILITY_TOLERANCE = 1e-7


@dataclass(frozen=True, eq=False)
class PhaseOne:
    """Least common relative deadline slack and the allocation reaching it (solver units)."""

    slack: float
    bandwidth_mhz: FloatArray
    compute_g: FloatArray
    solver: str

    @property
    def feasible(self) -> bool:
        return self.slack <= FEASIBILITY_TOLERANCE


def phase_one(form: Formulation) -> PhaseOne:
    """Solve the phase-I problem of ``form``; O(N) variables, one conic solve."""
    s = form.tasks
    alpha = form.data_min_mbit
    if not np.all(np.isfinite(alpha)):
        raise ValueError("phase_one needs tasks whose accuracy floor is reachable")
    slack = cp.Variable()
    constraints = []
    if form.fixed_bandwidth_mhz is None:
        b = cp.Variable(s.n, nonneg=True)
        upload = cp.multiply(alpha, cp.inv_pos(rate_mbps(b, s.snr_mhz)))
        constraints.append(cp.sum(b) <= s.bandwidth_mhz)
    else:
        b = form.fixed_bandwidth_mhz
        upload = alpha / s.rate_mbps(b)
    if form.fixed_compute_g is None:
        f = cp.Variable(s.n, nonneg=True)
        compute = cp.multiply(s.compute_s_per_mbit_g * alpha, cp.inv_pos(f))
        constraints += [f <= s.vm_capacity_g, cp.sum(f) <= s.capacity_g]
    else:
        f = form.fixed_compute_g
        compute = s.compute_s_per_mbit_g * alpha / f
    constraints.append(cp.multiply(1.0 / s.deadline_s, upload + compute) <= 1 + slack)
    constraints.append(slack >= -1)
    try:
        solver = solve(cp.Problem(cp.Minimize(slack), constraints))
    except InfeasibleProblemError as exc:
        # The phase-I problem always has a solution (any slack large enough); a solver that "proves" otherwise has
        # lost its accuracy to the magnitudes (a task of 1e16 bits against a deadline of seconds), far from any
        # feasible set: no point within reach.
        nowhere = np.full(s.n, np.nan)
        return PhaseOne(np.inf, nowhere, nowhere, f"none ({exc})")
    return PhaseOne(float(slack.value), value(b), value(f), solver)
