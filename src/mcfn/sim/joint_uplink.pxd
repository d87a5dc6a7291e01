# C declarations for joint_uplink.py, compiled by setup.py (Cython pure Python mode); joint_uplink.py is the
# reference.

cimport cython
from mcfn.sim.sharing cimport PolicySharing


@cython.final
cdef class _Admitted:
    cdef public double snr_hz, bandwidth_hz, vm_s, due_s, overhead_s
    cdef public Py_ssize_t server


cdef class JointUplink(PolicySharing):
    cdef object _system
    cdef object _servers
    cdef object _stats
    cdef dict _admitted
    cdef object _decided

    cpdef _remove(self, Py_ssize_t job)
