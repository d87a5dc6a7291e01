# C declarations for router.py, compiled by setup.py (Cython pure Python mode); router.py is the reference.

cimport cython
from mcfn.awareness.view cimport AwareView
from mcfn.routing.costs cimport CandidateCosts, Instances, Shortlist, predict
from mcfn.routing.tables cimport CostTables


@cython.final
@cython.no_gc  # plain data (numbers, names, paths, routes): no cycle, so no link in the collector's list
cdef class Route:
    cdef readonly double arrival_s
    cdef readonly str service_id
    cdef readonly str node_id
    cdef readonly tuple path
    cdef readonly double network_s
    cdef readonly double queue_s
    cdef readonly double compute_s
    cdef readonly double budget_s
    cdef readonly bint cloud_fallback
    cdef readonly object why_cloud

    cpdef tuple _fields(self)


@cython.final
@cython.no_gc  # plain data (numbers, names, paths, routes): no cycle, so no link in the collector's list
cdef class StagedRoute:
    cdef readonly tuple stages
    cdef readonly tuple return_path
    cdef readonly double deadline_s
    cdef readonly tuple tiles


@cython.final
@cython.no_gc  # plain data (numbers, names, paths, routes): no cycle, so no link in the collector's list
cdef class CloudReason:
    cdef readonly str service_id
    cdef readonly double budget_s
    cdef readonly double chosen_s
    cdef readonly bint edge_feasible
    cdef readonly Py_ssize_t edges
    cdef readonly double least_edge_s


@cython.final
cdef class Router:
    cdef object _topology
    cdef object _fleet
    cdef AwareView _view
    cdef dict _instances
    cdef frozenset _stations
    cdef CostTables _tables
    cdef tuple _node_ids
    cdef dict _last_costs
    cdef dict _last_short
    cdef dict _last_wide
    cdef public object deployment

    @cython.locals(instances=Instances)
    cpdef Instances instances(self, str service_id)
    @cython.locals(instances=Instances, tables=CostTables, costs=CandidateCosts)
    cdef CandidateCosts _costs(
        self, str service_id, str source, str home, object in_bits, object out_bits, object result_bits, object work,
        double budget_s,
        object memory_bytes, double start_s, CandidateCosts into=*,
    )
    cpdef Route route(self, object request, object policy, double now_s)
    @cython.locals(costs=CandidateCosts)
    cpdef tuple explain(self, object request, object policy, double now_s)
    @cython.locals(
        spent=double, last=Py_ssize_t, k=Py_ssize_t, routes=list, budget_s=double,
        costs=CandidateCosts, route=Route, tiled=list, prunes=bint, pick=Py_ssize_t,
    )
    cpdef StagedRoute route_stages(
        self, object request, object policy, double now_s, double elapsed_s=*, bint record=*
    )
    @cython.locals(costs=CandidateCosts, keep=Py_ssize_t, last=dict, shortlist=Shortlist, instances=Instances)
    cdef CandidateCosts _stage_costs(
        self, str service_id, str source, str home, object in_bits, object out_bits, object result_bits, object work,
        double budget_s, object memory_bytes, double start_s, bint prunes,
    )
    @cython.locals(costs=CandidateCosts, picks=list, group=tuple, slowest=Py_ssize_t, k=Py_ssize_t)
    cdef tuple _route_tiles(
        self, object stage, str source, str ingress, double bits, double result_bits, bint is_last, double budget_s,
        double start_s, object policy, bint record, list tiled,
    )
    @cython.locals(first=Py_ssize_t, picks=list, pick=Py_ssize_t)
    cdef list _spread(self, str service_id, CandidateCosts costs, object policy, Py_ssize_t tiles)
    @cython.locals(route=Route, group=tuple)
    cpdef record(self, StagedRoute staged)
    cdef Route _decide(self, str service_id, str source, CandidateCosts costs, object policy, bint record=*)
    @cython.locals(j=Py_ssize_t, why_cloud=CloudReason, path=tuple)
    cdef Route _route_at(self, str service_id, str source, CandidateCosts costs, Py_ssize_t pick, bint record)
    @cython.locals(path=tuple)
    cdef tuple _kept_path(self, list paths, Py_ssize_t pick, str source, str target)
    cpdef require_base_station(self, str name)


@cython.locals(edges=Py_ssize_t, least=double, i=Py_ssize_t, total=double, edge="const unsigned char[:]")
cpdef CloudReason cloud_reason(str service_id, CandidateCosts costs, Py_ssize_t pick)


@cython.locals(total=double, stage=Route)
cdef double _stages_latency_s(tuple stages) except? -1.0
