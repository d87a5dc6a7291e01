# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The allocation problem's own interior-point method, on its small structured Newton systems.

Variables per task: ``a = ln alpha`` (data, ln Mbit), ``b`` (bandwidth, MHz) and ``f`` (compute, Gcycle/s).
Every task's latency is ``L = e^a h`` with ``h = 1 / R(b) + k / f``. ``1 / R`` is log-convex (``R`` is concave and
positive) and so is ``k / f``, so ``ln h`` (a sum of log-convex functions is log-convex) is convex, ``ln L = a +
ln h`` is convex and so is ``L``; the accuracy ``p - q e^(-r a)`` is concave. So the problem of
``docs/formats/allocation.md``,

    minimise   sum  -w (p - q e^(-r a)) + (1 - w) L / T_max + c e^a / R(b)
    subject to a + ln h <= ln T_max,  ln alpha_min <= a <= ln alpha_max,  f <= f_max,  sum b <= B,  sum f <= F,

is convex as it stands, without the epigraph variables a conic modelling layer needs (:mod:`mcfn.allocation.exact`
is that layer's form of it). The last term is the terminals' transmit energy weighed by the instance's
``energy_weight`` (``c = energy_weight · sending_w``, utility per second of upload; absent where the weight is 0):
``e^a / R(b)`` is the upload time, log-convex for the same reason as ``L``, so it is convex too, and its Hessian in
``(a, b)`` is ``e^a [[u, u'], [u', u'']]`` with ``u = 1 / R`` (positive semidefinite as ``u u'' >= u'^2``). The
deadline is taken in its log form, nearly linear in ``a``; the budgets stay linear.

Phase I (Boyd and Vandenberghe, *Convex Optimization*, 2004, §11.4) finds a strictly feasible point or proves there
is none: every task at its least data, minimise ``s`` subject to ``ln(L / T_max) <= s``, by the barrier method
(§11.3). The set is feasible iff the least ``s`` is at most ``ln(1 + tolerance)``. Phase II is the primal-dual
interior-point method (§11.7) with explicit slacks. Both solve the same Newton system: one 3 × 3 block per task
(Cholesky), the two budgets' rank-one terms (Sherman–Morrison–Woodbury, a 2 × 2 system), and in phase I the arrow
row of ``s`` (its Schur complement): ``O(N)`` work per step, no matrix of size ``N``.

A scheme fixes some variables (``fc`` the bandwidth, ``ac`` the compute, ``wcr`` the data; a task whose data range
is a point has its data fixed): a fixed variable keeps its value and its row of the Newton system is the identity.
Compiled by Cython where available (``barrier.pxd``); this file is also the Python reference.
"""

from __future__ import annotations

import math

import numpy as np

from mcfn.allocation.schemes import Formulation
from mcfn.network.radio import FloatArray

LN2 = math.log(2.0)
_INF = math.inf
_NAN = float("nan")  # (math.nan: compiled, the name of C's nan function)
#: Coordinates of a task: data, bandwidth, compute. A task's packed symmetric 3 × 3 block holds (0,0) (0,1) (0,2)
#: (1,1) (1,2) (2,2).
A, B, F = 0, 1, 2
#: Phase II's multipliers of each task's constraints, by column of ``duals``: deadline, least data, most data, VM cap.
DEADLINE, LOW, HIGH, CAP = 0, 1, 2, 3
#: Columns of a task's latency terms at a point (``_shape``'s, and ``ln h``, ``e^a``, ``e^(-r a)``, and the upload
#: time's ``u = 1 / R(b)``, ``u'``, ``u''`` for the energy term), as phase II keeps them for its current point and
#: its line search's trial.
H, GB, GF, HBB, HFF, LOG_H, EXP_A, EXP_RA, UP, UP_B, UP_BB = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
#: Phase I stops as soon as every deadline has this much room (log scale): a strictly feasible point is all it
#: needs to find.
FEASIBLE_MARGIN = 1e-3
#: Phase II's least starting slack of a constraint in ln units (deadlines, data bounds, the cap), and of a budget
#: as a share of it: phase I's point is strictly feasible, so this only guards against slacks lost to rounding.
SLACK_FLOOR = 1e-8
#: Factor by which phase I's barrier parameter ``t`` grows between centrings.
T_GROWTH = 30.0
#: First ``t`` of phase I and of phase II, per barrier term (the first duality gaps are 1 and 0.1; per-task
#: utilities are of order one).
PHASE_ONE_START = 1.0
PHASE_TWO_START = 10.0
#: Each primal-dual iteration aims at a duality gap this many times smaller (Boyd and Vandenberghe's mu).
GAP_SHRINK = 10.0
#: ... unless the last step was shorter than this: then it re-centres first (aims at the same gap).
RECENTRE_BELOW = 0.2
#: Phase II ends when the dual residual (the Lagrangian's gradient, whose terms are of order one) is below this,
#: and the gap small enough; rounding leaves it near 1e-9.
DUAL_RESIDUAL = 1e-7
#: ... and the primal residual (the constraints' ``g + w``, in ln units or MHz / Gcycle/s) below this. (The
#: reduced system's conditioning near a binding budget leaves both near 1e-8.)
PRIMAL_RESIDUAL = 1e-7
#: Phase I's Newton's method stops centring when half the squared Newton decrement is below this.
CENTRED = 1e-10
#: Steps stop short of a linear constraint's boundary, or of the multipliers' zero, by this fraction of the way.
TO_BOUNDARY = 0.99
#: Phase II refines its Newton solves once its residual is below this (near the optimum, where it matters).
REFINE_BELOW = 1e-3
#: A task whose data range is narrower than this (relative) has its data fixed.
POINT_RANGE = 1e-9
#: Most a bandwidth or a compute share may shrink in one step, as a share of it.
SHRINK_AT_MOST = 0.5
#: Newton steps allowed per centring (phase I) or in all (phase II) before the method gives up.
MAX_NEWTON = 200


class BarrierError(RuntimeError):
    """Newton's method could not make progress (a numerical failure, not a property of the problem)."""


class Barrier:
    """Work arrays and state of the method for problems of up to ``capacity`` tasks; see the module docstring.

    :meth:`pose` loads a :class:`~mcfn.allocation.schemes.Formulation` (solver units: Mbit, MHz, Gcycle/s, s; the
    variables its scheme fixes stay at their values), growing the arrays if it has more tasks; the arrays are kept
    for the next problem, since building them costs about as much as solving a base station's batch of two or
    three tasks. The current point is ``a``, ``b``, ``f`` (and ``s`` in phase I); ``objective`` is phase II's
    objective at the last point whose derivatives were taken (the module's ``f0``: the utility is ``sum w p`` minus
    it), ``newton_steps`` the steps taken since :meth:`pose`.
    """

    def __init__(self, capacity: int = 1) -> None:
        self.n = 0
        self.capacity = 0
        self._allocate(max(capacity, 1))

    def _allocate(self, capacity: int) -> None:
        self.capacity = capacity
        self.snr = np.empty(capacity)
        self.work = np.empty(capacity)
        self.deadline = np.empty(capacity)
        self.log_deadline = np.empty(capacity)
        self.latency_weight = np.empty(capacity)
        self.accuracy_weight = np.empty(capacity)
        self.r = np.empty(capacity)
        self.upload_cost = np.empty(capacity)
        self.data_min = np.empty(capacity)
        self.data_max = np.empty(capacity)
        self.data_top = np.empty(capacity)
        self.exp_at = np.empty(capacity)
        self.exp_a = np.empty(capacity)
        self.exp_ra = np.empty(capacity)
        self.fixed = np.empty(capacity, dtype=np.uint8)
        self.a = np.empty(capacity)
        self.b = np.empty(capacity)
        self.f = np.empty(capacity)
        self.here = np.empty((capacity, 11))
        self.trial = np.empty((capacity, 11))
        self.grad = np.empty((capacity, 3))
        self.hess = np.empty((capacity, 6))
        self.block = np.empty((capacity, 6))
        self.cross = np.empty((capacity, 3))
        self.step = np.empty((capacity, 3))
        self.via_b = np.empty((capacity, 3))
        self.via_f = np.empty((capacity, 3))
        self.via_s = np.empty((capacity, 3))
        self.along = np.empty((capacity, 2))
        self.gval = np.empty((capacity, 4))
        self.slack = np.empty((capacity, 4))
        self.slack_step = np.empty((capacity, 4))
        self.duals = np.empty((capacity, 4))
        self.dual_step = np.empty((capacity, 4))

    def pose(self, form: Formulation) -> None:
        """Load ``form``'s problem, at phase I's start (:meth:`pose_arrays`), with every work array and scalar reset."""
        tasks = form.tasks
        self.pose_arrays(
            tasks.n,
            (tasks.bandwidth_mhz, tasks.capacity_g, tasks.vm_capacity_g, tasks.weight),
            tasks.snr_mhz,
            tasks.compute_s_per_mbit_g,
            tasks.deadline_s,
            tasks.q,
            tasks.r,
            form.data_min_mbit,
            form.data_max_mbit,
            form.fixed_bandwidth_mhz,
            form.fixed_compute_g,
            tasks.upload_cost_per_s,
        )

    def pose_arrays(
        self,
        n: int,
        system: tuple[float, float, float, float],
        snr: FloatArray,
        work: FloatArray,
        deadline: FloatArray,
        q: FloatArray,
        r: FloatArray,
        data_min: FloatArray,
        data_max: FloatArray,
        bandwidth: FloatArray | None,
        compute: FloatArray | None,
        upload_cost: FloatArray | None,
    ) -> None:
        """:meth:`pose` from the first ``n`` entries of a formulation's arrays (they may be longer, so a caller can
        keep its own buffers) and its ``system``: the band (MHz), the compute budget and one VM's cap (Gcycle/s) and
        the utility's ``w``. The per-task constants: ``snr`` is ``P g / N0`` in MHz, ``work`` the compute seconds of
        1 Mbit on 1 Gcycle/s, ``q`` and ``r`` the accuracy curve's, ``data_min`` and ``data_max`` the data's bounds
        in Mbit, ``bandwidth`` and ``compute`` the values a scheme fixes, None where free, ``upload_cost`` the energy
        term's ``c`` per task, None where energy is not weighed; a task whose data range is narrower than
        ``POINT_RANGE`` has its data fixed. Phase I's start: free bandwidth and compute at ``n / (n + 1)`` of an
        equal share each, strictly inside the budgets."""
        if n > self.capacity:
            self._allocate(max(n, 2 * self.capacity))
        self.n = n
        self.bandwidth_total, self.compute_total, self.compute_cap, weight = system
        self.bandwidth_free = bandwidth is None
        self.compute_free = compute is None
        self.weighs_energy = upload_cost is not None
        for i in range(n):
            self.snr[i] = snr[i]
            self.work[i] = work[i]
            self.deadline[i] = deadline[i]
            self.log_deadline[i] = math.log(deadline[i])
            self.latency_weight[i] = (1.0 - weight) / deadline[i]
            self.accuracy_weight[i] = weight * q[i]
            self.r[i] = r[i]
            self.upload_cost[i] = upload_cost[i] if self.weighs_energy else 0.0
            self.data_top[i] = data_max[i]
            self.data_max[i] = math.log(data_max[i])
            self.fixed[i] = data_max[i] - data_min[i] <= POINT_RANGE * data_max[i]
            self.data_min[i] = self.data_max[i] if self.fixed[i] else math.log(data_min[i])
            self.a[i] = self.data_min[i]
            self.exp_at[i] = _NAN  # no exponentials kept for this problem yet
            self.b[i] = self.bandwidth_total / (n + 1) if self.bandwidth_free else bandwidth[i]
            self.f[i] = min(self.compute_cap, self.compute_total / n) * n / (n + 1) if self.compute_free else compute[i]
        self._reset()

    def _reset(self) -> None:
        self.newton_steps = 0
        self.s = 0.0
        self.cached = False
        self.here[:, :] = 0.0
        self.trial[:, :] = 0.0
        self.grad[:, :] = 0.0
        self.hess[:, :] = 0.0
        self.block[:, :] = 0.0
        self.cross[:, :] = 0.0
        self.step[:, :] = 0.0
        self.via_b[:, :] = 0.0
        self.via_f[:, :] = 0.0
        self.via_s[:, :] = 0.0
        self.along[:, :] = 0.0
        self.gval[:, :] = 0.0
        self.slack[:, :] = 1.0
        self.slack_step[:, :] = 0.0
        self.duals[:, :] = 0.0
        self.dual_step[:, :] = 0.0
        self.gval_b = 0.0
        self.gval_f = 0.0
        self.slack_step_b = 0.0
        self.slack_step_f = 0.0
        self.primal_residual = 0.0
        self.residual_here = 0.0
        self.objective = 0.0
        self.slack_b = 1.0
        self.slack_f = 1.0
        self.dual_b = 0.0
        self.dual_f = 0.0
        self.dual_step_b = 0.0
        self.dual_step_f = 0.0
        self.dual_residual = 0.0
        self.step_s = 0.0
        self.grad_s = 0.0
        self.hess_s = 0.0
        self.curv_b = 0.0
        self.curv_f = 0.0
        self.x_a = 0.0
        self.x_b = 0.0
        self.x_f = 0.0
        self.h = 0.0
        self.gb = 0.0
        self.gf = 0.0
        self.hbb = 0.0
        self.hff = 0.0
        self.at_b = 0.0
        self.at_f = 0.0
        self.u = 0.0
        self.du = 0.0
        self.ddu = 0.0
        self.energy = 0.0
        self.energy_b = 0.0
        self.energy_bb = 0.0

    # --- one task's latency ------------------------------------------------------------------------------------
    def _shape(self, i: int, b: float, f: float) -> None:
        """``h = 1 / R(b) + k / f`` of task ``i`` and the gradient ``(gb, gf)`` and diagonal second derivatives
        ``(hbb, hff)`` of ``ln h`` (its cross term is ``-gb gf``), and ``u = 1 / R(b)`` with its derivatives."""
        snr = self.snr[i]
        log_term = math.log1p(snr / b)
        rate = b * log_term / LN2
        d_rate = (log_term - snr / (b + snr)) / LN2
        dd_rate = -snr * snr / (b * (b + snr) * (b + snr)) / LN2
        u = 1.0 / rate
        du = -d_rate * u * u
        ddu = (2.0 * d_rate * d_rate - rate * dd_rate) * u * u * u
        v = self.work[i] / f
        self.h = u + v
        self.gb = du / self.h
        self.gf = -v / (f * self.h)
        self.hbb = ddu / self.h - self.gb * self.gb
        self.hff = 2.0 * v / (f * f * self.h) - self.gf * self.gf
        self.u = u
        self.du = du
        self.ddu = ddu

    def _shape_moved(self, i: int, step: float) -> bool:
        """:meth:`_shape` of task ``i`` at its bandwidth and compute moved ``step`` along the Newton direction (left
        in ``at_b``, ``at_f``); False, and no shape, where either would not be positive."""
        self.at_b = self.b[i] + step * self.step[i, B]
        self.at_f = self.f[i] + step * self.step[i, F]
        if self.at_b <= 0.0 or self.at_f <= 0.0:
            return False
        self._shape(i, self.at_b, self.at_f)
        return True

    def _keep(self, terms: np.ndarray, i: int, a: float) -> None:
        """Store ``_shape``'s terms of task ``i`` at data ``a`` in row ``i`` of ``terms``, with ``ln h``, ``e^a`` and
        ``e^(-r a)``. The exponentials are kept from the last ``a`` they were taken at (``exp_at``, NaN when none):
        a task whose data is fixed (every upload in progress, and every task in phase I) keeps its ``a`` through a
        solve, so they are taken once, not at every point and trial."""
        terms[i, H] = self.h
        terms[i, GB] = self.gb
        terms[i, GF] = self.gf
        terms[i, HBB] = self.hbb
        terms[i, HFF] = self.hff
        terms[i, LOG_H] = math.log(self.h)
        if a != self.exp_at[i]:
            self.exp_at[i] = a
            self.exp_a[i] = math.exp(a)
            self.exp_ra[i] = math.exp(-self.r[i] * a)
        terms[i, EXP_A] = self.exp_a[i]
        terms[i, EXP_RA] = self.exp_ra[i]
        terms[i, UP] = self.u
        terms[i, UP_B] = self.du
        terms[i, UP_BB] = self.ddu

    def _upload_energy(self, terms: np.ndarray, i: int) -> None:
        """The energy term ``c e^a u`` of task ``i`` at a point whose terms are row ``i`` of ``terms``, and its first
        and second derivatives in ``b`` (in ``a`` both equal the term), into ``energy``, ``energy_b``,
        ``energy_bb``."""
        scale = self.upload_cost[i] * terms[i, EXP_A]
        self.energy = scale * terms[i, UP]
        self.energy_b = scale * terms[i, UP_B]
        self.energy_bb = scale * terms[i, UP_BB]

    def latency(self, i: int) -> float:
        """Task ``i``'s latency ``e^a h`` at the current point."""
        self._shape(i, self.b[i], self.f[i])
        return math.exp(self.a[i]) * self.h

    # --- phase I: the barrier method on min s ------------------------------------------------------------------
    def least_slack(self, tolerance: float) -> float:
        """Phase I from the current ``b``, ``f`` (strictly inside the budgets) with every ``a`` at its least.

        Returns the least log-slack ``s`` found: negative means the current point is strictly feasible. It stops
        as soon as the answer is certain: ``s < -FEASIBLE_MARGIN`` at any Newton step (feasible, with room),
        ``s - m / t > tolerance`` after a centring (infeasible: ``s* >= s - m / t``), ``s < 0`` with the gap under
        ``|s| / 2``, or a gap under 1e-12.
        """
        worst = -_INF
        for i in range(self.n):
            self.a[i] = self.data_min[i]
            worst = max(worst, math.log(self.latency(i)) - self.log_deadline[i])
        self.s = worst + 1.0
        m = self.terms(True)
        t = PHASE_ONE_START * m
        while True:
            self.centre(t)
            gap = m / t
            if self.s < -FEASIBLE_MARGIN or self.s - gap > tolerance or (self.s < 0.0 and gap <= -0.5 * self.s):
                return self.s
            if gap < 1e-12:
                return self.s
            t *= T_GROWTH

    def terms(self, phase_one: bool) -> int:
        """Number of inequality constraints ``m`` (the duality gap on the central path is ``m / t``)."""
        # (conditionals, not int(): compiled, int() of a flag is a call on Python objects)
        per_budget = (1 if self.bandwidth_free else 0) + (1 if self.compute_free else 0)
        count = self.n * (2 if self.compute_free else 1) + per_budget
        if not phase_one:
            for i in range(self.n):
                count += 0 if self.fixed[i] else 2
        return count

    def centre(self, t: float) -> None:
        """Newton's method on phase I's ``t s + barrier`` from the current point, with a backtracking line search.

        It returns early once ``s < -FEASIBLE_MARGIN``: the point is then strictly feasible with room, all phase I
        is for. Near the centre (decrement below 1/4, where Newton's method converges quadratically) a step is accepted
        once it stays in the domain: comparing barrier values there would only compare rounding errors. For the
        same reason centring also ends, there, when the decrement stops shrinking quadratically.
        """
        last = _INF
        for _ in range(MAX_NEWTON):
            self.derivatives(True, t)
            decrement = self.direction(True)
            near = decrement < 0.0625
            if decrement * 0.5 <= CENTRED or (near and decrement > 0.25 * last):
                return
            last = decrement if near else _INF
            step = self.longest_step(True)
            start = 0.0 if near else self.value(t, 0.0)
            while True:
                trial = self.value(t, step)
                if trial < _INF and (near or trial <= start - 0.25 * step * decrement):
                    break
                step *= 0.5
                if step < 1e-14:
                    if near:
                        return  # as centred as rounding allows
                    raise BarrierError("the line search found no decrease")
            self._move(step)
            self.newton_steps += 1
            if self.s < -FEASIBLE_MARGIN:
                return  # phase I's question is answered
        raise BarrierError(f"Newton's method did not centre in {MAX_NEWTON} steps")

    def value(self, t: float, step: float) -> float:
        """Phase I's barrier objective at the current point moved ``step`` along the Newton direction; inf outside
        its domain."""
        s = self.s + step * self.step_s
        total = t * s
        used_b = 0.0
        used_f = 0.0
        for i in range(self.n):
            if not self._shape_moved(i, step):
                return _INF
            b = self.at_b
            f = self.at_f
            used_b += b
            used_f += f
            slack = s - (self.a[i] + math.log(self.h) - self.log_deadline[i])
            if slack <= 0.0:
                return _INF
            total -= math.log(slack)
            if self.compute_free:
                if f >= self.compute_cap:
                    return _INF
                total -= math.log(self.compute_cap - f)
        if self.bandwidth_free:
            if used_b >= self.bandwidth_total:
                return _INF
            total -= math.log(self.bandwidth_total - used_b)
        if self.compute_free:
            if used_f >= self.compute_total:
                return _INF
            total -= math.log(self.compute_total - used_f)
        return total

    # --- phase II: the primal-dual method ------------------------------------------------------------------------
    def relax_deadlines(self, margin: float) -> None:
        """Scale every deadline constraint (not the objective's ``T_max``) by ``e^margin``."""
        for i in range(self.n):
            self.log_deadline[i] += margin
            self.deadline[i] = math.exp(self.log_deadline[i])

    def optimise(self, relative_gap: float, least_gap: float, constant: float) -> None:
        """Phase II by the primal-dual interior-point method (Boyd and Vandenberghe §11.7) from phase I's point,
        with an explicit slack ``w_j`` for every constraint ``g_j(x) + w_j = 0`` (as in Wächter and Biegler's
        IPOPT, 2006): a step need only keep slacks, multipliers, bandwidths and compute positive, so the
        curvature of the deadlines never cuts it short. Ends when the dual and primal residuals are below
        ``DUAL_RESIDUAL`` and ``PRIMAL_RESIDUAL`` and the gap ``sum w lambda`` below ``relative_gap`` times the
        magnitude of the utility's terms (``constant + objective``: the accuracies' constant ``sum w p`` and what
        the objective subtracts from it), or below ``least_gap``.

        Phase I leaves every task at its least data with room to its deadline; each free task starts halfway
        (in ``ln``) from there to its deadline or to its most data, whichever is nearer; slacks start at ``-g``
        (at least ``SLACK_FLOOR``) and multipliers on the central path of ``t = PHASE_TWO_START m``. Each iteration
        sets ``t = GAP_SHRINK m / gap`` and takes the Newton step of the perturbed KKT system, reduced to the
        same structured solve as phase I's, with a backtracking search on the residual's norm. Where rounding
        stops the residual from shrinking with the point already within ten times the tolerances, that
        point is taken.
        """
        n = self.n
        for i in range(n):
            if not self.fixed[i]:
                room = self.log_deadline[i] - math.log(self.latency(i))
                self.a[i] = self.data_min[i] + 0.5 * min(room, self.data_max[i] - self.data_min[i])
        m = self.terms(False)
        t = PHASE_TWO_START * m
        self.derivatives(False, t)  # the constraints' values
        for i in range(n):
            for k in range(4):
                self.slack[i, k] = max(-self.gval[i, k], SLACK_FLOOR) if self._has(i, k) else 1.0
                self.duals[i, k] = 1.0 / (t * self.slack[i, k]) if self._has(i, k) else 0.0
        self.slack_b = max(-self.gval_b, SLACK_FLOOR * self.bandwidth_total) if self.bandwidth_free else 1.0
        self.slack_f = max(-self.gval_f, SLACK_FLOOR * self.compute_total) if self.compute_free else 1.0
        self.dual_b = 1.0 / (t * self.slack_b) if self.bandwidth_free else 0.0
        self.dual_f = 1.0 / (t * self.slack_f) if self.compute_free else 0.0
        best_gap = _INF
        stalled = 0
        step = 1.0
        for _ in range(MAX_NEWTON):
            gap = self._gap()
            t = (GAP_SHRINK if step >= RECENTRE_BELOW else 1.0) * m / gap
            self.derivatives(False, t)
            target = max(least_gap, relative_gap * (constant + self.objective))
            residual = self.residual_here
            if self.dual_residual <= DUAL_RESIDUAL and self.primal_residual <= PRIMAL_RESIDUAL and gap <= target:
                return
            near = (
                self.dual_residual <= 10.0 * DUAL_RESIDUAL
                and self.primal_residual <= 10.0 * PRIMAL_RESIDUAL
                and gap <= 10.0 * target
            )
            stalled = stalled + 1 if gap > 0.5 * best_gap else 0
            best_gap = min(best_gap, gap)
            if near and stalled >= 3:
                return  # rounding has stalled the gap (it shrinks tenfold every step or two until then)
            self.direction(False)
            step = min(self._dual_direction(t), self.longest_step(False))
            while True:
                trial = self.residual(t, step)
                if trial <= (1.0 - 0.01 * step) * residual:
                    break
                step *= 0.5
                if step < 1e-14:
                    if near:
                        return
                    raise BarrierError("the primal-dual line search found no decrease")
            self._move(step)
            self.here, self.trial = self.trial, self.here  # the trial's latency terms are the new point's
            self.cached = True
            for i in range(n):
                for k in range(4):
                    self.duals[i, k] += step * self.dual_step[i, k]
                    self.slack[i, k] += step * self.slack_step[i, k]
            self.dual_b += step * self.dual_step_b
            self.dual_f += step * self.dual_step_f
            self.slack_b += step * self.slack_step_b
            self.slack_f += step * self.slack_step_f
            self.newton_steps += 1
        raise BarrierError(f"the primal-dual method did not converge in {MAX_NEWTON} steps")

    def _has(self, i: int, k: int) -> bool:
        """Whether task ``i`` has constraint ``k`` (data bounds only if its data is free; the cap only if compute
        is)."""
        if k == DEADLINE:
            return True
        if k == CAP:
            return self.compute_free
        return not self.fixed[i]

    def _gap(self) -> float:
        """The surrogate duality gap ``sum w lambda``."""
        gap = self.slack_b * self.dual_b + self.slack_f * self.dual_f
        for i in range(self.n):
            for k in range(4):
                if self._has(i, k):
                    gap += self.slack[i, k] * self.duals[i, k]
        return gap

    def _dual_direction(self, t: float) -> float:
        """The slacks' and multipliers' steps for the current primal step: ``dw = -(g + w) - grad g^T dx`` and
        ``dl = -(l / w) dw - l + 1 / (t w)``; returns the largest step in ``(0, 1]`` that keeps both positive,
        ``TO_BOUNDARY`` of the way."""
        step = 1.0
        move_b = 0.0
        move_f = 0.0
        for i in range(self.n):
            da = self.step[i, A]
            db = self.step[i, B]
            df = self.step[i, F]
            move_b += db
            move_f += df
            for k in range(4):
                if not self._has(i, k):
                    self.dual_step[i, k] = 0.0
                    self.slack_step[i, k] = 0.0
                    continue
                if k == DEADLINE:
                    along = da + self.along[i, 0] * db + self.along[i, 1] * df
                elif k == LOW:
                    along = -da
                elif k == HIGH:
                    along = da
                else:
                    along = df
                self.slack_step[i, k] = -(self.gval[i, k] + self.slack[i, k]) - along
                step = _keep_positive(step, self.slack[i, k], self.slack_step[i, k])
                self.dual_step[i, k] = _dual_change(self.duals[i, k], self.slack[i, k], self.slack_step[i, k], t)
                step = _keep_positive(step, self.duals[i, k], self.dual_step[i, k])
        self.dual_step_b = 0.0
        self.dual_step_f = 0.0
        self.slack_step_b = 0.0
        self.slack_step_f = 0.0
        if self.bandwidth_free:
            self.slack_step_b = -(self.gval_b + self.slack_b) - move_b
            self.dual_step_b = _dual_change(self.dual_b, self.slack_b, self.slack_step_b, t)
            step = _keep_positive(_keep_positive(step, self.slack_b, self.slack_step_b), self.dual_b, self.dual_step_b)
        if self.compute_free:
            self.slack_step_f = -(self.gval_f + self.slack_f) - move_f
            self.dual_step_f = _dual_change(self.dual_f, self.slack_f, self.slack_step_f, t)
            step = _keep_positive(_keep_positive(step, self.slack_f, self.slack_step_f), self.dual_f, self.dual_step_f)
        return step

    def residual(self, t: float, step: float) -> float:
        """Norm of the primal-dual residual (dual, primal ``g + w`` and centrality ``w lambda - 1 / t``) at the
        current point, slacks and multipliers moved ``step`` along their directions. Leaves the dual and primal
        parts' norms in ``dual_residual`` and ``primal_residual``."""
        used_b = 0.0
        used_f = 0.0
        dual = 0.0
        primal = 0.0
        centrality = 0.0
        inv_t = 1.0 / t
        dual_b = self.dual_b + step * self.dual_step_b
        dual_f = self.dual_f + step * self.dual_step_f
        for i in range(self.n):
            if not self._shape_moved(i, step):
                return _INF
            a = self.a[i] + step * self.step[i, A]
            b = self.at_b
            f = self.at_f
            used_b += b
            used_f += f
            self._keep(self.trial, i, a)
            on_deadline = self.duals[i, DEADLINE] + step * self.dual_step[i, DEADLINE]
            w = self.slack[i, DEADLINE] + step * self.slack_step[i, DEADLINE]
            primal += (a + self.trial[i, LOG_H] - self.log_deadline[i] + w) ** 2
            centrality += (on_deadline * w - inv_t) ** 2
            cost = self.latency_weight[i] * self.trial[i, EXP_A] * self.h
            # the Lagrangian's gradient: the objective's, the deadline's (1, gb, gf) and the bounds' and budgets'
            r_b = (cost + on_deadline) * self.gb + dual_b if self.bandwidth_free else 0.0
            r_f = 0.0
            if self.compute_free:
                on_cap = self.duals[i, CAP] + step * self.dual_step[i, CAP]
                w = self.slack[i, CAP] + step * self.slack_step[i, CAP]
                primal += (f - self.compute_cap + w) ** 2
                centrality += (on_cap * w - inv_t) ** 2
                r_f = (cost + on_deadline) * self.gf + on_cap + dual_f
            r_a = 0.0
            if not self.fixed[i]:
                low = self.duals[i, LOW] + step * self.dual_step[i, LOW]
                high = self.duals[i, HIGH] + step * self.dual_step[i, HIGH]
                w = self.slack[i, LOW] + step * self.slack_step[i, LOW]
                primal += (self.data_min[i] - a + w) ** 2
                centrality += (low * w - inv_t) ** 2
                w = self.slack[i, HIGH] + step * self.slack_step[i, HIGH]
                primal += (a - self.data_max[i] + w) ** 2
                centrality += (high * w - inv_t) ** 2
                r_a = -self.r[i] * self.accuracy_weight[i] * self.trial[i, EXP_RA] + cost + on_deadline
                r_a += high - low
            if self.weighs_energy:
                self._upload_energy(self.trial, i)
                r_a += 0.0 if self.fixed[i] else self.energy
                r_b += self.energy_b if self.bandwidth_free else 0.0
            dual += r_a * r_a + r_b * r_b + r_f * r_f
        if self.bandwidth_free:
            w = self.slack_b + step * self.slack_step_b
            primal += (used_b - self.bandwidth_total + w) ** 2
            centrality += (dual_b * w - inv_t) ** 2
        if self.compute_free:
            w = self.slack_f + step * self.slack_step_f
            primal += (used_f - self.compute_total + w) ** 2
            centrality += (dual_f * w - inv_t) ** 2
        self.dual_residual = math.sqrt(dual)
        self.primal_residual = math.sqrt(primal)
        return math.sqrt(dual + primal + centrality)

    # --- the Newton system -------------------------------------------------------------------------------------
    def derivatives(self, phase_one: bool, t: float) -> None:
        """Gradient and Hessian blocks at the current (strictly feasible) point, and the slacks.

        Phase I: the barrier's, ``t s - sum ln(s - g_i) - ...`` with ``g_i = a_i + ln h_i - ln T_i``. Phase II: the
        primal-dual system's with slacks (times ``t``), the constraints' values ``gval``, the ``objective``
        ``sum w q e^(-r a) + (1 - w) L / T_max + c e^a u`` (the utility is ``sum w p`` minus it) and the residual here
        (``residual_here``, ``dual_residual``, ``primal_residual``: what ``residual(t, 0)`` gives).
        """
        n = self.n
        used_b = 0.0
        used_f = 0.0
        self.grad_s = t
        self.hess_s = 0.0
        self.objective = 0.0
        inv_t = 1.0 / t
        dual = 0.0
        primal = 0.0
        centrality = 0.0
        for i in range(n):
            b = self.b[i]
            f = self.f[i]
            used_b += b
            used_f += f
            if phase_one or not self.cached:
                self._shape(i, b, f)
                self._keep(self.here, i, self.a[i])
            gb = self.here[i, GB]
            gf = self.here[i, GF]
            self.along[i, 0] = gb
            self.along[i, 1] = gf
            if phase_one:
                # -ln(s - g): gradient grad g / sigma; Hessian hess g / sigma + grad g grad g^T / sigma^2; cross terms
                # with s -grad g / sigma^2, and 1 / sigma^2 on s
                sigma = self.s - (self.a[i] + self.here[i, LOG_H] - self.log_deadline[i])
                inv = 1.0 / sigma
                self.grad[i, A] = 0.0
                self.grad[i, B] = gb * inv
                self.grad[i, F] = gf * inv
                self.hess[i, 0] = 1.0
                self.hess[i, 1] = 0.0
                self.hess[i, 2] = 0.0
                self.hess[i, 3] = self.here[i, HBB] * inv + gb * gb * inv * inv
                self.hess[i, 4] = -gb * gf * inv + gb * gf * inv * inv
                self.hess[i, 5] = self.here[i, HFF] * inv + gf * gf * inv * inv
                self.cross[i, A] = 0.0
                self.cross[i, B] = -gb * inv * inv
                self.cross[i, F] = -gf * inv * inv
                self.grad_s -= inv
                self.hess_s += inv * inv
            else:
                # f0 = accuracy term + c L: grad L = L (1, gb, gf), hess L = L (g g^T + hess ln h); the deadline
                # g = a + ln h - ln T: gradient (1, gb, gf), Hessian hess ln h. Each constraint weighs its gradient
                # by t lambda (g + w) / w + 1 / w, its gradient's outer product by t lambda / w and its Hessian by
                # t lambda (the primal-dual system with slacks, times t)
                latency = self.here[i, EXP_A] * self.here[i, H]
                self.gval[i, DEADLINE] = self.a[i] + self.here[i, LOG_H] - self.log_deadline[i]
                on = self._weight(i, DEADLINE, t)
                cost = t * self.latency_weight[i] * latency
                curve = cost + t * self.duals[i, DEADLINE]  # on hess ln h
                outer = cost + t * self.duals[i, DEADLINE] / self.slack[i, DEADLINE]  # on g g^T
                acc = self.accuracy_weight[i] * self.here[i, EXP_RA]
                self.objective += acc + self.latency_weight[i] * latency
                ga = -t * self.r[i] * acc + cost + on
                haa = t * self.r[i] * self.r[i] * acc + outer
                if not self.fixed[i]:
                    self.gval[i, LOW] = self.data_min[i] - self.a[i]
                    self.gval[i, HIGH] = self.a[i] - self.data_max[i]
                    ga += self._weight(i, HIGH, t) - self._weight(i, LOW, t)
                    haa += t * (self.duals[i, LOW] / self.slack[i, LOW] + self.duals[i, HIGH] / self.slack[i, HIGH])
                # the residual here (as ``residual(t, 0)`` would give it)
                lam = self.duals[i, DEADLINE]
                spent = self.latency_weight[i] * latency
                primal += (self.gval[i, DEADLINE] + self.slack[i, DEADLINE]) ** 2
                centrality += (lam * self.slack[i, DEADLINE] - inv_t) ** 2
                r_b = (spent + lam) * gb + self.dual_b if self.bandwidth_free else 0.0
                r_f = (spent + lam) * gf + self.duals[i, CAP] + self.dual_f if self.compute_free else 0.0
                r_a = 0.0
                if not self.fixed[i]:
                    r_a = -self.r[i] * acc + spent + lam - self.duals[i, LOW] + self.duals[i, HIGH]
                    for k in range(LOW, CAP):
                        primal += (self.gval[i, k] + self.slack[i, k]) ** 2
                        centrality += (self.duals[i, k] * self.slack[i, k] - inv_t) ** 2
                self.grad[i, A] = ga
                self.grad[i, B] = (cost + on) * gb
                self.grad[i, F] = (cost + on) * gf
                self.hess[i, 0] = haa
                self.hess[i, 1] = outer * gb
                self.hess[i, 2] = outer * gf
                self.hess[i, 3] = outer * gb * gb + curve * self.here[i, HBB]
                self.hess[i, 4] = outer * gb * gf - curve * gb * gf
                self.hess[i, 5] = outer * gf * gf + curve * self.here[i, HFF]
                if self.weighs_energy:
                    # c e^a u: gradient (E, E_b, 0), Hessian [[E, E_b], [E_b, E_bb]] in (a, b) (times t)
                    self._upload_energy(self.here, i)
                    self.objective += self.energy
                    r_a += 0.0 if self.fixed[i] else self.energy
                    r_b += self.energy_b if self.bandwidth_free else 0.0
                    self.grad[i, A] += t * self.energy
                    self.grad[i, B] += t * self.energy_b
                    self.hess[i, 0] += t * self.energy
                    self.hess[i, 1] += t * self.energy_b
                    self.hess[i, 3] += t * self.energy_bb
                dual += r_a * r_a + r_b * r_b + r_f * r_f
            if self.compute_free:
                if phase_one:
                    cap = 1.0 / (self.compute_cap - f)
                    self.grad[i, F] += cap
                    self.hess[i, 5] += cap * cap
                else:
                    self.gval[i, CAP] = f - self.compute_cap
                    self.grad[i, F] += self._weight(i, CAP, t)
                    self.hess[i, 5] += t * self.duals[i, CAP] / self.slack[i, CAP]
                    primal += (self.gval[i, CAP] + self.slack[i, CAP]) ** 2
                    centrality += (self.duals[i, CAP] * self.slack[i, CAP] - inv_t) ** 2
        # the budgets, linear: -ln(B - sum b) has gradient 1 / S and Hessian 1 1^T / S^2; in phase II each weighs its
        # gradient as above and its outer product by t lambda / w. The rank-one part goes to the Woodbury correction.
        self.curv_b = 0.0
        self.curv_f = 0.0
        if self.bandwidth_free:
            self.gval_b = used_b - self.bandwidth_total
            on = _budget_weight(phase_one, t, self.gval_b, self.slack_b, self.dual_b)
            self.curv_b = _budget_curvature(phase_one, t, self.gval_b, self.slack_b, self.dual_b)
            for i in range(n):
                self.grad[i, B] += on
        if self.compute_free:
            self.gval_f = used_f - self.compute_total
            on = _budget_weight(phase_one, t, self.gval_f, self.slack_f, self.dual_f)
            self.curv_f = _budget_curvature(phase_one, t, self.gval_f, self.slack_f, self.dual_f)
            for i in range(n):
                self.grad[i, F] += on
        if not phase_one:
            if self.bandwidth_free:
                primal += (self.gval_b + self.slack_b) ** 2
                centrality += (self.dual_b * self.slack_b - inv_t) ** 2
            if self.compute_free:
                primal += (self.gval_f + self.slack_f) ** 2
                centrality += (self.dual_f * self.slack_f - inv_t) ** 2
            self.dual_residual = math.sqrt(dual)
            self.primal_residual = math.sqrt(primal)
            self.residual_here = math.sqrt(dual + primal + centrality)

    def _weight(self, i: int, k: int, t: float) -> float:
        """Phase II's weight on constraint ``k`` of task ``i``'s gradient (:func:`_gradient_weight`)."""
        return _gradient_weight(t, self.gval[i, k], self.slack[i, k], self.duals[i, k])

    def direction(self, phase_one: bool) -> float:
        """Newton step of the current derivatives into ``step`` (and ``step_s``); returns the squared decrement.

        The Hessian is ``blockdiag(H_i) + curv_b 1_b 1_b^T + curv_f 1_f 1_f^T`` (the budgets' rank-one terms; plus,
        in phase I, the arrow row of ``s``). Fixed coordinates get identity rows and
        zero gradient. Each block is factored once (Cholesky); the budgets' rank-one terms are applied by
        Sherman–Morrison–Woodbury and the arrow by its Schur complement.
        """
        n = self.n
        for i in range(n):
            if phase_one or self.fixed[i]:
                self._pin(i, A)
            if not self.bandwidth_free:
                self._pin(i, B)
            if not self.compute_free:
                self._pin(i, F)
            for k in range(6):
                self.block[i, k] = self.hess[i, k]
            if not self._factor(i):
                raise BarrierError("a Newton block is not positive definite")
        # the budgets' Woodbury columns: D^-1 e_b and D^-1 e_f, and U^T D^-1 U
        bb = bf = ff = 0.0
        for i in range(n):
            self._solve(i, 0.0, 1.0, 0.0)
            self.via_b[i, A] = self.x_a
            self.via_b[i, B] = self.x_b
            self.via_b[i, F] = self.x_f
            self._solve(i, 0.0, 0.0, 1.0)
            self.via_f[i, A] = self.x_a
            self.via_f[i, B] = self.x_b
            self.via_f[i, F] = self.x_f
            bb += self.via_b[i, B]
            bf += self.via_b[i, F]
            ff += self.via_f[i, F]
        self._woodbury(bb, bf, ff, self.grad, -1.0, self.step)
        if not phase_one and self.residual_here < REFINE_BELOW:
            # one step of iterative refinement: near the optimum the multipliers over tiny slacks make the system
            # ill-conditioned, and the residual of the solve, solved again, restores the digits lost
            self._refine(bb, bf, ff)
        self.step_s = 0.0
        if phase_one:
            # arrow: [K c; c^T d] [dx; ds] = -[g; g_s] with K the matrix above: dx = K^-1 (-g) - K^-1 c ds
            self._woodbury(bb, bf, ff, self.cross, 1.0, self.via_s)
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

    def _refine(self, bb: float, bf: float, ff: float) -> None:
        """``step += K^-1 (-grad - K step)``, with ``K`` the unfactored matrix (``block`` and the budgets' terms)."""
        n = self.n
        sum_b = 0.0
        sum_f = 0.0
        for i in range(n):
            sum_b += self.step[i, B]
            sum_f += self.step[i, F]
        for i in range(n):
            x_a = self.step[i, A]
            x_b = self.step[i, B]
            x_f = self.step[i, F]
            self.cross[i, A] = -self.grad[i, A] - (
                self.block[i, 0] * x_a + self.block[i, 1] * x_b + self.block[i, 2] * x_f
            )
            self.cross[i, B] = -self.grad[i, B] - (
                self.block[i, 1] * x_a + self.block[i, 3] * x_b + self.block[i, 4] * x_f
            )
            self.cross[i, F] = -self.grad[i, F] - (
                self.block[i, 2] * x_a + self.block[i, 4] * x_b + self.block[i, 5] * x_f
            )
            self.cross[i, B] -= self.curv_b * sum_b
            self.cross[i, F] -= self.curv_f * sum_f
        self._woodbury(bb, bf, ff, self.cross, 1.0, self.via_s)
        for i in range(n):
            self.step[i, A] += self.via_s[i, A]
            self.step[i, B] += self.via_s[i, B]
            self.step[i, F] += self.via_s[i, F]

    def _woodbury(self, bb: float, bf: float, ff: float, rhs: np.ndarray, sign: float, out: np.ndarray) -> None:
        """``out = (D + curv_b 1_b 1_b^T + curv_f 1_f 1_f^T)^-1 (sign rhs)`` with ``D`` the factored blocks."""
        n = self.n
        sum_b = 0.0
        sum_f = 0.0
        for i in range(n):
            self._solve(i, sign * rhs[i, A], sign * rhs[i, B], sign * rhs[i, F])
            out[i, A] = self.x_a
            out[i, B] = self.x_b
            out[i, F] = self.x_f
            sum_b += self.x_b
            sum_f += self.x_f
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

    def _pin(self, i: int, k: int) -> None:
        """Coordinate ``k`` of task ``i`` stays put: an identity row and column in its block, no gradient."""
        diagonal, first, second = (0, 1, 2) if k == A else ((3, 1, 4) if k == B else (5, 2, 4))
        self.grad[i, k] = 0.0
        self.cross[i, k] = 0.0
        self.hess[i, diagonal] = 1.0
        self.hess[i, first] = 0.0
        self.hess[i, second] = 0.0

    def _factor(self, i: int) -> bool:
        """Factor task ``i``'s packed 3 × 3 block in place (its lower Cholesky factor, same packing); False if it is
        not positive definite."""
        d0 = self.hess[i, 0]
        if not d0 > 0.0:
            return False
        l00 = math.sqrt(d0)
        l10 = self.hess[i, 1] / l00
        l20 = self.hess[i, 2] / l00
        d1 = self.hess[i, 3] - l10 * l10
        if not d1 > 0.0:
            return False
        l11 = math.sqrt(d1)
        l21 = (self.hess[i, 4] - l20 * l10) / l11
        d2 = self.hess[i, 5] - l20 * l20 - l21 * l21
        if not d2 > 0.0:
            return False
        self.hess[i, 0] = l00
        self.hess[i, 1] = l10
        self.hess[i, 2] = l20
        self.hess[i, 3] = l11
        self.hess[i, 4] = l21
        self.hess[i, 5] = math.sqrt(d2)
        return True

    def _solve(self, i: int, r_a: float, r_b: float, r_f: float) -> None:
        """``(x_a, x_b, x_f) = (L L^T)^-1 (r_a, r_b, r_f)`` with task ``i``'s factored block ``L``."""
        y0 = r_a / self.hess[i, 0]
        y1 = (r_b - self.hess[i, 1] * y0) / self.hess[i, 3]
        y2 = (r_f - self.hess[i, 2] * y0 - self.hess[i, 4] * y1) / self.hess[i, 5]
        self.x_f = y2 / self.hess[i, 5]
        self.x_b = (y1 - self.hess[i, 4] * self.x_f) / self.hess[i, 3]
        self.x_a = (y0 - self.hess[i, 1] * self.x_b - self.hess[i, 2] * self.x_f) / self.hess[i, 0]

    def longest_step(self, phase_one: bool) -> float:
        """The largest step in ``(0, 1]`` that keeps bandwidths and compute positive, and (phase I, which keeps its
        point feasible) the data bounds, the VM cap and the budgets strict, ``TO_BOUNDARY`` of the way; the
        deadlines are checked by the line search."""
        step = 1.0
        move_b = 0.0
        move_f = 0.0
        used_b = 0.0
        used_f = 0.0
        for i in range(self.n):
            db = self.step[i, B]
            df = self.step[i, F]
            step = _keep_within(_keep_within(step, self.b[i], db), self.f[i], df)
            if phase_one:
                move_b += db
                move_f += df
                used_b += self.b[i]
                used_f += self.f[i]
                if self.compute_free:
                    step = _keep_positive(step, self.compute_cap - self.f[i], -df)
        if phase_one and self.bandwidth_free:
            step = _keep_positive(step, self.bandwidth_total - used_b, -move_b)
        if phase_one and self.compute_free:
            step = _keep_positive(step, self.compute_total - used_f, -move_f)
        return step

    def _move(self, step: float) -> None:
        self.cached = False
        for i in range(self.n):
            self.a[i] += step * self.step[i, A]
            self.b[i] += step * self.step[i, B]
            self.f[i] += step * self.step[i, F]
        self.s += step * self.step_s

    def point(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The current data (Mbit; a fixed task's exactly, not ``e^(ln alpha)``), bandwidth (MHz) and compute
        (Gcycle/s), as new arrays."""
        out = np.empty((3, self.n))
        self.point_into(out)
        return out[0], out[1], out[2]

    def point_into(self, values: np.ndarray) -> None:
        """:meth:`point` into the first ``n`` columns of the rows of ``values`` (a caller's buffer)."""
        for i in range(self.n):
            values[0, i] = self.data_top[i] if self.fixed[i] else math.exp(self.a[i])
            values[1, i] = self.b[i]
            values[2, i] = self.f[i]


def _keep_positive(step: float, value: float, change: float) -> float:
    """``step``, shortened so that ``value + step * change`` stays ``1 - TO_BOUNDARY`` of ``value`` above zero."""
    if change < 0.0:
        return min(step, -TO_BOUNDARY * value / change)
    return step


def _keep_within(step: float, value: float, change: float) -> float:
    """``step``, shortened so that ``value + step * change`` keeps at least ``1 - SHRINK_AT_MOST`` of ``value``: a
    bandwidth or compute share that shrank more in one step would take the deadline's linearisation out of its
    range (``ln h`` grows without bound as they vanish)."""
    if change < 0.0:
        return min(step, -SHRINK_AT_MOST * value / change)
    return step


def _dual_change(dual: float, slack: float, slack_change: float, t: float) -> float:
    """A multiplier's Newton step from its slack's: ``w dl + l dw = 1 / t - w l``."""
    return (1.0 / t - dual * slack_change) / slack - dual


def _gradient_weight(t: float, value: float, slack: float, dual: float) -> float:
    """Phase II's weight on a constraint's gradient, ``t lambda (g + w) / w + 1 / w`` (the primal-dual system with
    slacks, times ``t``; ``1 / w`` where ``g + w = 0``, as the barrier's)."""
    return t * dual * (value + slack) / slack + 1.0 / slack


def _budget_weight(phase_one: bool, t: float, value: float, slack: float, dual: float) -> float:
    """A budget's weight on its gradient (all ones): the barrier's ``1 / (B - sum)`` in phase I, else
    :func:`_gradient_weight`."""
    return -1.0 / value if phase_one else _gradient_weight(t, value, slack, dual)


def _budget_curvature(phase_one: bool, t: float, value: float, slack: float, dual: float) -> float:
    """A budget's weight on its rank-one term: ``1 / (B - sum)^2`` in phase I, ``t lambda / w`` in phase II."""
    return 1.0 / (value * value) if phase_one else t * dual / slack
