# C declarations for view.py, compiled by setup.py (Cython pure Python mode); view.py is the reference.

cimport cython
from libc.stdint cimport int64_t


@cython.final
cdef class Estimate:
    cdef readonly object queue_flops
    cdef readonly object busy_vms
    cdef readonly object speed_flops_per_s
    cdef readonly object age_s


@cython.final
cdef class AwareView:
    cdef object _fleet
    cdef Py_ssize_t _advert_bytes
    cdef readonly object sent_s
    cdef readonly object queue_flops
    cdef readonly object busy_vms
    cdef readonly object nominal_flops_per_s
    cdef readonly object speed_flops_per_s
    cdef readonly object arrival_flops_per_s
    cdef double[::1] _sent
    cdef double[::1] _queue
    cdef int64_t[::1] _busy
    cdef double[::1] _nominal
    cdef double[::1] _speed
    cdef double[::1] _arrival
    cdef public Py_ssize_t adverts_received
    cdef public Py_ssize_t probes
    cdef public Py_ssize_t bytes_received
    cdef readonly Py_ssize_t version
    cdef Py_ssize_t _drift_version
    cdef object _drift_flops_per_s
    cdef Py_ssize_t _steady_version
    cdef double _steady_from_s

    @cython.locals(j=Py_ssize_t)
    cpdef bint receive(self, object advert, bint probe=*) except -1
    cpdef bint store(
        self, Py_ssize_t j, double sent_s, double queue_flops, Py_ssize_t busy_vms, double speed_flops_per_s,
        double arrival_flops_per_s=*,
    ) except -1
    @cython.locals(n=Py_ssize_t, j=Py_ssize_t, out="double[::1]", drift=double)
    cpdef queue_s(self, double now_s)
    cpdef double steady_from_s(self) except? -1.0
    cpdef _drift(self)


cdef inline double _age(double now_s, double sent_s) noexcept
cdef inline double _backlog(double queue_flops, double drift_flops_per_s, double age_s) noexcept


@cython.locals(
    n=Py_ssize_t, j=Py_ssize_t, queue="const double[:]", drift="const double[:]", sent="const double[:]",
    a="double[::1]", q="double[::1]",
)
cpdef tuple _extrapolated(object queue_flops, object drift_flops_per_s, object sent_s, double now_s)


@cython.locals(
    queue="const double[:]", drift="const double[:]", sent="const double[:]", n=Py_ssize_t, draining=Py_ssize_t,
    at_s=double, j=Py_ssize_t, drained_s=double, settled=bint,
)
cpdef double _settled_from_s(object queue_flops, object drift_flops_per_s, object sent_s) except? -1.0
