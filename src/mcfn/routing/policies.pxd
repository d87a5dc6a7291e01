# C declarations for policies.py, compiled by setup.py (Cython pure Python mode); policies.py is the reference.

cimport cython
from mcfn.routing.costs cimport CandidateCosts


@cython.locals(n=Py_ssize_t, i=Py_ssize_t, within=bint, best=Py_ssize_t, least=double, value=double, inf=double)
cpdef Py_ssize_t _argmin_within(const double[:] values, const unsigned char[:] mask) except -1


@cython.final
cdef class ComputeAware:
    cpdef Py_ssize_t choose(self, CandidateCosts costs) except -1


@cython.final
cdef class NearestEdge:
    cpdef Py_ssize_t choose(self, CandidateCosts costs) except -1


@cython.final
cdef class LeastLoaded:
    cpdef Py_ssize_t choose(self, CandidateCosts costs) except -1


@cython.final
cdef class CloudOnly:
    cpdef Py_ssize_t choose(self, CandidateCosts costs) except -1


@cython.final
cdef class RoundRobin:
    cdef Py_ssize_t _turn

    cpdef Py_ssize_t choose(self, CandidateCosts costs) except -1


@cython.final
cdef class Random:
    cdef object _rng

    cpdef Py_ssize_t choose(self, CandidateCosts costs) except -1
