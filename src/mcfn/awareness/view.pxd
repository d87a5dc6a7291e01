# C declarations for view.py, compiled by setup.py (Cython pure Python mode); view.py is the reference.

cimport cython
from libc.stdint cimport int64_t


# A placement the node's latest advert may not reflect yet, and a node's placements (a C array that doubles).
cdef struct _Placement:
    double arrival_s
    double compute_s

cdef struct _Placements:
    _Placement* items
    Py_ssize_t count
    Py_ssize_t room


@cython.final
cdef class Estimate:
    cdef readonly object queue_flops
    cdef readonly object busy_vms
    cdef readonly object speed_flops_per_s
    cdef readonly object age_s


@cython.final
cdef class AwareView:
    cdef object _fleet
    cdef Py_ssize_t _advert_bytes
    cdef readonly object sent_s
    cdef readonly object queue_flops
    cdef readonly object busy_vms
    cdef readonly object nominal_flops_per_s
    cdef readonly object speed_flops_per_s
    cdef readonly object arrival_flops_per_s
    cdef readonly object vm_slots
    cdef readonly object slot_free_s
    cdef readonly object slot_used
    cdef readonly object slowdown
    cdef double[::1] _sent
    cdef double[::1] _queue
    cdef int64_t[::1] _busy
    cdef double[::1] _nominal
    cdef double[::1] _speed
    cdef double[::1] _arrival
    cdef const int64_t[:] _slots
    cdef double[:, ::1] _free
    cdef double[:, ::1] _slowdown
    cdef _Placements* _pending
    cdef Py_ssize_t _nodes
    cdef readonly object service_s
    cdef double[::1] _service
    cdef public Py_ssize_t adverts_received
    cdef public Py_ssize_t probes
    cdef public Py_ssize_t bytes_received
    cdef readonly Py_ssize_t version

    @cython.locals(j=Py_ssize_t)
    cpdef bint receive(self, object advert, bint probe=*) except -1
    @cython.locals(
        drained_s=double, held=Py_ssize_t, serving_s=double, k=Py_ssize_t, i=Py_ssize_t, count=Py_ssize_t,
        pending="_Placements*",
    )
    cpdef bint store(
        self, Py_ssize_t j, double sent_s, double queue_flops, Py_ssize_t busy_vms, double speed_flops_per_s,
        double arrival_flops_per_s=*,
    ) except -1
    @cython.locals(items="_Placement*", i=Py_ssize_t)
    cpdef tuple pending(self, Py_ssize_t j)
    @cython.locals(mean=double, pending="_Placements*", room=Py_ssize_t, grown="_Placement*")
    cpdef place(self, Py_ssize_t j, double arrival_s, double compute_s)
    @cython.locals(pick=Py_ssize_t, fit_s=double, first=Py_ssize_t, first_s=double, free_s=double, k=Py_ssize_t)
    cdef _occupy(self, Py_ssize_t j, double arrival_s, double compute_s)
