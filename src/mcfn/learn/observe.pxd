# C declarations for observe.py, compiled by setup.py (Cython pure Python mode); observe.py is the reference.

cimport cython
from libc.stdint cimport int64_t
from mcfn.awareness.view cimport AwareView
from mcfn.orchestration.choice cimport Choice
from mcfn.routing.router cimport Router, StagedRoute


cdef double _clip(double value)


@cython.final
cdef class Observer:
    cdef readonly tuple menus
    cdef readonly str layout
    cdef readonly double weight
    cdef readonly Py_ssize_t levels
    cdef readonly Py_ssize_t slots
    cdef readonly Py_ssize_t task_size
    cdef Py_ssize_t _nodes
    cdef const int64_t[:, ::1] _order
    cdef const double[:, :, ::1] _path
    cdef const double[:, :, ::1] _ways
    cdef const double[:, ::1] _latency_a
    cdef const double[:, ::1] _latency_b
    cdef const unsigned char[:, ::1] _allowed
    cdef const double[:, :, ::1] _task_rows
    cdef const double[::1] _data_bits
    cdef const double[::1] _deadline

    @cython.locals(
        deadline=double,
        upload_s=double,
        width=Py_ssize_t,
        n=Py_ssize_t,
        slots=Py_ssize_t,
        out_task=cython.float[::1],
        out=cython.float[:, ::1],
        out_ways=cython.float[:, ::1],
        out_mask=cython.uchar[::1],
        free=cython.double[:, ::1],
        sent=cython.double[::1],
        vm_slots="const int64_t[:]",
        i=Py_ssize_t,
        j=Py_ssize_t,
        k=Py_ssize_t,
        earliest=double,
        busy=Py_ssize_t,
        at=double,
        latency=double,
        allowed=Py_ssize_t,
    )
    cpdef tuple observe(self, AwareView view, Py_ssize_t service, Py_ssize_t station, double uplink_bps, double now_s)


@cython.final
cdef class LearnedChoices:
    cdef Router _router
    cdef object _policy
    cdef tuple _menus
    cdef double _weight
    cdef public object decide

    @cython.locals(
        i=Py_ssize_t, c=Py_ssize_t, seconds_per_ratio=double, upload_s=double, route=StagedRoute, latency=double,
        accuracy=double, feasible=bint, w=double, utility=double,
    )
    cpdef Choice choose(self, Py_ssize_t service, Py_ssize_t station, double uplink_bps, double now_s)
