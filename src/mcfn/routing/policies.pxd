# C declarations for policies.py, compiled by setup.py (Cython pure Python mode); policies.py is the reference.

cimport cython
from mcfn.routing.costs cimport CandidateCosts


@cython.locals(i=Py_ssize_t)
cdef bint _any(const unsigned char[:] mask)


@cython.locals(n=Py_ssize_t, i=Py_ssize_t, within=bint, best=Py_ssize_t, least=double, value=double, inf=double)
cpdef Py_ssize_t _argmin_within(const double[:] values, const unsigned char[:] mask) except -1


@cython.locals(n=Py_ssize_t, i=Py_ssize_t, within=bint, bound=double, count=Py_ssize_t)
cpdef Py_ssize_t _tied(const double[:] values, const unsigned char[:] mask, Py_ssize_t best, double tolerance) except -1


@cython.locals(within=bint, bound=double, i=Py_ssize_t)
cpdef Py_ssize_t _nth_tied(
    const double[:] values, const unsigned char[:] mask, Py_ssize_t best, double tolerance, Py_ssize_t nth
) except -1


@cython.final
cdef class ComputeAware:
    cdef object _rng
    cdef list _draws

    @cython.locals(best=Py_ssize_t, ties=Py_ssize_t)
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
