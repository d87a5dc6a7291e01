# C declarations for credit.py, compiled by setup.py (Cython pure Python mode); credit.py is the reference.

cimport cython


cpdef double task_utility(
    option, double compression, double latency_s, double deadline_s, bint completed, double weight,
) except? -2.0


@cython.final
cdef class Ledger:
    cdef object _table
    cdef tuple _options
    cdef tuple _deadline_s
    cdef double _weight
    cdef dict _step_of
    cdef Py_ssize_t _ended
    cdef public double paid

    cpdef decided(self, Py_ssize_t task, Py_ssize_t step)

    @cython.locals(
        ended=Py_ssize_t, wanted=Py_ssize_t, status="signed char[::1]", done=list, credits=list, task=Py_ssize_t,
        service=Py_ssize_t, utility=double,
    )
    cpdef list settle(self)
