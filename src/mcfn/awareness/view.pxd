# C declarations for view.py, compiled by setup.py (Cython pure Python mode); view.py is the reference.

cimport cython


@cython.final
cdef class Estimate:
    cdef readonly object queue_flops
    cdef readonly object busy_vms
    cdef readonly object speed_flops_per_s
    cdef readonly object age_s


@cython.locals(
    n=Py_ssize_t, j=Py_ssize_t, queue="const double[:]", drift="const double[:]", sent="const double[:]",
    a="double[::1]", q="double[::1]", since=double, left=double,
)
cpdef tuple _extrapolated(object queue_flops, object drift_flops_per_s, object sent_s, double now_s)


@cython.locals(
    queue="const double[:]", drift="const double[:]", sent="const double[:]", n=Py_ssize_t, draining=Py_ssize_t,
    at_s=double, j=Py_ssize_t, drained_s=double, settled=bint, since=double, left=double,
)
cpdef double _settled_from_s(object queue_flops, object drift_flops_per_s, object sent_s) except? -1.0
