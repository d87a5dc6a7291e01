"""Global optimum of the allocation problem by its hidden convexity in the log domain.

With ``a = ln alpha`` and epigraph variables ``t_up``, ``t_cmp`` the problem of ``docs/formats/allocation.md`` becomes

    maximise   sum  w (p - q e^(-r a)) - (1 - w) (t_up + t_cmp) / T_max - c t_up
    subject to a <= ln t_up + ln R(b),     a + ln k <= ln t_cmp + ln f,     t_up + t_cmp <= T_max,
               ln alpha_min <= a <= ln alpha_max,   sum b <= B,   sum f <= F,   0 <= f <= f_max,

where ``R(b) = b log2(1 + s/b)`` is concave, so ``ln R`` is concave and every constraint is convex: one conic
solve gives the global optimum. ``c t_up`` is the terminals' transmit energy weighed by the instance's
``energy_weight`` (``c = energy_weight · sending_w``; absent where the weight is 0): one more non-negative weight on
``t_up``, which keeps the problem convex. The substitution ``alpha = e^a`` is a change of variables of the seed's
problem (not a relaxation), so this is the reference the seed's SCA (:mod:`mcfn.allocation.sca`) is measured against.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np

from mcfn.allocation._conic import LN2, RawSolution, solve, value
from mcfn.allocation.schemes import Formulation


def solve_exact(form: Formulation) -> RawSolution:
    """Globally optimal bandwidth, compute and data for ``form``; one exponential-cone program, O(N) variables."""
    s = form.tasks
    n = s.n
    w = s.weight
    t_up = cp.Variable(n, pos=True)
    t_cmp = cp.Variable(n, pos=True)
    constraints = [t_up + t_cmp <= s.deadline_s]
    if form.data_fixed:
        a: cp.Expression = cp.Constant(np.log(form.data_max_mbit))
    else:
        a = cp.Variable(n)
        constraints += [a >= np.log(form.data_min_mbit), a <= np.log(form.data_max_mbit)]
    if form.fixed_bandwidth_mhz is None:
        b = cp.Variable(n, nonneg=True)
        neg_rel_entr = -cp.rel_entr(b, b + s.snr_mhz)  # = R(b) ln 2
        constraints += [a - cp.log(t_up) - cp.log(neg_rel_entr) <= -math.log(LN2), cp.sum(b) <= s.bandwidth_mhz]
    else:
        b = form.fixed_bandwidth_mhz
        constraints.append(a - cp.log(t_up) <= np.log(s.rate_mbps(b)))
    if form.fixed_compute_g is None:
        f = cp.Variable(n, nonneg=True)
        constraints += [
            a + np.log(s.compute_s_per_mbit_g) - cp.log(t_cmp) - cp.log(f) <= 0,
            f <= s.vm_capacity_g,
            cp.sum(f) <= s.capacity_g,
        ]
    else:
        f = form.fixed_compute_g
        constraints.append(a - cp.log(t_cmp) <= np.log(f) - np.log(s.compute_s_per_mbit_g))
    accuracy = s.p - cp.multiply(s.q, cp.exp(-cp.multiply(s.r, a)))
    utility = cp.sum(w * accuracy - cp.multiply((1 - w) / s.deadline_s, t_up + t_cmp))
    if s.upload_cost_per_s is not None:
        utility -= s.upload_cost_per_s @ t_up
    solver = solve(cp.Problem(cp.Maximize(utility), constraints), precise=True)
    return RawSolution(
        data_mbit=form.data_max_mbit if form.data_fixed else np.exp(value(a)),
        bandwidth_mhz=value(b),
        compute_g=value(f),
        iterations=1,
        solver=solver,
    )
