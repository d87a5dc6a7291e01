# C declarations for engine.py, compiled by setup.py (Cython pure Python mode); engine.py is the reference.

cimport cython


@cython.final
cdef class Simulator:
    cdef list _heap
    cdef set _cancelled
    cdef object _seed
    cdef Py_ssize_t _sequence
    cdef public double now
    cdef public Py_ssize_t events_processed

    cpdef Py_ssize_t _push(self, double time_s, int priority, object callback, tuple args) except -1
    cpdef cancel(self, Py_ssize_t handle)

    @cython.locals(heap=list, cancelled=set, fired=Py_ssize_t, entry=tuple, time_s=double)
    cpdef Py_ssize_t _fire(self, double until_s, Py_ssize_t budget) except -1
