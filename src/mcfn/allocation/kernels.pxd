# C declarations for kernels.py, compiled by setup.py (Cython pure Python mode); kernels.py is the reference.

cimport cython

cdef double _INF, OUT_OF_REACH


@cython.locals(n=Py_ssize_t, i=Py_ssize_t, floor=double[::1])
cpdef accuracy_floor_mbit(double[:] p, double[:] q, double[:] r, double[:] min_accuracy)


@cython.locals(headroom=double)
cpdef double floor_mbit(double p, double q, double r, double min_accuracy)


@cython.locals(n=Py_ssize_t, i=Py_ssize_t, least_data=double[::1])
cpdef least_data_mbit(double[:] data_mbit, double[:] floor_mbit, double least_ratio)


@cython.locals(least=double)
cpdef double least_mbit(double data, double floor, double least_ratio)


@cython.locals(band=double, capacity=double, cap=double, least_ratio=double)
cpdef tuple to_si(
    double[:] data_mbit, double[:] bandwidth_mhz, double[:] compute_g, double[:] raw_mbit, tuple budgets,
    double hz_per_mhz, double hz_per_g,
)


@cython.locals(n=Py_ssize_t, i=Py_ssize_t, used_b=double, used_f=double, scale_b=double, scale_f=double)
cpdef void to_si_into(
    double[:] data_mbit, double[:] bandwidth_mhz, double[:] compute_g, double[:] raw_mbit, double band,
    double capacity, double cap, double least_ratio, double hz_per_mhz, double hz_per_g, double[:, ::1] si,
) noexcept
