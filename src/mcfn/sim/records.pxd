# C declarations for records.py, compiled by setup.py (Cython pure Python mode); records.py is the reference.

cimport cython


@cython.final
cdef class TaskTable:
    cdef Py_ssize_t _stages
    cdef public Py_ssize_t count
    cdef public Py_ssize_t completed
    cdef public Py_ssize_t failed
    cdef public list reasons
    cdef dict _reason_index
    cdef dict _columns
    cdef public object arrival_s
    cdef public object end_s
    cdef public object upload_s
    cdef public object compute_s
    cdef public object compression
    cdef public object compute_share
    cdef public object service
    cdef public object option
    cdef public object terminal
    cdef public object ingress
    cdef public object delivered
    cdef public object status
    cdef public object reason
    cdef public object reroutes
    cdef public object stage_node
    cdef double[::1] _arrival
    cdef double[::1] _end
    cdef double[::1] _upload
    cdef double[::1] _compute
    cdef double[::1] _compression
    cdef double[::1] _share
    cdef short[::1] _service
    cdef short[::1] _option
    cdef int[::1] _terminal
    cdef short[::1] _ingress
    cdef short[::1] _delivered
    cdef signed char[::1] _status
    cdef short[::1] _reason
    cdef short[:, ::1] _stage_node

    cpdef Py_ssize_t arrive(self, double now_s, Py_ssize_t service, Py_ssize_t terminal, Py_ssize_t ingress) except -1
    @cython.locals(k=Py_ssize_t, node=Py_ssize_t)
    cpdef route(self, Py_ssize_t task, Py_ssize_t option, list nodes)
    cpdef uploaded(self, Py_ssize_t task, double upload_s)
    cpdef compressed(self, Py_ssize_t task, double ratio)
    cpdef shared(self, Py_ssize_t task, double share)
    cpdef complete(self, Py_ssize_t task, double now_s, Py_ssize_t delivered, double compute_s)
    cpdef fail(self, Py_ssize_t task, double now_s, str reason, double compute_s=*)
    cdef _end_as(self, Py_ssize_t task, double now_s, signed char status, double compute_s)
