"""The seed's successive convex approximation (SCA) of the allocation problem.

The problem of seed §3.2 is non-convex only through the products ``alpha / R(b)`` (upload time) and
``k alpha / f`` (compute time). Each SCA iteration replaces such a product ``x / y`` by the convex upper bound
obtained from ``x z <= (c/2) x^2 + (1/(2c)) z^2`` with ``z = 1/y`` and ``c = 1 / (x0 y0)``:

    x / y  <=  x^2 / (2 x0 y0) + (x0 y0 / 2) y^(-2),

tight (value and gradient) at the current point ``(x0, y0)``. Because the bound majorises the latency, every
iterate is feasible (conservative) and the true utility never decreases (the inner-approximation / MM argument
of Marks & Wright, Oper. Res. 26(4), 1978; Razaviyayn et al., SIAM J. Optim. 23(2), 2013). Products with a fixed
factor (a scheme's fixed bandwidth, compute or compression) are kept exactly. Iterations stop when the relative
improvement of the utility falls below ``tolerance`` or after ``max_iterations``. The instance's energy term,
``c T_up`` (``c = energy_weight · sending_w``), weighs the same bound of the upload time, so it keeps both
properties.

The start is the phase-I point (:mod:`mcfn.allocation.feasibility`) at the least admissible data.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from mcfn.allocation._conic import RawSolution, rate_mbps, solve, value
from mcfn.allocation.feasibility import phase_one
from mcfn.allocation.schemes import Formulation
from mcfn.network.radio import FloatArray

DEFAULT_TOLERANCE = 1e-9
DEFAULT_MAX_ITERATIONS = 200


def solve_sca(
    form: Formulation,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> RawSolution:
    """SCA from the phase-I point; returns the last iterate and the utility history (one entry per iterate)."""
    start = phase_one(form)
    if not start.feasible:
        raise ValueError("solve_sca needs a feasible formulation (run admission first)")
    model = _SurrogateModel(form)
    alpha, b, f = form.data_min_mbit.copy(), start.bandwidth_mhz, start.compute_g
    history = [_utility(form, alpha, b, f)]
    solver = start.solver
    for _ in range(max_iterations):
        solver, (alpha_new, b_new, f_new) = model.solve_at(alpha, b, f)
        history.append(_utility(form, alpha_new, b_new, f_new))
        alpha, b, f = alpha_new, b_new, f_new
        if abs(history[-1] - history[-2]) <= tolerance * max(1.0, abs(history[-2])):
            break
    return RawSolution(alpha, b, f, iterations=len(history) - 1, solver=solver, history=tuple(history))


def _utility(form: Formulation, alpha: FloatArray, b: FloatArray, f: FloatArray) -> float:
    s = form.tasks
    upload = alpha / s.rate_mbps(b)
    latency = upload + s.compute_s_per_mbit_g * alpha / f
    utility = s.weight * s.accuracy_at(alpha) - (1 - s.weight) * latency / s.deadline_s
    if s.upload_cost_per_s is not None:
        utility -= s.upload_cost_per_s * upload
    return float(np.sum(utility))


class _SurrogateModel:
    """The convex surrogate of one formulation, compiled once; its expansion point is a set of parameters."""

    def __init__(self, form: Formulation) -> None:
        s = form.tasks
        n = s.n
        w = s.weight
        k = s.compute_s_per_mbit_g
        self._form = form
        constraints = []
        if form.data_fixed:
            self._alpha: cp.Expression | FloatArray = form.data_max_mbit
        else:
            self._alpha = cp.Variable(n, pos=True)
            constraints += [self._alpha >= form.data_min_mbit, self._alpha <= form.data_max_mbit]
        alpha = self._alpha
        # Expansion-point coefficients of the bounds (non-negative parameters keep the problem DPP).
        self._up_sq = cp.Parameter(n, nonneg=True)
        self._up_inv = cp.Parameter(n, nonneg=True)
        self._cmp_sq = cp.Parameter(n, nonneg=True)
        self._cmp_inv = cp.Parameter(n, nonneg=True)
        if form.fixed_bandwidth_mhz is None:
            self._b: cp.Expression | FloatArray = cp.Variable(n, nonneg=True)
            rate = rate_mbps(self._b, s.snr_mhz)
            constraints.append(cp.sum(self._b) <= s.bandwidth_mhz)
            if form.data_fixed:
                upload = cp.multiply(alpha, cp.inv_pos(rate))
            else:
                upload = cp.multiply(self._up_sq, cp.square(alpha)) + cp.multiply(
                    self._up_inv, cp.square(cp.inv_pos(rate))
                )
        else:
            self._b = form.fixed_bandwidth_mhz
            upload = cp.multiply(1.0 / s.rate_mbps(self._b), alpha)
        if form.fixed_compute_g is None:
            self._f: cp.Expression | FloatArray = cp.Variable(n, nonneg=True)
            constraints += [self._f <= s.vm_capacity_g, cp.sum(self._f) <= s.capacity_g]
            if form.data_fixed:
                compute = cp.multiply(k * alpha, cp.inv_pos(self._f))
            else:
                compute = cp.multiply(self._cmp_sq, cp.square(alpha)) + cp.multiply(
                    self._cmp_inv, cp.square(cp.inv_pos(self._f))
                )
        else:
            self._f = form.fixed_compute_g
            compute = cp.multiply(k / self._f, alpha)
        latency = upload + compute
        constraints.append(latency <= s.deadline_s)
        if form.data_fixed:
            penalty = s.q * np.power(form.data_max_mbit, -s.r)
        else:
            penalty = cp.multiply(s.q, cp.exp(-cp.multiply(s.r, cp.log(alpha))))
        utility = cp.sum(w * (s.p - penalty) - cp.multiply((1 - w) / s.deadline_s, latency))
        if s.upload_cost_per_s is not None:
            utility -= s.upload_cost_per_s @ upload
        self._problem = cp.Problem(cp.Maximize(utility), constraints)

    def solve_at(
        self, alpha: FloatArray, b: FloatArray, f: FloatArray
    ) -> tuple[str, tuple[FloatArray, FloatArray, FloatArray]]:
        """Maximise the surrogate built at ``(alpha, b, f)``; return the solver and the new point."""
        s = self._form.tasks
        alpha_rate = alpha * s.rate_mbps(b)
        alpha_f = alpha * f
        self._up_sq.value = 1.0 / (2.0 * alpha_rate)
        self._up_inv.value = alpha_rate / 2.0
        k = s.compute_s_per_mbit_g
        self._cmp_sq.value = k / (2.0 * alpha_f)
        self._cmp_inv.value = k * alpha_f / 2.0
        solver = solve(self._problem)
        return solver, (value(self._alpha), value(self._b), value(self._f))
