# cython: boundscheck=False, wraparound=False
"""The allocation problem's own interior-point method: a barrier method on its small structured Newton systems.

In the variables ``a = ln alpha`` (data in ln Mbit), ``b`` (MHz) and ``f`` (Gcycle/s) every task's latency
``L(a, b, f) = e^a (1 / R(b) + k / f)`` is convex: ``1 / R`` and ``k / f`` are log-convex (``R`` is concave), a sum
of log-convex functions is log-convex, so ``a + ln(1 / R + k / f)`` is convex and so is its exponential. The
accuracy ``p - q e^(-r a)`` is concave. So the problem of ``spec/allocation.md``

    minimise   sum  -w (p - q e^(-r a)) + (1 - w) L / T_max
    subject to L <= T_max,  ln alpha_min <= a <= ln alpha_max,  f <= f_max,  sum b <= B,  sum f <= F

is convex as it stands, without the epigraph variables a conic modelling layer needs (:mod:`mcfn.allocation.exact`
is that layer's form of it). This module solves it by the barrier method (Boyd and Vandenberghe, *Convex
Optimization*, 2004, §11.3): minimise ``t * objective + barrier`` by Newton's method for increasing ``t`` until the
duality gap ``m / t`` (``m`` barrier terms) is below the tolerance. Its Newton system is the problem's own: the
Hessian is block-diagonal, one 3 × 3 block per task, plus one rank-one term per shared budget (``-ln(B - sum b)``,
``-ln(F - sum f)``), so each step is a 3 × 3 Cholesky per task and a 2 × 2 Sherman–Morrison–Woodbury correction:
``O(N)`` work, no matrix of size ``N``.

Phase I (§11.4) finds a strictly feasible start, or proves there is none: with every task at its least data,
minimise ``s`` subject to ``ln(L / T_max) <= s`` (the deadlines scaled by ``e^s``); ``s`` couples every task, which
adds one arrow row to the same structure. The task set is feasible iff the least ``s`` is at most
``ln(1 + tolerance)``.

A scheme fixes some variables (``fc`` the bandwidth, ``ac`` the compute, ``wcr`` the data; a task whose data range
is a point has its data fixed): a fixed variable keeps its value and its row of the Newton system is the
identity. Compiled by Cython where available (``barrier.pxd``); this file is also the Python reference.
"""

from __future__ import annotations

import math

import numpy as np

from mcfn.network.radio import FloatArray

LN2 = math.log(2.0)
_INF = math.inf
#: Rows of a task's packed symmetric 3 × 3 block: (0,0) (0,1) (0,2) (1,1) (1,2) (2,2); coordinates a, b, f.
A, B, F = 0, 1, 2
#: Factor by which the barrier parameter ``t`` grows between centrings.
T_GROWTH = 30.0
#: First ``t`` of phase I and of phase II, per barrier term (the first duality gaps are 1 and 0.1; per-task
#: utilities are of order one). Tuned on the spec's instances: 56 Newton steps in all at N = 20, against 116
#: from ``t = 1``.
PHASE_ONE_START = 1.0
PHASE_TWO_START = 10.0
#: Newton's method stops centring when half the squared Newton decrement is below this.
CENTRED = 1e-10
#: Steps stop short of a linear constraint's boundary by this fraction of the way there.
TO_BOUNDARY = 0.99
#: Newton steps allowed per centring before the method gives up.
MAX_NEWTON = 200


class BarrierError(RuntimeError):
    """Newton's method could not make progress (a numerical failure, not a property of the problem)."""


class Barrier:
    """State and work arrays of one barrier solve; see the module docstring.

    Per task: ``snr`` is ``P g / N0`` in MHz, ``work`` the compute seconds of 1 Mbit on 1 Gcycle/s (``k``),
    ``deadline`` the latency bound, ``latency_weight`` ``(1 - w) / T_max`` and ``accuracy_weight`` ``w q`` (the
    objective's coefficients), ``r`` the accuracy curve's exponent; ``data_min_ln`` and ``data_max_ln`` bound ``a``
    and ``fixed_data`` marks tasks whose ``a`` stays put. ``bandwidth`` and ``compute`` are the initial (or, when
    not free, the fixed) values. The current point is ``a``, ``b``, ``f`` (and ``s`` in phase I).
    """

    def __init__(
        self,
        *,
        snr: FloatArray,
        work: FloatArray,
        deadline: FloatArray,
        latency_weight: FloatArray,
        accuracy_weight: FloatArray,
        r: FloatArray,
        data_min_ln: FloatArray,
        data_max_ln: FloatArray,
        fixed_data: np.ndarray,
        bandwidth: FloatArray,
        compute: FloatArray,
        bandwidth_total: float,
        compute_total: float,
        compute_cap: float,
        bandwidth_free: bool,
        compute_free: bool,
    ) -> None:
        n = int(np.asarray(snr).size)
        self.n = n
        self.snr = np.ascontiguousarray(snr, dtype=float)
        self.work = np.ascontiguousarray(work, dtype=float)
        self.deadline = np.ascontiguousarray(deadline, dtype=float)
        self.latency_weight = np.ascontiguousarray(latency_weight, dtype=float)
        self.accuracy_weight = np.ascontiguousarray(accuracy_weight, dtype=float)
        self.r = np.ascontiguousarray(r, dtype=float)
        self.data_min = np.ascontiguousarray(data_min_ln, dtype=float)
        self.data_max = np.ascontiguousarray(data_max_ln, dtype=float)
        self.fixed = np.ascontiguousarray(fixed_data, dtype=np.uint8)
        self.a = self.data_min.copy()
        self.b = np.array(bandwidth, dtype=float)
        self.f = np.array(compute, dtype=float)
        self.s = 0.0
        self.bandwidth_total = bandwidth_total
        self.compute_total = compute_total
        self.compute_cap = compute_cap
        self.bandwidth_free = bandwidth_free
        self.compute_free = compute_free
        self.newton_steps = 0
        self.grad = np.zeros((n, 3))
        self.hess = np.zeros((n, 6))
        self.cross = np.zeros((n, 3))
        self.step = np.zeros((n, 3))
        self.rhs = np.zeros((n, 3))
        self.via_b = np.zeros((n, 3))
        self.via_f = np.zeros((n, 3))
        self.via_s = np.zeros((n, 3))
        self.step_s = 0.0
        self.grad_s = 0.0
        self.hess_s = 0.0
        self.curv_b = 0.0
        self.curv_f = 0.0

    # --- the two problems ------------------------------------------------------------------------------------
    def terms(self, phase_one: bool) -> int:
        """Number of barrier terms ``m`` (the duality gap after centring is ``m / t``)."""
        count = self.n * (1 + int(self.compute_free)) + int(self.bandwidth_free) + int(self.compute_free)
        if not phase_one:
            for i in range(self.n):
                count += 0 if self.fixed[i] else 2
        return count

    def value(self, phase_one: bool, t: float, step: float) -> float:
        """Barrier objective at the current point moved ``step`` along the Newton direction; inf outside its domain."""
        n = self.n
        total = 0.0
        used_b = 0.0
        used_f = 0.0
        s = self.s + step * self.step_s
        for i in range(n):
            a = self.a[i] + step * self.step[i, A]
            b = self.b[i] + step * self.step[i, B]
            f = self.f[i] + step * self.step[i, F]
            if b <= 0.0 or f <= 0.0:
                return _INF
            used_b += b
            used_f += f
            x = self.snr[i] / b
            rate = b * math.log1p(x) / LN2
            h = 1.0 / rate + self.work[i] / f
            if phase_one:
                slack = s - (a + math.log(h) - math.log(self.deadline[i]))
                if slack <= 0.0:
                    return _INF
                total -= math.log(slack)
            else:
                latency = math.exp(a) * h
                slack = self.deadline[i] - latency
                if slack <= 0.0:
                    return _INF
                total += t * (self.accuracy_weight[i] * math.exp(-self.r[i] * a) + self.latency_weight[i] * latency)
                total -= math.log(slack)
                if not self.fixed[i]:
                    if a <= self.data_min[i] or a >= self.data_max[i]:
                        return _INF
                    total -= math.log(a - self.data_min[i]) + math.log(self.data_max[i] - a)
            if self.compute_free:
                if f >= self.compute_cap:
                    return _INF
                total -= math.log(self.compute_cap - f)
        if phase_one:
            total += t * s
        if self.bandwidth_free:
            if used_b >= self.bandwidth_total:
                return _INF
            total -= math.log(self.bandwidth_total - used_b)
        if self.compute_free:
            if used_f >= self.compute_total:
                return _INF
            total -= math.log(self.compute_total - used_f)
        return total

    def derivatives(self, phase_one: bool, t: float) -> None:
        """Gradient and Hessian blocks of the barrier objective at the current (strictly feasible) point."""
        n = self.n
        used_b = 0.0
        used_f = 0.0
        self.grad_s = t
        self.hess_s = 0.0
        for i in range(n):
            b = self.b[i]
            f = self.f[i]
            used_b += b
            used_f += f
            snr = self.snr[i]
            log_term = math.log1p(snr / b)
            rate = b * log_term / LN2
            d_rate = (log_term - snr / (b + snr)) / LN2
            dd_rate = -snr * snr / (b * (b + snr) * (b + snr)) / LN2
            u = 1.0 / rate
            du = -d_rate * u * u
            ddu = (2.0 * d_rate * d_rate - rate * dd_rate) * u * u * u
            v = self.work[i] / f
            dv = -v / f
            ddv = 2.0 * v / (f * f)
            h = u + v
            if phase_one:
                # -ln(s - g), g = a_min + ln h - ln T: gradient grad g / sigma, Hessian hess g / sigma + grad g grad g^T
                # / sigma^2, cross terms with s -grad g / sigma^2, and 1 / sigma^2 on s
                sigma = self.s - (self.a[i] + math.log(h) - math.log(self.deadline[i]))
                gb = du / h
                gf = dv / h
                inv = 1.0 / sigma
                self.grad[i, A] = 0.0
                self.grad[i, B] = gb * inv
                self.grad[i, F] = gf * inv
                self.hess[i, 0] = 1.0
                self.hess[i, 1] = 0.0
                self.hess[i, 2] = 0.0
                self.hess[i, 3] = (ddu / h - gb * gb) * inv + gb * gb * inv * inv
                self.hess[i, 4] = -gb * gf * inv + gb * gf * inv * inv
                self.hess[i, 5] = (ddv / h - gf * gf) * inv + gf * gf * inv * inv
                self.cross[i, A] = 0.0
                self.cross[i, B] = -gb * inv * inv
                self.cross[i, F] = -gf * inv * inv
                self.grad_s -= inv
                self.hess_s += inv * inv
            else:
                ea = math.exp(self.a[i])
                latency = ea * h
                sigma = self.deadline[i] - latency
                inv = 1.0 / sigma
                # the latency's gradient (la, lb, lf) and Hessian [[L, lb, lf], [lb, e^a u'', 0], [lf, 0, e^a v'']]
                lb = ea * du
                lf = ea * dv
                scale = t * self.latency_weight[i] + inv
                acc = self.accuracy_weight[i] * math.exp(-self.r[i] * self.a[i])
                ga = -t * self.r[i] * acc + scale * latency
                haa = t * self.r[i] * self.r[i] * acc + scale * latency + latency * latency * inv * inv
                if not self.fixed[i]:
                    low = 1.0 / (self.a[i] - self.data_min[i])
                    high = 1.0 / (self.data_max[i] - self.a[i])
                    ga += high - low
                    haa += low * low + high * high
                self.grad[i, A] = ga
                self.grad[i, B] = scale * lb
                self.grad[i, F] = scale * lf
                self.hess[i, 0] = haa
                self.hess[i, 1] = scale * lb + latency * lb * inv * inv
                self.hess[i, 2] = scale * lf + latency * lf * inv * inv
                self.hess[i, 3] = scale * ea * ddu + lb * lb * inv * inv
                self.hess[i, 4] = lb * lf * inv * inv
                self.hess[i, 5] = scale * ea * ddv + lf * lf * inv * inv
            if self.compute_free:
                cap = 1.0 / (self.compute_cap - f)
                self.grad[i, F] += cap
                self.hess[i, 5] += cap * cap
        self.curv_b = 0.0
        self.curv_f = 0.0
        if self.bandwidth_free:
            left = 1.0 / (self.bandwidth_total - used_b)
            self.curv_b = left * left
            for i in range(n):
                self.grad[i, B] += left
        if self.compute_free:
            left = 1.0 / (self.compute_total - used_f)
            self.curv_f = left * left
            for i in range(n):
                self.grad[i, F] += left

    # --- the Newton system -------------------------------------------------------------------------------------
    def direction(self, phase_one: bool) -> float:
        """Newton step of the current derivatives into ``step`` (and ``step_s``); returns the squared decrement.

        The Hessian is ``blockdiag(H_i) + curv_b 1_b 1_b^T + curv_f 1_f 1_f^T`` (plus, in phase I, the arrow row of
        ``s``). Fixed coordinates get identity rows and zero gradient. Each block is factored once (Cholesky);
        the budgets' rank-one terms are applied by Sherman–Morrison–Woodbury and the arrow by its Schur complement.
        """
        n = self.n
        for i in range(n):
            if phase_one or self.fixed[i]:
                self.grad[i, A] = 0.0
                self.hess[i, 0] = 1.0
                self.hess[i, 1] = 0.0
                self.hess[i, 2] = 0.0
                self.cross[i, A] = 0.0
            if not self.bandwidth_free:
                self.grad[i, B] = 0.0
                self.hess[i, 1] = 0.0
                self.hess[i, 3] = 1.0
                self.hess[i, 4] = 0.0
                self.cross[i, B] = 0.0
            if not self.compute_free:
                self.grad[i, F] = 0.0
                self.hess[i, 2] = 0.0
                self.hess[i, 4] = 0.0
                self.hess[i, 5] = 1.0
                self.cross[i, F] = 0.0
            if not _cholesky(self.hess, i):
                raise BarrierError("a Newton block is not positive definite")
        # the budgets' Woodbury columns: D^-1 e_b and D^-1 e_f, and their sums over tasks
        bb = bf = ff = 0.0
        for i in range(n):
            _solve_unit(self.hess, i, B, self.via_b)
            _solve_unit(self.hess, i, F, self.via_f)
            bb += self.via_b[i, B]
            bf += self.via_b[i, F]
            ff += self.via_f[i, F]
        for i in range(n):
            self.rhs[i, A] = -self.grad[i, A]
            self.rhs[i, B] = -self.grad[i, B]
            self.rhs[i, F] = -self.grad[i, F]
        self._woodbury(bb, bf, ff, self.step)
        self.step_s = 0.0
        if phase_one:
            # arrow: [K c; c^T d] [dx; ds] = -[g; g_s] with K the matrix above: dx = K^-1 (-g) - K^-1 c ds
            for i in range(n):
                self.rhs[i, A] = self.cross[i, A]
                self.rhs[i, B] = self.cross[i, B]
                self.rhs[i, F] = self.cross[i, F]
            self._woodbury(bb, bf, ff, self.via_s)
            c_y = 0.0
            c_z = 0.0
            for i in range(n):
                c_y += self.cross[i, B] * self.step[i, B] + self.cross[i, F] * self.step[i, F]
                c_z += self.cross[i, B] * self.via_s[i, B] + self.cross[i, F] * self.via_s[i, F]
            schur = self.hess_s - c_z
            if not schur > 0.0:
                raise BarrierError("the phase-I Schur complement is not positive")
            self.step_s = (-self.grad_s - c_y) / schur
            for i in range(n):
                self.step[i, B] -= self.via_s[i, B] * self.step_s
                self.step[i, F] -= self.via_s[i, F] * self.step_s
        decrement = -self.grad_s * self.step_s
        for i in range(n):
            decrement -= (
                self.grad[i, A] * self.step[i, A]
                + self.grad[i, B] * self.step[i, B]
                + self.grad[i, F] * self.step[i, F]
            )
        return decrement

    def _woodbury(self, bb: float, bf: float, ff: float, out: np.ndarray) -> None:
        """``out = (D + curv_b 1_b 1_b^T + curv_f 1_f 1_f^T)^-1 rhs`` with ``D`` the factored blocks."""
        n = self.n
        sum_b = 0.0
        sum_f = 0.0
        for i in range(n):
            _solve(self.hess, i, self.rhs, out)
            sum_b += out[i, B]
            sum_f += out[i, F]
        z_b = 0.0
        z_f = 0.0
        if self.bandwidth_free and self.compute_free:
            # (C^-1 + U^T D^-1 U) z = U^T y, a 2 × 2 system
            m00 = 1.0 / self.curv_b + bb
            m11 = 1.0 / self.curv_f + ff
            det = m00 * m11 - bf * bf
            z_b = (m11 * sum_b - bf * sum_f) / det
            z_f = (m00 * sum_f - bf * sum_b) / det
        elif self.bandwidth_free:
            z_b = sum_b / (1.0 / self.curv_b + bb)
        elif self.compute_free:
            z_f = sum_f / (1.0 / self.curv_f + ff)
        for i in range(n):
            out[i, A] -= self.via_b[i, A] * z_b + self.via_f[i, A] * z_f
            out[i, B] -= self.via_b[i, B] * z_b + self.via_f[i, B] * z_f
            out[i, F] -= self.via_b[i, F] * z_b + self.via_f[i, F] * z_f

    # --- Newton's method and the barrier method ----------------------------------------------------------------
    def longest_step(self, phase_one: bool) -> float:
        """The largest step in ``(0, 1]`` that keeps the linear constraints strict, ``TO_BOUNDARY`` of the way."""
        n = self.n
        step = 1.0
        move_b = 0.0
        move_f = 0.0
        used_b = 0.0
        used_f = 0.0
        for i in range(n):
            db = self.step[i, B]
            df = self.step[i, F]
            move_b += db
            move_f += df
            used_b += self.b[i]
            used_f += self.f[i]
            if db < 0.0:
                step = min(step, -TO_BOUNDARY * self.b[i] / db)
            if df < 0.0:
                step = min(step, -TO_BOUNDARY * self.f[i] / df)
            if self.compute_free and df > 0.0:
                step = min(step, TO_BOUNDARY * (self.compute_cap - self.f[i]) / df)
            if not phase_one and not self.fixed[i]:
                da = self.step[i, A]
                if da < 0.0:
                    step = min(step, -TO_BOUNDARY * (self.a[i] - self.data_min[i]) / da)
                elif da > 0.0:
                    step = min(step, TO_BOUNDARY * (self.data_max[i] - self.a[i]) / da)
        if self.bandwidth_free and move_b > 0.0:
            step = min(step, TO_BOUNDARY * (self.bandwidth_total - used_b) / move_b)
        if self.compute_free and move_f > 0.0:
            step = min(step, TO_BOUNDARY * (self.compute_total - used_f) / move_f)
        return step

    def centre(self, phase_one: bool, t: float) -> None:
        """Newton's method on ``t * objective + barrier`` from the current point, with a backtracking line search.

        Near the centre (decrement below 1/4, where Newton's method converges quadratically) a step is accepted
        once it stays in the domain: comparing barrier values there would only compare rounding errors. For the
        same reason centring also ends, there, when the decrement stops shrinking quadratically (it has reached
        the rounding floor of ``t``'s magnitude).
        """
        last = _INF
        for _ in range(MAX_NEWTON):
            self.derivatives(phase_one, t)
            decrement = self.direction(phase_one)
            near = decrement < 0.0625
            if decrement * 0.5 <= CENTRED or (near and decrement > 0.25 * last):
                return
            last = decrement if near else _INF
            step = self.longest_step(phase_one)
            start = 0.0 if near else self.value(phase_one, t, 0.0)
            while True:
                trial = self.value(phase_one, t, step)
                if trial < _INF and (near or trial <= start - 0.25 * step * decrement):
                    break
                step *= 0.5
                if step < 1e-14:
                    if near:
                        return  # as centred as rounding allows
                    raise BarrierError("the line search found no decrease")
            self._move(step)
            self.newton_steps += 1
        raise BarrierError(f"Newton's method did not centre in {MAX_NEWTON} steps")

    def least_slack(self, tolerance: float) -> float:
        """Phase I from the current ``b``, ``f`` (strictly inside the budgets) with every ``a`` at ``data_min``.

        Returns the least log-slack ``s`` found: negative means the current point is strictly feasible. It stops
        as soon as the answer is certain: ``s - m / t > tolerance`` (infeasible: ``s* >= s - m / t``), or ``s < 0``
        with the gap under ``|s| / 2`` (feasible, and central enough to start from), or a gap under 1e-12.
        """
        worst = -_INF
        for i in range(self.n):
            self.a[i] = self.data_min[i]
            worst = max(worst, math.log(self.latency(i)) - math.log(self.deadline[i]))
        self.s = worst + 1.0
        m = self.terms(True)
        t = PHASE_ONE_START * m
        while True:
            self.centre(True, t)
            gap = m / t
            if self.s - gap > tolerance or (self.s < 0.0 and gap <= -0.5 * self.s) or gap < 1e-12:
                return self.s
            t *= T_GROWTH

    def relax_deadlines(self, margin: float) -> None:
        """Scale every deadline constraint (not the objective's ``T_max``) by ``e^margin``."""
        factor = math.exp(margin)
        for i in range(self.n):
            self.deadline[i] *= factor

    def optimise(self, relative_gap: float, least_gap: float, constant: float) -> None:
        """Phase II from phase I's strictly feasible point until the duality gap ``m / t`` is below
        ``relative_gap`` times the utility's magnitude (``constant - objective``: the objective leaves out the
        accuracies' constant ``sum w p``), or below ``least_gap``.

        Phase I leaves every task at its least data with room to its deadline; each free task starts halfway
        (in ``ln``) from there to its deadline or to its most data, whichever is nearer, so the start is strict.
        """
        for i in range(self.n):
            if not self.fixed[i]:
                room = math.log(self.deadline[i]) - math.log(self.latency(i))
                self.a[i] = self.data_min[i] + 0.5 * min(room, self.data_max[i] - self.data_min[i])
        m = self.terms(False)
        t = PHASE_TWO_START * m
        while True:
            self.centre(False, t)
            if m / t <= max(least_gap, relative_gap * abs(constant - self.objective())):
                return
            t *= T_GROWTH

    def objective(self) -> float:
        """``sum w q e^(-r a) + (1 - w) L / T_max`` at the current point (the utility is ``sum w p`` minus it)."""
        total = 0.0
        for i in range(self.n):
            total += self.accuracy_weight[i] * math.exp(-self.r[i] * self.a[i])
            total += self.latency_weight[i] * self.latency(i)
        return total

    def latency(self, i: int) -> float:
        """Task ``i``'s latency ``e^a (1 / R(b) + k / f)`` at the current point."""
        rate = self.b[i] * math.log1p(self.snr[i] / self.b[i]) / LN2
        return math.exp(self.a[i]) * (1.0 / rate + self.work[i] / self.f[i])

    def point(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The current data (Mbit), bandwidth (MHz) and compute (Gcycle/s), as new arrays."""
        return np.exp(np.asarray(self.a)), np.array(self.b, dtype=float), np.array(self.f, dtype=float)

    def _move(self, step: float) -> None:
        for i in range(self.n):
            self.a[i] += step * self.step[i, A]
            self.b[i] += step * self.step[i, B]
            self.f[i] += step * self.step[i, F]
        self.s += step * self.step_s


def _cholesky(h: np.ndarray, i: int) -> bool:
    """Factor task ``i``'s packed 3 × 3 block in place (lower Cholesky factor, same packing); False if not PD."""
    d0 = h[i, 0]
    if not d0 > 0.0:
        return False
    l00 = math.sqrt(d0)
    l10 = h[i, 1] / l00
    l20 = h[i, 2] / l00
    d1 = h[i, 3] - l10 * l10
    if not d1 > 0.0:
        return False
    l11 = math.sqrt(d1)
    l21 = (h[i, 4] - l20 * l10) / l11
    d2 = h[i, 5] - l20 * l20 - l21 * l21
    if not d2 > 0.0:
        return False
    h[i, 0] = l00
    h[i, 1] = l10
    h[i, 2] = l20
    h[i, 3] = l11
    h[i, 4] = l21
    h[i, 5] = math.sqrt(d2)
    return True


def _solve(factor: np.ndarray, i: int, rhs: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = (L L^T)^-1 rhs[i]`` for task ``i``'s factored block."""
    y0 = rhs[i, 0] / factor[i, 0]
    y1 = (rhs[i, 1] - factor[i, 1] * y0) / factor[i, 3]
    y2 = (rhs[i, 2] - factor[i, 2] * y0 - factor[i, 4] * y1) / factor[i, 5]
    x2 = y2 / factor[i, 5]
    x1 = (y1 - factor[i, 4] * x2) / factor[i, 3]
    out[i, 2] = x2
    out[i, 1] = x1
    out[i, 0] = (y0 - factor[i, 1] * x1 - factor[i, 2] * x2) / factor[i, 0]


def _solve_unit(factor: np.ndarray, i: int, k: int, out: np.ndarray) -> None:
    """``out[i] = (L L^T)^-1 e_k`` for task ``i``'s factored block."""
    y0 = 1.0 / factor[i, 0] if k == 0 else 0.0
    y1 = ((1.0 if k == 1 else 0.0) - factor[i, 1] * y0) / factor[i, 3]
    y2 = ((1.0 if k == 2 else 0.0) - factor[i, 2] * y0 - factor[i, 4] * y1) / factor[i, 5]
    x2 = y2 / factor[i, 5]
    x1 = (y1 - factor[i, 4] * x2) / factor[i, 3]
    out[i, 2] = x2
    out[i, 1] = x1
    out[i, 0] = (y0 - factor[i, 1] * x1 - factor[i, 2] * x2) / factor[i, 0]
