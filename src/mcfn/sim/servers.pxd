# C declarations for servers.py, compiled by setup.py (Cython pure Python mode); servers.py is the reference.

cimport cython
from mcfn.sim.charges cimport Charges
from mcfn.sim.engine cimport Handler, Simulator
from mcfn.sim.sharing cimport EqualSharing


cdef class ComputeServers  # declared below; a node's station calls it


# A job holding one of a node's VMs, and since when.
cdef struct _Start:
    Py_ssize_t job
    double at_s

ctypedef _Start* _Starts


cdef class _VMs(EqualSharing):
    cdef ComputeServers _servers
    cdef Py_ssize_t _vm_slots
    cdef double _dynamic_w
    cdef _Starts _starts
    cdef Py_ssize_t _held
    cdef Py_ssize_t _room
    cdef object _waiting
    cdef double _arrived_s

    cdef _finish(self, Py_ssize_t job, double served_s)
    @cython.final
    @cython.locals(room=Py_ssize_t, grown=_Starts)
    cdef _start(self, Py_ssize_t job, double at_s)
    @cython.final
    @cython.locals(i=Py_ssize_t, k=Py_ssize_t, at_s=double)
    cdef double _stop(self, Py_ssize_t job) except? -1.0
    @cython.final
    @cython.locals(i=Py_ssize_t)
    cdef list _holding(self)


@cython.final
cdef class ComputeServers:
    cdef Simulator _sim
    cdef object _store
    cdef object _policy
    cdef object _rng
    cdef list _draws
    cdef object _advertise_event
    cdef list _delay
    cdef list _flops_per_vm_s
    cdef readonly list stations
    cdef readonly list down
    cdef list _arrived_s
    cdef list _marks
    cdef public Py_ssize_t adverts_sent
    cdef public Py_ssize_t adverts_lost
    cdef Handler _on_computed
    cdef readonly Charges dynamic_j

    @cython.locals(station=_VMs)
    cpdef submit(self, Py_ssize_t node, Py_ssize_t task, double alone_s)
    cdef _finished(self, _VMs station, Py_ssize_t job, double served_s)
    @cython.locals(seconds=double)
    cdef _charge(self, _VMs station, Py_ssize_t job, double until_s)
    @cython.locals(station=_VMs, now=double)
    cpdef list drop_all(self, Py_ssize_t node)
    @cython.locals(station=_VMs, now=double)
    cpdef close(self)
    cdef double _uniform(self) except? -1.0
    @cython.locals(
        sim=Simulator, low=double, high=double, jitter=double, now=double, station=_VMs, last_s=double, last_done=double,
        last_arrived=double, elapsed=double, done=double, arrived=double, scale=double, saturated=bint,
        last_served=double, served=double,
    )
    cpdef _advertise(self, Py_ssize_t j)
