# C declarations for access.py, compiled by setup.py (Cython pure Python mode); access.py is the reference.

cimport cython
from mcfn.sim.engine cimport Simulator
from mcfn.sim.sharing cimport PolicySharing


@cython.final
cdef class UplinkTable:
    cdef const double[::1] snr_hz
    cdef const double[:, ::1] rates_bps


@cython.final
@cython.no_gc
cdef class UplinkKey:
    cdef UplinkTable table
    cdef Py_ssize_t terminal

    @staticmethod
    @cython.locals(key=UplinkKey)
    cdef UplinkKey of(UplinkTable table, Py_ssize_t terminal)
    cpdef double snr_hz(self) except? -1.0
    cpdef double rate_bps(self, Py_ssize_t n) except? -1.0


@cython.final
cdef class RadioAccess:
    cdef Simulator _sim
    cdef object _step_s
    cdef object _mobility
    cdef object _stations
    cdef object _controller
    cdef object _tx_w
    cdef object _noise
    cdef object _bandwidth_hz
    cdef readonly list uplinks
    cdef list _data_bits
    cdef public Py_ssize_t handovers
    cdef public Py_ssize_t outside_coverage
    cdef public Py_ssize_t measurements
    cdef readonly object serving
    cdef const Py_ssize_t[::1] _serving
    cdef UplinkTable _table

    cpdef Py_ssize_t serving_station(self, Py_ssize_t terminal) except? -2
    @cython.locals(uplink=PolicySharing)
    cpdef upload(self, Py_ssize_t task, Py_ssize_t station, Py_ssize_t terminal, Py_ssize_t service, double compression)
    cpdef UplinkKey uplink_key(self, Py_ssize_t terminal)
    cpdef double uplink_snr_hz(self, Py_ssize_t terminal) except? -1.0
    @cython.locals(uplink=PolicySharing, n=Py_ssize_t, share_hz=double)
    cpdef double uplink_bps(self, Py_ssize_t terminal, Py_ssize_t station) except -1.0


@cython.locals(rates=list, key=UplinkKey)
cdef list _tabulated_rates(object keys, Py_ssize_t n)
@cython.locals(snrs=list, key=UplinkKey)
cdef list _snrs_hz(object keys)
