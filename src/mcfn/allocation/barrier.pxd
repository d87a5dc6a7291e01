# C declarations for barrier.py, compiled by setup.py (Cython pure Python mode); barrier.py is the reference.

cimport cython
from libc cimport math

cdef double LN2, _INF
cdef Py_ssize_t A, B, F
cdef double T_GROWTH, PHASE_ONE_START, PHASE_TWO_START, CENTRED, TO_BOUNDARY
cdef Py_ssize_t MAX_NEWTON


@cython.final
cdef class Barrier:
    cdef readonly Py_ssize_t n
    cdef double[::1] snr, work, deadline, latency_weight, accuracy_weight, r, data_min, data_max
    cdef unsigned char[::1] fixed
    cdef double[::1] a, b, f
    cdef double s
    cdef double bandwidth_total, compute_total, compute_cap
    cdef bint bandwidth_free, compute_free
    cdef readonly Py_ssize_t newton_steps
    cdef double[:, ::1] grad, hess, cross, step, rhs, via_b, via_f, via_s
    cdef double step_s, grad_s, hess_s, curv_b, curv_f

    @cython.locals(count=Py_ssize_t, i=Py_ssize_t)
    cpdef Py_ssize_t terms(self, bint phase_one)

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, total=double, used_b=double, used_f=double, s=double, a=double, b=double,
        f=double, x=double, rate=double, h=double, slack=double, latency=double,
    )
    cpdef double value(self, bint phase_one, double t, double step)

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, used_b=double, used_f=double, b=double, f=double, snr=double, log_term=double,
        rate=double, d_rate=double, dd_rate=double, u=double, du=double, ddu=double, v=double, dv=double,
        ddv=double, h=double, sigma=double, gb=double, gf=double, inv=double, ea=double, latency=double,
        lb=double, lf=double, scale=double, acc=double, ga=double, haa=double, low=double, high=double,
        cap=double, left=double,
    )
    cpdef derivatives(self, bint phase_one, double t)

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, bb=double, bf=double, ff=double, c_y=double, c_z=double, schur=double,
        decrement=double,
    )
    cpdef double direction(self, bint phase_one) except? -1.0

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, sum_b=double, sum_f=double, z_b=double, z_f=double, m00=double, m11=double,
        det=double,
    )
    cdef _woodbury(self, double bb, double bf, double ff, double[:, ::1] out)

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, step=double, move_b=double, move_f=double, used_b=double, used_f=double,
        db=double, df=double, da=double,
    )
    cpdef double longest_step(self, bint phase_one)

    @cython.locals(
        last=double, decrement=double, near=bint, step=double, start=double, trial=double, _=Py_ssize_t,
    )
    cpdef centre(self, bint phase_one, double t)

    @cython.locals(worst=double, i=Py_ssize_t, m=Py_ssize_t, t=double, gap=double)
    cpdef double least_slack(self, double tolerance) except? -1.0

    @cython.locals(factor=double, i=Py_ssize_t)
    cpdef relax_deadlines(self, double margin)

    @cython.locals(i=Py_ssize_t, room=double, m=Py_ssize_t, t=double)
    cpdef optimise(self, double relative_gap, double least_gap, double constant)

    @cython.locals(total=double, i=Py_ssize_t)
    cpdef double objective(self)

    @cython.locals(rate=double)
    cpdef double latency(self, Py_ssize_t i)

    @cython.locals(i=Py_ssize_t)
    cdef _move(self, double step)


@cython.locals(d0=double, l00=double, l10=double, l20=double, d1=double, l11=double, l21=double, d2=double)
cdef bint _cholesky(double[:, ::1] h, Py_ssize_t i)

@cython.locals(y0=double, y1=double, y2=double, x1=double, x2=double)
cdef void _solve(double[:, ::1] factor, Py_ssize_t i, double[:, ::1] rhs, double[:, ::1] out)

@cython.locals(y0=double, y1=double, y2=double, x1=double, x2=double)
cdef void _solve_unit(double[:, ::1] factor, Py_ssize_t i, Py_ssize_t k, double[:, ::1] out)
