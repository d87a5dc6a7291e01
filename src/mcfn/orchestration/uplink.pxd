# C declarations for uplink.py, compiled by setup.py (Cython pure Python mode); uplink.py is the reference.

cimport cython
from libc cimport math
from mcfn.allocation cimport kernels
from mcfn.allocation.barrier cimport Barrier
from mcfn.allocation.fast cimport optimum
from mcfn.routing.router cimport Route, StagedRoute

cdef double REFERENCE_HZ, NEGLIGIBLE_CYCLES_PER_BIT, _G_PER_REFERENCE, _NEGLIGIBLE_WORK
cdef double _FLOOR_OUT_OF_REACH, _TOO_LATE
cdef Py_ssize_t _COLUMNS, _INPUTS


@cython.final
cdef class UplinkBatch:
    cdef readonly Py_ssize_t n, capacity
    cdef tuple _servers
    cdef object _system
    cdef Py_ssize_t[::1] _slots, _busy, _count
    cdef double[::1] _degradation
    cdef double _band_mhz, _weight, _bandwidth_hz, _least_ratio, _energy_weight, _upload_power_w
    cdef double[::1] _least
    cdef double[:, ::1] _point, _si
    cdef bint _fast
    cdef Barrier _barrier
    cdef object _inputs_array, _kinds_array, _table_array
    cdef double[:, ::1] _inputs, _table
    cdef Py_ssize_t[:, ::1] _kinds
    cdef readonly double[:] bandwidth_hz, compression, share

    cpdef _grow(self, Py_ssize_t capacity)

    cpdef clear(self)

    @cython.locals(i=Py_ssize_t, row=double[:, ::1])
    cpdef add(
        self, double snr_hz, double data_bits, double vm_s, bint scales, Py_ssize_t server, double p, double q,
        double r, double min_accuracy, double deadline_s, double overhead_s, bint fixed,
    )

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t, row=double[:, ::1], kind=Py_ssize_t[:, ::1], columns=double[:, ::1],
        count=Py_ssize_t[::1], joules=double, fixed=bint, deadline=double, cap=double, seconds=double, scaled=bint,
        budget=double, k=double, data=double,
    )
    cdef _fill(self)

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, t=double[:, ::1], ratio=double, least=double[::1], point=double[:, ::1],
        si=double[:, ::1],
    )
    cpdef bint solve(self) except -1

    cpdef bint _general(self) except -1

    @cython.locals(
        row=double[:, ::1], kind=Py_ssize_t[:, ::1], j=Py_ssize_t, _=double, seconds=double, scaled=bint,
        budget=double, k=double,
    )
    cpdef double lone(self) except? -3.0


@cython.locals(first=Route)
cpdef double overhead_s(StagedRoute route) except? -1.0


@cython.locals(free=Py_ssize_t, cap=double, seconds=double, scaled=bint, budget=double)
cdef (double, double, bint, double, double) _row_terms(
    Py_ssize_t vm_slots, Py_ssize_t busy_vms, double degradation, double vm_s, bint scales, bint fixed,
    double deadline_s, double overhead, Py_ssize_t m,
)


@cython.locals(n=Py_ssize_t, i=Py_ssize_t, total=double)
cdef double _total(double[:] values) except? -1.0


cdef double _share(double cap, double compute_hz)


cpdef tuple _terms(u, server, Py_ssize_t m)


@cython.locals(rate=double, per_bit_s=double, headroom=double, floor_bits=double, low=double, high=double,
               cost=double, best=double, floor=double)
cdef double _lone_core(
    double snr_hz, double data, double p, double q, double r, double min_accuracy, double seconds, bint scaled,
    double budget, double k, double w, double bandwidth, double min_compression, double energy_weight,
    double upload_power_w,
)


@cython.locals(
    n=Py_ssize_t, i=Py_ssize_t, values=double[:, ::1], share=double, cap=double[:], seconds=double[:],
    compute=double[:], compression=double[:],
)
cpdef tuple _shares(posed, solved)
