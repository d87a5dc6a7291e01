# C declarations for barrier.py, compiled by setup.py (Cython pure Python mode); barrier.py is the reference.

cimport cython
from libc cimport math

cdef double LN2, _INF, _NAN
cdef Py_ssize_t A, B, F, DEADLINE, LOW, HIGH, CAP, H, GB, GF, HBB, HFF, LOG_H, EXP_A, EXP_RA, UP, UP_B, UP_BB
cdef double T_GROWTH, PHASE_ONE_START, PHASE_TWO_START, GAP_SHRINK, RECENTRE_BELOW, DUAL_RESIDUAL, PRIMAL_RESIDUAL, CENTRED
cdef double TO_BOUNDARY, FEASIBLE_MARGIN, SLACK_FLOOR, SHRINK_AT_MOST, REFINE_BELOW, POINT_RANGE
cdef Py_ssize_t MAX_NEWTON


@cython.final
cdef class Barrier:
    cdef readonly Py_ssize_t n, capacity
    cdef double[::1] snr, work, deadline, log_deadline, latency_weight, accuracy_weight, r, data_min, data_max
    cdef double[::1] upload_cost
    cdef double[::1] data_top, exp_at, exp_a, exp_ra
    cdef unsigned char[::1] fixed
    cdef double[::1] a, b, f
    cdef double s
    cdef double bandwidth_total, compute_total, compute_cap
    cdef bint bandwidth_free, compute_free, weighs_energy
    cdef readonly Py_ssize_t newton_steps
    cdef double[:, ::1] here, trial
    cdef bint cached
    cdef double[:, ::1] grad, hess, block, cross, step, via_b, via_f, via_s, along, gval, slack, slack_step, duals, dual_step
    cdef double gval_b, gval_f, slack_b, slack_f, slack_step_b, slack_step_f, dual_b, dual_f, dual_step_b, dual_step_f
    cdef double dual_residual, primal_residual, residual_here
    cdef readonly double objective
    cdef double step_s, grad_s, hess_s, curv_b, curv_f, x_a, x_b, x_f, h, gb, gf, hbb, hff, at_b, at_f
    cdef double u, du, ddu, energy, energy_b, energy_bb

    cpdef _allocate(self, Py_ssize_t capacity)

    cpdef pose(self, form)

    @cython.locals(weight=double, i=Py_ssize_t)
    cpdef pose_arrays(
        self, Py_ssize_t n, tuple system, double[:] snr, double[:] work, double[:] deadline, double[:] q, double[:] r,
        double[:] data_min, double[:] data_max, double[:] bandwidth, double[:] compute, double[:] upload_cost,
    )

    cdef void _reset(self) noexcept

    @cython.locals(
        snr=double, log_term=double, rate=double, d_rate=double, dd_rate=double, u=double, du=double, ddu=double,
        v=double,
    )
    cdef void _shape(self, Py_ssize_t i, double b, double f) noexcept

    cdef bint _shape_moved(self, Py_ssize_t i, double step) noexcept

    cdef void _keep(self, double[:, ::1] terms, Py_ssize_t i, double a) noexcept

    @cython.locals(scale=double)
    cdef void _upload_energy(self, double[:, ::1] terms, Py_ssize_t i) noexcept

    cpdef double latency(self, Py_ssize_t i)

    @cython.locals(worst=double, i=Py_ssize_t, m=Py_ssize_t, t=double, gap=double)
    cpdef double least_slack(self, double tolerance) except? -1.0

    @cython.locals(per_budget=Py_ssize_t, count=Py_ssize_t, i=Py_ssize_t)
    cpdef Py_ssize_t terms(self, bint phase_one)

    @cython.locals(last=double, decrement=double, near=bint, step=double, start=double, trial=double, _=Py_ssize_t)
    cpdef centre(self, double t)

    @cython.locals(
        s=double, total=double, used_b=double, used_f=double, i=Py_ssize_t, b=double, f=double, slack=double,
    )
    cpdef double value(self, double t, double step)

    @cython.locals(i=Py_ssize_t)
    cpdef relax_deadlines(self, double margin)

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, k=Py_ssize_t, room=double, m=Py_ssize_t, t=double, gap=double, target=double,
        residual=double, step=double, trial=double, _=Py_ssize_t, best_gap=double, stalled=Py_ssize_t, near=bint,
    )
    cpdef optimise(self, double relative_gap, double least_gap, double constant)

    cdef bint _has(self, Py_ssize_t i, Py_ssize_t k) noexcept

    @cython.locals(gap=double, i=Py_ssize_t, k=Py_ssize_t)
    cdef double _gap(self) noexcept

    @cython.locals(
        step=double, move_b=double, move_f=double, i=Py_ssize_t, k=Py_ssize_t, da=double, db=double, df=double,
        along=double,
    )
    cdef double _dual_direction(self, double t) noexcept

    @cython.locals(
        used_b=double, used_f=double, dual=double, primal=double, centrality=double, inv_t=double, dual_b=double,
        dual_f=double, i=Py_ssize_t, a=double, b=double, f=double, w=double,
        on_deadline=double, cost=double, r_b=double, r_f=double, on_cap=double, r_a=double, low=double, high=double,
    )
    cpdef double residual(self, double t, double step)

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, used_b=double, used_f=double, b=double, f=double, gb=double, gf=double,
        sigma=double, inv=double, latency=double, on=double, cost=double, curve=double, outer=double, acc=double,
        ga=double, haa=double, cap=double, inv_t=double, dual=double, primal=double, centrality=double, lam=double,
        spent=double, r_a=double, r_b=double, r_f=double, k=Py_ssize_t,
    )
    cpdef derivatives(self, bint phase_one, double t)

    cdef double _weight(self, Py_ssize_t i, Py_ssize_t k, double t) noexcept

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, k=Py_ssize_t, bb=double, bf=double, ff=double, c_y=double, c_z=double,
        schur=double, decrement=double,
    )
    cpdef double direction(self, bint phase_one) except? -1.0

    @cython.locals(n=Py_ssize_t, i=Py_ssize_t, sum_b=double, sum_f=double, x_a=double, x_b=double, x_f=double)
    cdef _refine(self, double bb, double bf, double ff)

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, sum_b=double, sum_f=double, z_b=double, z_f=double, m00=double, m11=double,
        det=double,
    )
    cdef _woodbury(self, double bb, double bf, double ff, double[:, ::1] rhs, double sign, double[:, ::1] out)

    @cython.locals(diagonal=Py_ssize_t, first=Py_ssize_t, second=Py_ssize_t)
    cdef void _pin(self, Py_ssize_t i, Py_ssize_t k) noexcept

    @cython.locals(d0=double, l00=double, l10=double, l20=double, d1=double, l11=double, l21=double, d2=double)
    cdef bint _factor(self, Py_ssize_t i) noexcept

    @cython.locals(y0=double, y1=double, y2=double)
    cdef void _solve(self, Py_ssize_t i, double r_a, double r_b, double r_f) noexcept

    @cython.locals(
        step=double, move_b=double, move_f=double, used_b=double, used_f=double, i=Py_ssize_t, db=double, df=double,
    )
    cpdef double longest_step(self, bint phase_one)

    @cython.locals(i=Py_ssize_t)
    cdef _move(self, double step)

    cpdef tuple point(self)

    @cython.locals(i=Py_ssize_t)
    cpdef point_into(self, double[:, ::1] values)


cdef double _keep_positive(double step, double value, double change) noexcept

cdef double _dual_change(double dual, double slack, double slack_change, double t) noexcept

cdef double _keep_within(double step, double value, double change) noexcept

cdef double _gradient_weight(double t, double value, double slack, double dual) noexcept

cdef double _budget_weight(bint phase_one, double t, double value, double slack, double dual) noexcept

cdef double _budget_curvature(bint phase_one, double t, double value, double slack, double dual) noexcept
