# C declarations for choice.py, compiled by setup.py (Cython pure Python mode); choice.py is the reference.

cimport cython
from mcfn.routing.router cimport Router, StagedRoute

cdef double _INF


@cython.final
cdef class Choice:
    cdef readonly Py_ssize_t option
    cdef readonly double compression
    cdef readonly StagedRoute route
    cdef readonly double latency_s
    cdef readonly double utility
    cdef readonly bint feasible


@cython.final
cdef class UtilityChooser:
    cdef Router _router
    cdef object _policy
    cdef tuple _menus
    cdef double _weight

    @cython.locals(
        w=double, deadline=double, floor=double, compression=tuple, accuracy=tuple, n=Py_ssize_t, levels=Py_ssize_t,
        seconds_per_ratio=double, upload_s=double, bound=list, least=double, top=double, a=double, u=double, tried=list,
        i=Py_ssize_t, k=Py_ssize_t, c=Py_ssize_t, route=StagedRoute, routed_s=double, latency=double,
        rank=Py_ssize_t, best_i=Py_ssize_t, best_c=Py_ssize_t, best_u=double, best_s=double, best_route=StagedRoute,
        back_i=Py_ssize_t, back_c=Py_ssize_t, back_rank=Py_ssize_t, back_s=double, back_a=double,
        back_route=StagedRoute,
    )
    cpdef Choice choose(self, Py_ssize_t service, Py_ssize_t station, double uplink_bps, double now_s)
