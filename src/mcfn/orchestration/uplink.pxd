# C declarations for uplink.py, compiled by setup.py (Cython pure Python mode); uplink.py is the reference.

cimport cython

cdef double REFERENCE_HZ, NEGLIGIBLE_CYCLES_PER_BIT, _G_PER_REFERENCE, _NEGLIGIBLE_WORK
cdef Py_ssize_t _COLUMNS


@cython.locals(
    n=Py_ssize_t, i=Py_ssize_t, columns=double[:, ::1], cap=double, seconds=double, scaled=bint, budget=double,
    k=double, data=double,
)
cpdef pose(uploads, servers, system)


@cython.locals(free=Py_ssize_t, cap=double, seconds=double, scaled=bint, budget=double)
cpdef tuple _terms(u, server, Py_ssize_t m)


@cython.locals(
    n=Py_ssize_t, i=Py_ssize_t, values=double[:, ::1], share=double, cap=double[:], seconds=double[:],
    compute=double[:], compression=double[:],
)
cpdef tuple _shares(posed, solved)
