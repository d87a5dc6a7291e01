# C declarations for joint_uplink.py, compiled by setup.py (Cython pure Python mode); joint_uplink.py is the
# reference.

cimport cython
from mcfn.orchestration.uplink cimport UplinkBatch
from mcfn.sim.sharing cimport PolicySharing


@cython.final
cdef class _Admitted:
    cdef public double snr_hz, bandwidth_hz, vm_s, due_s, overhead_s
    cdef public Py_ssize_t server


cdef class JointUplink(PolicySharing):
    cdef object _system
    cdef UplinkBatch _batch
    cdef object _stats
    cdef dict _admitted
    cdef object _decided

    cpdef _remove(self, Py_ssize_t job)

    @cython.locals(
        now=double, vm_s=double, overhead=double, batch=UplinkBatch, job=Py_ssize_t, n=Py_ssize_t, i=Py_ssize_t,
        rho=double, share=double, bandwidth=double, decided=dict, info=_Admitted, work_s=double,
    )
    cpdef offer(self, Py_ssize_t task, double snr_hz, terms, Py_ssize_t node, route)

    @cython.locals(batch=UplinkBatch, i=Py_ssize_t, info=_Admitted)
    cdef _pose_in_progress(self, double now)

    cdef bint _solve(self) except -1

    @cython.locals(decided=dict, admitted=list, total=double, scale=double, rates=list, info=_Admitted)
    cpdef list _rate_rule(self, keys, remaining_bits)


cdef double _rate(double bandwidth_hz, double snr_hz)
