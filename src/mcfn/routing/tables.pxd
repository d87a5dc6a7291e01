# C declarations for tables.py, compiled by setup.py (Cython pure Python mode); tables.py is the reference.

cimport cython
from mcfn.routing.costs cimport Demand, FleetPaths, Instances, Shortlist, Transfers


@cython.final
cdef class CostTables:
    cdef object _topology
    cdef object _topology_version
    cdef object _vertices
    cdef dict _fleet_paths
    cdef dict _network
    cdef dict _paths
    cdef dict _stage
    cdef dict _shortlists
    cdef dict _subsets

    @cython.locals(key=tuple, cached=Transfers, into=FleetPaths, back=FleetPaths)
    cpdef Transfers network(
        self, str service_id, Instances instances, str source, str home, object in_bits, object out_bits,
        object result_bits,
    )
    @cython.locals(targets=dict, path=tuple)
    cpdef tuple path(self, str source, str target)
    @cython.locals(key=tuple, demand=Demand)
    cpdef Demand stage(self, str service_id, Instances instances, object work, object memory_bytes)
    @cython.locals(key=tuple, shortlist=Shortlist, into=FleetPaths, back=FleetPaths, demand=Demand)
    cpdef Shortlist shortlist(
        self, str service_id, Instances instances, str source, str home, object in_bits, object out_bits,
        object result_bits, object work, object memory_bytes, Py_ssize_t keep,
    )
    @cython.locals(paths=FleetPaths)
    cdef FleetPaths _paths_from(self, str source)
    cdef _check_topology(self)
