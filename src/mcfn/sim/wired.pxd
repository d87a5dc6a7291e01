# C declarations for wired.py, compiled by setup.py (Cython pure Python mode); wired.py is the reference.

cimport cython
from mcfn.sim.charges cimport Charges
from mcfn.sim.engine cimport Handler, Simulator
from mcfn.sim.sharing cimport EqualSharing


cdef class WiredNetwork  # declared below; a link's station calls it


cdef class _Link(EqualSharing):
    cdef WiredNetwork _network

    cdef _finish(self, Py_ssize_t job, double served_s)


@cython.final
cdef class _Hop:
    cdef _Link station
    cdef tuple key
    cdef double delay_s
    cdef object a
    cdef object b


@cython.final
cdef class _Route:
    cdef tuple path
    cdef tuple hops
    cdef double joules_per_bit


cdef Py_ssize_t SLOTS_PER_ROUTE


@cython.final
cdef class _Transfer:
    cdef tuple hops
    cdef Py_ssize_t hop
    cdef double bits
    cdef Handler on_arrival


@cython.final
cdef class WiredNetwork:
    cdef Simulator _sim
    cdef object _topology
    cdef object _blocked
    cdef object _passed_event
    cdef readonly dict links
    cdef dict _delay
    cdef dict _transit
    cdef dict _hops
    cdef dict _routes
    cdef list _recent
    cdef Py_ssize_t _recent_mask
    cdef dict _paths
    cdef object _paths_version
    cdef readonly set down_nodes
    cdef readonly set down_links
    cdef dict _j_per_bit
    cdef readonly Charges sent_j

    @cython.locals(targets=dict)
    cpdef path(self, object source, object target)
    cpdef obstacle(self, object path)
    @cython.locals(route=_Route, hops=tuple, transfer=_Transfer)
    cpdef send(self, Py_ssize_t task, object path, double bits, Handler on_arrival)
    @cython.final
    @cython.locals(address=Py_ssize_t)
    cdef inline Py_ssize_t _slot(self, object path) noexcept
    @cython.locals(route=_Route, joules=double, hop=_Hop, held=list, kept=_Route, hops=list)
    cdef _Route _route(self, tuple path)
    @cython.locals(hop=_Hop, now=double)
    cdef _enter(self, Py_ssize_t task, _Transfer transfer)
    @cython.locals(transfer=_Transfer)
    cpdef _passed(self, Py_ssize_t task, double _served_s)
