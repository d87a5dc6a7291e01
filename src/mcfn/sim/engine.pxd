# C declarations for engine.py, compiled by setup.py (Cython pure Python mode); engine.py is the reference.

cimport cython


# One event of the C heap; its callback and arguments wait in slot ``slot`` of Simulator's two lists (a handler's
# event: the handler, and None; ``job`` is the id it is handed). 32 bytes: a node's four children span two or three
# cache lines, not four (thousands of events wait on a large network, and a pop reads a set of children per level).
cdef struct _Event:
    double time_s
    Py_ssize_t sequence
    Py_ssize_t job
    int priority
    int slot

ctypedef _Event* _Heap
ctypedef Py_ssize_t* _Slots

cdef Py_ssize_t CANCEL_BUCKETS_MASK

cdef bint _earlier(_Event a, _Event b) noexcept


cdef class Handler:
    cpdef handle(self, Py_ssize_t job)


@cython.final
cdef class Simulator:
    cdef _Heap _events
    cdef _Slots _free
    cdef Py_ssize_t _size
    cdef Py_ssize_t _capacity
    cdef Py_ssize_t _free_count
    cdef list _callbacks
    cdef list _arguments
    cdef set _cancelled
    cdef unsigned int _cancels[16384]  # CANCEL_BUCKETS_MASK + 1
    cdef object _seed
    cdef Py_ssize_t _sequence
    cdef bint _stopping
    cdef public double now
    cdef public Py_ssize_t events_processed

    cpdef Py_ssize_t _push(self, double time_s, int priority, object callback, tuple args) except -1
    cpdef Py_ssize_t _push_job(self, double time_s, Handler handler, Py_ssize_t job) except -1
    @cython.locals(events=_Heap, hole=Py_ssize_t, slot=Py_ssize_t, sequence=Py_ssize_t)
    cdef Py_ssize_t _insert(
        self, double time_s, int priority, object callback, tuple args, Py_ssize_t job
    ) except -1
    @cython.locals(capacity=Py_ssize_t, events=_Heap, slots=_Slots)
    cdef int _grow(self) except -1
    @cython.locals(events=_Heap, parent=Py_ssize_t)
    cdef void _sift_up(self, Py_ssize_t hole, _Event event) noexcept
    @cython.locals(
        events=_Heap, first=_Event, size=Py_ssize_t, hole=Py_ssize_t, child=Py_ssize_t, earliest=Py_ssize_t,
        last=Py_ssize_t, sibling=Py_ssize_t,
    )
    cdef _Event _pop_first(self) noexcept
    @cython.locals(count=Py_ssize_t)
    cpdef cancel(self, Py_ssize_t handle)

    @cython.locals(cancelled=set, fired=Py_ssize_t, callbacks=list, arguments=list, first=_Event, args=tuple)
    cpdef Py_ssize_t _fire(self, double until_s, Py_ssize_t budget) except -1
