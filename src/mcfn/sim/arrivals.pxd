# C declarations for arrivals.py, compiled by setup.py (Cython pure Python mode); arrivals.py is the reference.

cimport cython
from mcfn.sim.engine cimport Simulator


@cython.final
cdef class Arrivals:
    cdef Simulator _sim
    cdef object _on_arrival
    cdef double _until_s
    cdef Py_ssize_t _terminals
    cdef list _exponential
    cdef object _rng
    cdef object _work_rng
    cdef list _poisson
    cdef double _total_rate
    cdef object _service_p
    cdef list _batch
    cdef object _poisson_event

    @cython.locals(gap=double, service=Py_ssize_t, terminal=Py_ssize_t, scale=double, at_s=double)
    cdef _next_poisson(self)
    cpdef _poisson_arrival(self, Py_ssize_t service, Py_ssize_t terminal, double scale)
