# C declarations for charges.py, compiled by setup.py (Cython pure Python mode); charges.py is the reference.

cimport cython


cdef class Charges:
    cdef object _job_array
    cdef object _joule_array
    cdef long long[::1] _jobs
    cdef double[::1] _joules
    cdef Py_ssize_t _count
    cdef object _tasks

    @cython.locals(n=Py_ssize_t)
    cpdef add(self, long long job, double joules)
    cdef _grow(self)
