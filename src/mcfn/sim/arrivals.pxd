# C declarations for arrivals.py, compiled by setup.py (Cython pure Python mode); arrivals.py is the reference.

cimport cython
from libc.stdint cimport int64_t
from mcfn.sim.engine cimport Handler, Simulator


# not final: Cython refuses a final class its override of a base class's cpdef method (handle)
cdef class Arrivals(Handler):
    cdef Simulator _sim
    cdef object _on_arrival
    cdef double _until_s
    cdef Py_ssize_t _terminals
    cdef list _exponential
    cdef object _rng
    cdef object _work_rng
    cdef object _poisson
    cdef double _total_rate
    cdef object _service_p
    cdef Py_ssize_t _drawn
    cdef double[::1] _batch_gaps
    cdef int64_t[::1] _batch_services
    cdef int64_t[::1] _batch_terminals
    cdef double[::1] _batch_scales

    @cython.locals(i=Py_ssize_t, n=Py_ssize_t, at_s=double)
    cdef _next_poisson(self)
    @cython.locals(service=Py_ssize_t, terminal=Py_ssize_t, scale=double)
    cpdef handle(self, Py_ssize_t job)
