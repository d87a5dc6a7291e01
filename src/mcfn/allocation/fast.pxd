# C declarations for fast.py, compiled by setup.py (Cython pure Python mode); fast.py is the reference. Compiled for
# optimum, which the simulator's joint allocation calls at every solve (uplink.pxd cimports it).

cimport cython
from mcfn.allocation.barrier cimport Barrier

cdef double RELAX, RELATIVE_GAP, LEAST_GAP_PER_TASK, SLACK_TOLERANCE


@cython.locals(slack=double)
cpdef bint optimum(Barrier barrier, double constant) except -1


cpdef double _phase_one(Barrier barrier) except? -1.0
