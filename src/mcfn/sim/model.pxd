# C declarations for model.py, compiled by setup.py (Cython pure Python mode); model.py is the reference.

cimport cython

from mcfn.routing.router cimport Route, Router, StagedRoute
from mcfn.sim.access cimport RadioAccess
from mcfn.sim.engine cimport Handler, Simulator
from mcfn.sim.records cimport TaskTable
from mcfn.sim.servers cimport ComputeServers
from mcfn.sim.wired cimport WiredNetwork

cdef Py_ssize_t TILE_BASE

cdef class NetworkModel  # declared below; its deliveries call it


@cython.final
@cython.no_gc  # it holds only numbers, paths and lists of them: no cycle, so no link in the collector's list
cdef class Flight:
    cdef public Py_ssize_t service
    cdef public Py_ssize_t option
    cdef public Py_ssize_t terminal
    cdef public Py_ssize_t ingress
    cdef public Py_ssize_t station
    cdef public Py_ssize_t stage
    cdef public double work_scale
    cdef public double arrival_s
    cdef public double compression
    cdef public double first_work
    cdef public double since_s
    cdef public double compute_s
    cdef public list nodes
    cdef public list paths
    cdef public tuple home_path
    cdef public Py_ssize_t paths_version
    cdef public list tiles
    cdef public list scatter
    cdef public list gather
    cdef public Py_ssize_t jobs
    cdef public Py_ssize_t pending
    cdef public Py_ssize_t computed
    cdef public list tile_since
    cdef public double tile_s

    @staticmethod
    @cython.locals(flight=Flight)
    cdef Flight arriving(
        Py_ssize_t service, Py_ssize_t option, Py_ssize_t terminal, Py_ssize_t ingress, double work_scale,
        double arrival_s,
    )


cdef Py_ssize_t AT_NODE, COMPUTED, AT_STATION, AT_TILE, JOINED, DELIVERED


cdef class _Step(Handler):
    cdef NetworkModel model
    cdef Py_ssize_t kind

    @cython.locals(kind=Py_ssize_t, model=NetworkModel)
    cpdef handle(self, Py_ssize_t job)


@cython.final
cdef class NetworkModel:
    cdef public Simulator sim
    cdef public object world
    cdef public TaskTable table
    cdef public object view
    cdef public Router router
    cdef public WiredNetwork wired
    cdef public RadioAccess access
    cdef public ComputeServers servers
    cdef public object arrivals
    cdef public object chooser
    cdef public object joint
    cdef public object deployment
    cdef public set down_stations
    cdef public object background
    cdef public object terminals
    cdef object _policy
    cdef object _topology
    cdef list _flights
    cdef tuple _requests
    cdef const double[:, :, ::1] _alone_s
    cdef tuple _reference
    cdef tuple _data_bits
    cdef tuple _scales
    cdef tuple _output_bits
    cdef tuple _share
    cdef _Step _at_node_step
    cdef _Step _at_station_step
    cdef _Step _at_tile_step
    cdef _Step _joined_step
    cdef _Step _delivered_step
    cdef object _node_index
    cdef object _node_ids
    cdef tuple _stations
    cdef double _radio_delay_s
    cdef double _downlink_bps
    cdef Py_ssize_t _max_reroutes

    @cython.locals(
        flight=Flight, option=Py_ssize_t
    )
    cpdef _arrive(self, Py_ssize_t service, Py_ssize_t terminal, double scale)
    @cython.locals(compression=double, share=double, uplink_bps=double, upload_s=double, now=double)
    cpdef _offload(self, Py_ssize_t task, Flight flight, Py_ssize_t station, object decided)
    @cython.locals(flight=Flight, nodes=list, paths=list, stage=Route, j=Py_ssize_t)
    cpdef bint _plan(self, Py_ssize_t task, StagedRoute route) except -1
    @cython.locals(flight=Flight)
    cpdef _uploaded(self, Py_ssize_t task, double sent_s)
    @cython.locals(flight=Flight)
    cpdef _first_stage(self, Py_ssize_t task)
    @cython.locals(flight=Flight, k=Py_ssize_t, j=Py_ssize_t, alone_s=double)
    cpdef _at_node(self, Py_ssize_t task)
    @cython.locals(flight=Flight, now=double, k=Py_ssize_t, output_bits=tuple)
    cpdef _computed(self, Py_ssize_t task)
    @cython.locals(k=Py_ssize_t, paths=tuple, tiles=Py_ssize_t, share=double, t=Py_ssize_t)
    cdef _scatter(self, Flight flight, double bits)
    @cython.locals(flight=Flight)
    cdef Flight _flight_of(self, Py_ssize_t job)
    @cython.locals(flight=Flight, k=Py_ssize_t, t=Py_ssize_t, j=Py_ssize_t, alone_s=double)
    cpdef _at_tile(self, Py_ssize_t job)
    @cython.locals(flight=Flight, k=Py_ssize_t, t=Py_ssize_t, tile_s=double, output_bits=tuple, bits=double)
    cdef _tile_computed(self, Py_ssize_t job)
    @cython.locals(flight=Flight, k=Py_ssize_t, task=Py_ssize_t)
    cpdef _joined(self, Py_ssize_t job)
    @cython.locals(flight=Flight, now=double)
    cpdef _at_station(self, Py_ssize_t task)
    @cython.locals(flight=Flight)
    cpdef _delivered(self, Py_ssize_t task)
