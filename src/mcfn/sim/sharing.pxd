# C declarations for sharing.py, compiled by setup.py (Cython pure Python mode); sharing.py is the reference.
# The hooks a subclass provides are C methods: a subclass outside this module (joint_uplink.JointUplink) overrides
# _remove (cpdef) and the Python-level methods only.

cimport cython
from mcfn.sim.engine cimport Handler, Simulator

cdef double _INF
cdef Py_ssize_t RATES_IN_STATION


# One entry of EqualSharing's C heap: the attained service at which job ``job`` finishes.
cdef struct _Finish:
    double finish
    Py_ssize_t job

ctypedef _Finish* _Finishes

# One entry of SharingStation's ring of leaving jobs: job ``job``, whose service ended at ``served_s``.
cdef struct _Leaving:
    double served_s
    Py_ssize_t job

ctypedef _Leaving* _Leavings

# One job in service at a PolicySharing station: its id, the work it has left and its rate.
cdef struct _InService:
    Py_ssize_t job
    double left
    double rate

ctypedef _InService* _Served

cdef bint _before(_Finish a, _Finish b) noexcept


cdef class SharingStation(Handler):
    cdef Simulator _sim
    cdef object _finished
    cdef readonly object slots
    cdef double _limit
    cdef double _delay_s
    cdef public Py_ssize_t in_service
    cdef object _queue
    cdef _Leavings _leaving
    cdef Py_ssize_t _leaving_first
    cdef Py_ssize_t _leaving_count
    cdef Py_ssize_t _leaving_room
    cdef double _due_s
    cdef Py_ssize_t _due_job
    cdef Py_ssize_t _event
    cdef readonly double _last_s
    cdef public double busy_area
    cdef public double in_service_area
    cdef public double work_done

    cdef _add(self, Py_ssize_t job, double work, object key)
    cdef double _progress(self, double elapsed_s) except? -1.0
    cdef _next(self)
    cpdef _remove(self, Py_ssize_t job)
    cdef list _clear(self)

    cpdef submit(self, Py_ssize_t job, double work, object key=*)
    cpdef account(self)
    @cython.final
    @cython.locals(elapsed=double, n=Py_ssize_t)
    cdef _advance(self, double now)
    @cython.final
    @cython.locals(served_s=double, job=Py_ssize_t, waiting=Py_ssize_t, work=double)
    cdef _end_service(self)
    @cython.final
    @cython.locals(room=Py_ssize_t, grown=_Leavings, i=Py_ssize_t)
    cdef _leave(self, double served_s, Py_ssize_t job)
    @cython.final
    @cython.locals(sim=Simulator, served_s=double, job=Py_ssize_t, now=double)
    cdef _arm(self)
    @cython.locals(now=double, served_s=double, first=Py_ssize_t)
    cpdef handle(self, Py_ssize_t job)
    cdef _finish(self, Py_ssize_t job, double served_s)


cdef class EqualSharing(SharingStation):
    cdef object _rate_of
    cdef list _rate_table
    cdef double _rates_in_station[8]  # RATES_IN_STATION
    cdef double _rate
    cdef double _attained
    cdef _Finishes _finishes
    cdef Py_ssize_t _count
    cdef Py_ssize_t _capacity

    @cython.locals(capacity=Py_ssize_t, grown=_Finishes)
    cdef _add(self, Py_ssize_t job, double work, object key)
    @cython.final
    @cython.locals(heap=_Finishes, item=_Finish, parent=Py_ssize_t)
    cdef void _sift_down(self, Py_ssize_t start, Py_ssize_t pos) noexcept
    @cython.locals(step=double)
    cdef double _progress(self, double elapsed_s) except? -1.0
    @cython.locals(n=Py_ssize_t, rate=double, finish=double)
    cdef _next(self)
    @cython.locals(table=list)
    cdef double _rate_for(self, Py_ssize_t n) except? -1.0
    @cython.locals(first=Py_ssize_t, heap=_Finishes, end=Py_ssize_t, item=_Finish, pos=Py_ssize_t, child=Py_ssize_t)
    cpdef _remove(self, Py_ssize_t job)
    @cython.locals(i=Py_ssize_t)
    cdef list _clear(self)


cdef class _LeftBits


cdef class PolicySharing(SharingStation):
    cdef object _rule
    cdef list _keys
    cdef _Served _served
    cdef Py_ssize_t _room
    cdef _LeftBits _left_view

    cdef Py_ssize_t _job_at(self, Py_ssize_t i)
    cdef double _left_at(self, Py_ssize_t i)
    @cython.locals(n=Py_ssize_t, room=Py_ssize_t, grown=_Served)
    cdef _add(self, Py_ssize_t job, double work, object key)
    @cython.locals(done=double, step=double, i=Py_ssize_t)
    cdef double _progress(self, double elapsed_s) except? -1.0
    @cython.locals(n=Py_ssize_t, first=Py_ssize_t, delay=double, i=Py_ssize_t, left=double, rate=double, wait=double)
    cdef _next(self)
    @cython.locals(n=Py_ssize_t, i=Py_ssize_t, k=Py_ssize_t)
    cpdef _remove(self, Py_ssize_t job)
    @cython.locals(i=Py_ssize_t)
    cdef list _clear(self)


@cython.final
cdef class _LeftBits:
    cdef PolicySharing _station
