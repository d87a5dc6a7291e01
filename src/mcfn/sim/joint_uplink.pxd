# C declarations for joint_uplink.py, compiled by setup.py (Cython pure Python mode); joint_uplink.py is the
# reference.

cimport cython
from cpython cimport time
from libc cimport math
from mcfn.orchestration.uplink cimport UplinkBatch, overhead_s
from mcfn.sim.sharing cimport PolicySharing


@cython.final
cdef class UploadTerms:
    cdef readonly double data_bits, p, q, r, min_accuracy, deadline_s, radio_s
    cdef readonly bint scales
    cdef readonly tuple vm_s


@cython.final
cdef class SolverStats:
    cdef public Py_ssize_t solves, closed_form, rejected
    cdef public double solve_wall_s


@cython.final
cdef class _Admitted:
    cdef public double snr_hz, bandwidth_hz, vm_s, due_s, overhead_s
    cdef public Py_ssize_t server


cdef class JointUplink(PolicySharing):
    cdef double _bandwidth_hz
    cdef UplinkBatch _batch
    cdef SolverStats _stats
    cdef list _admitted
    cdef list _decided

    @cython.locals(n=Py_ssize_t, i=Py_ssize_t)
    cpdef _remove(self, Py_ssize_t job)

    @cython.locals(
        now=double, vm_s=double, overhead=double, batch=UplinkBatch, n=Py_ssize_t,
        rho=double, share=double, bandwidth=double, decided=list, work_s=double,
    )
    cpdef offer(self, Py_ssize_t task, double snr_hz, UploadTerms terms, Py_ssize_t node, route)

    @cython.locals(rates=list, i=Py_ssize_t, info=_Admitted)
    cdef list _rebanded(self, Py_ssize_t n)

    @cython.locals(batch=UplinkBatch, i=Py_ssize_t, info=_Admitted)
    cdef _pose_in_progress(self, double now)

    cdef bint _solve(self) except -1

    @cython.locals(decided=list, admitted=list, total=double, scale=double, rates=list, info=_Admitted)
    cpdef list _rate_rule(self, keys, remaining_bits)


cdef double _rate(double bandwidth_hz, double snr_hz)


@cython.locals(info=_Admitted)
cdef _Admitted _admit(
    double snr_hz, double bandwidth_hz, Py_ssize_t server, double vm_s, double due_s, double overhead_s
)


@cython.final
cdef class JointUplinks:
    cdef readonly tuple terms
    cdef readonly SolverStats stats
    cdef readonly list uplinks

    @cython.locals(uplink=JointUplink)
    cpdef offer(self, Py_ssize_t station, Py_ssize_t task, double snr_hz, Py_ssize_t option, Py_ssize_t node, route)
