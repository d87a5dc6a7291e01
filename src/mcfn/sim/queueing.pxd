# C declarations for queueing.py, compiled by setup.py (Cython pure Python mode); queueing.py is the reference.

cimport cython
from mcfn.sim.engine cimport Simulator
from mcfn.sim.resources cimport ServerPool


@cython.final
cdef class _OpenStation:
    cdef Simulator _sim
    cdef ServerPool _pool
    cdef list _interarrival
    cdef list _service
    cdef list _arrival_s
    cdef object _arrived
    cdef object _finished
    cdef public list sojourn_s
    cdef public Py_ssize_t completed

    cpdef arrive(self, Py_ssize_t job)
    cpdef finish(self, Py_ssize_t job, double now)
