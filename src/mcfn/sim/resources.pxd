# C declarations for resources.py, compiled by setup.py (Cython pure Python mode); resources.py is the reference.

cimport cython
from mcfn.sim.engine cimport Simulator


@cython.final
cdef class ServerPool:
    cdef Simulator _sim
    cdef object _queue
    cdef object _finished
    cdef Py_ssize_t _busy
    cdef Py_ssize_t _in_system
    cdef double _area
    cdef double _last_change_s
    cdef public Py_ssize_t servers
    cdef public double busy_area

    cpdef submit(self, double service_s, object job, object on_done)
    cpdef _finish(self, object job, object on_done)
