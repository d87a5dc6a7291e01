# C declarations for costs.py, compiled by setup.py (Cython pure Python mode); costs.py is the reference.

cimport cython
from libc.stdint cimport int64_t
from mcfn.awareness.view cimport AwareView


@cython.final
cdef class Instances:
    cdef readonly object nodes
    cdef readonly object vertices
    cdef readonly object seconds_per_flop
    cdef readonly object vm_slots
    cdef readonly object degradation
    cdef readonly object memory_bytes
    cdef readonly object is_cloud
    cdef readonly object is_edge
    cdef const int64_t[::1] _nodes
    cdef const unsigned char[::1] _is_cloud
    cdef const unsigned char[::1] _is_edge

    cpdef Instances subset(self, object at)


@cython.final
cdef class Transfers:
    cdef readonly object network_s
    cdef readonly object in_s
    cdef readonly object path_delay_s
    cdef readonly object ahead_s
    cdef readonly list paths
    cdef readonly list home_paths
    cdef const double[::1] _network_s
    cdef const double[::1] _in_s
    cdef const double[::1] _path_delay_s
    cdef const double[::1] _ahead_s


@cython.final
cdef class FleetPaths:
    cdef readonly object delay_s
    cdef readonly object seconds_per_bit
    cdef const double[::1] _delay_s
    cdef const double[::1] _seconds_per_bit


@cython.final
cdef class Demand:
    cdef readonly object alone_s
    cdef readonly object fits
    cdef const double[::1] _alone_s
    cdef const unsigned char[::1] _fits


@cython.final
cdef class CandidateCosts:
    cdef readonly Instances instances
    cdef readonly Transfers transfers
    cdef readonly object queue_s
    cdef readonly object compute_s
    cdef readonly object total_s
    cdef readonly object busy_share
    cdef readonly object feasible
    cdef readonly double start_s
    cdef readonly double budget_s
    cdef const double[::1] _queue_s
    cdef const double[::1] _compute_s
    cdef const double[::1] _total_s
    cdef const unsigned char[::1] _feasible
    cdef double[:, ::1] _rows
    cdef unsigned char[::1] _feasible_out

    @cython.locals(
        n=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t, k=Py_ssize_t, slots=Py_ssize_t, arrival_s=double, earliest=double,
        wait_s=double, begin_s=double, busy=Py_ssize_t, exponent=Py_ssize_t, queue_s=double, compute_s=double,
        total_s=double,
    )
    cdef _predict(
        self, Instances instances, Transfers transfers, Demand demand, AwareView view, double start_s, double budget_s
    )
    cdef _allocate(self, Py_ssize_t n)
    @cython.locals(feasible="const unsigned char[::1]", edge="const unsigned char[::1]", i=Py_ssize_t)
    cpdef bint edge_feasible(self) except -1
    @cython.locals(
        instances=Instances, n=Py_ssize_t,
        i=Py_ssize_t, any_feasible=bint, least=double, least_edge=double, value=double, cloud_near=bint, edge_feasible=bint,
    )
    cpdef bint settles(self, double bound_s, double tolerance_s) except -1


@cython.final
cdef class Shortlist:
    cdef readonly Instances instances
    cdef readonly Transfers transfers
    cdef readonly Demand demand
    cdef readonly double bound_s


cpdef CandidateCosts predict(
    Instances instances, Transfers transfers, Demand demand, AwareView view, double start_s, double budget_s,
    CandidateCosts into=*,
)


cdef bint _before(double value, double other)


@cython.locals(
    n=Py_ssize_t, m=Py_ssize_t, i=Py_ssize_t, k=Py_ssize_t, v=int64_t, count=Py_ssize_t, slot=Py_ssize_t,
    left_i=Py_ssize_t, nodes="const int64_t[::1]", into_delay="const double[::1]", into_spb="const double[::1]",
    back_delay="const double[::1]", back_spb="const double[::1]", values="double[::1]", indices="long long[::1]",
    out="double[:, ::1]", transfer=double, ahead=double, lower=double, left=double, bound=double, rest_nan=bint, kept=list,
    shortlist=Shortlist,
)
cpdef Shortlist shortlist_of(
    Instances instances, FleetPaths into, FleetPaths back, double in_bits, double out_bits, double result_bits,
    Demand demand, Py_ssize_t keep, dict subsets=*,
)


@cython.locals(key=tuple, found=tuple)
cpdef tuple kept_subsets(Instances instances, Demand demand, list kept, dict subsets)
