"""A minimal discrete-event kernel: a time-ordered heap of callbacks.

Design follows SimPy's core (a heap of ``(time, priority, sequence, event)``) without its generator-process
layer: models schedule plain callbacks, which avoids a coroutine switch per event. ``benchmarks/sim.py`` measures
it against a SimPy twin of an M/M/c station: as plain Python 4-5x as fast, against 11-15x for the same station
hand-inlined in one heap loop (the ceiling of a callback kernel in Python); compiled with ``engine.pxd`` (Cython's
pure Python mode, ``setup.py``), where the heap is one of C structs, 18x. Stations of the kernel's own package post
their events through :meth:`Simulator._push`, which skips :meth:`schedule`'s argument packing and check, or, when
an event hands a job id to a :class:`Handler` (a station's next departure), :meth:`Simulator._push_job`: compiled,
the kernel then calls the handler's C method, without a Python call or an argument tuple.

Ordering is deterministic: events fire by time, then by ``priority`` (lower first), then in scheduling order.
Randomness comes only from generators handed out by :meth:`Simulator.stream`, each derived from the run's seed
and a stream name, so adding a model does not shift the random numbers another model sees.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Callable
from typing import Any

import numpy as np

try:
    import cython
except ImportError:  # Cython builds mcfn; without it, mcfn runs as Python
    from mcfn._accelerated import uncompiled as cython

if cython.compiled:
    from cython.cimports.libc.stdlib import free, realloc
    from cython.cimports.mcfn.sim.engine import _Heap, _Slots

Callback = Callable[..., Any]
#: Compiled, cancelled handles are also counted in this many buckets (by their low bits), so that the loop looks an
#: event up in the set of cancelled handles only when its bucket holds one.
CANCEL_BUCKETS_MASK = (1 << 14) - 1
_heappush, _heappop = heapq.heappush, heapq.heappop


class Handler:
    """What an event of :meth:`Simulator._push_job` hands its job id to (subclasses say what it does)."""

    __slots__ = ()

    def handle(self, job: int) -> None:
        raise NotImplementedError


class Calling(Handler):
    """A :class:`Handler` that calls ``function(job)``: any callable where a handler is asked for (at a Python
    call's cost)."""

    __slots__ = ("_function",)

    def __init__(self, function: Callable[[int], Any]) -> None:
        self._function = function

    def handle(self, job: int) -> None:
        self._function(job)


def _earlier(a, b) -> bool:
    """Whether event ``a`` fires before event ``b`` (compiled only: the order of the C heap's entries)."""
    if a.time_s != b.time_s:
        return a.time_s < b.time_s
    if a.priority != b.priority:
        return a.priority < b.priority
    return a.sequence < b.sequence


class Simulator:
    """Event heap, clock and seeded random streams of one simulation run.

    As Python, the heap is a ``heapq`` list of ``(time, priority, sequence, callback, args)`` tuples. Compiled
    (``engine.pxd``), it is a 4-ary heap of C structs ``(time, priority, sequence, slot)`` that grows by doubling
    (half a binary heap's levels: on a large network thousands of events wait, and a pop costs a compare per level);
    an event's callback and arguments wait in slot ``slot`` of two Python lists (so that the garbage collector sees
    them), and the slots of fired events are reused; a handler's event keeps its job id in the struct and no
    arguments. Both fire the same events in the same order.
    """

    # Python's attributes; compiled, the class has the C fields of engine.pxd instead
    __slots__ = ("_cancelled", "_heap", "_seed", "_sequence", "_stopping", "events_processed", "now")

    def __init__(self, *, seed: int = 0, start_s: float = 0.0) -> None:
        if cython.compiled:
            self._callbacks = []
            self._arguments = []
        else:
            self._heap: list[tuple[float, int, int, Callback, tuple[Any, ...]]] = []
        self._cancelled: set[int] = set()
        #: Current simulated time in seconds (read it; only :meth:`run` advances it).
        self.now = float(start_s)
        self._sequence = 0
        self._seed = int(seed)
        self._stopping = False
        self.events_processed = 0

    def __dealloc__(self) -> None:
        """Compiled only: free the C heap."""
        free(self._events)
        free(self._free)

    @property
    def pending(self) -> int:
        """Events scheduled and not yet fired (cancelled ones included until they surface)."""
        if cython.compiled:
            return self._size
        return len(self._heap)

    def stream(self, name: str) -> np.random.Generator:
        """An independent generator for ``name``, reproducible from the run's seed alone."""
        digest = hashlib.sha256(name.encode()).digest()
        key = int.from_bytes(digest[:8], "little")
        return np.random.default_rng(np.random.SeedSequence([self._seed, key]))

    def schedule(self, delay_s: float, callback: Callback, *args: Any, priority: int = 0) -> int:
        """Call ``callback(*args)`` after ``delay_s`` simulated seconds; returns a handle for :meth:`cancel`."""
        if not delay_s >= 0.0:  # also rejects NaN
            raise ValueError(f"negative or NaN delay {delay_s!r}: events cannot be scheduled in the past")
        return self._push(self.now + delay_s, priority, callback, args)

    def schedule_at(self, time_s: float, callback: Callback, *args: Any, priority: int = 0) -> int:
        """Call ``callback(*args)`` at absolute time ``time_s`` (not before now)."""
        if not time_s >= self.now:
            raise ValueError(f"time {time_s!r} is before now ({self.now!r})")
        return self.schedule(time_s - self.now, callback, *args, priority=priority)

    def _push(self, time_s: float, priority: int, callback: Callback, args: tuple[Any, ...]) -> int:
        """Put ``callback(*args)`` on the heap at ``time_s`` (unchecked: the callers check); returns its handle."""
        if cython.compiled:
            return self._insert(time_s, priority, callback, args, 0)
        sequence = self._sequence
        self._sequence = sequence + 1
        _heappush(self._heap, (time_s, priority, sequence, callback, args))
        return sequence

    def _push_job(self, time_s: float, handler: Handler, job: int) -> int:
        """Put ``handler.handle(job)`` on the heap at ``time_s``, priority 0, as :meth:`_push` would; compiled, it
        is called as a C method."""
        if cython.compiled:
            return self._insert(time_s, 0, handler, None, job)
        return self._push(time_s, 0, handler.handle, (job,))

    def _insert(self, time_s: float, priority: int, callback: Any, args: tuple[Any, ...] | None, job: int) -> int:
        """Compiled only: put an event into the C heap; ``args`` None means ``callback`` is a handler of ``job``."""
        sequence = self._sequence
        self._sequence = sequence + 1
        if self._size == self._capacity:
            self._grow()
        if self._free_count:
            self._free_count -= 1
            slot = self._free[self._free_count]
            self._callbacks[slot] = callback
            self._arguments[slot] = args
        else:
            slot = len(self._callbacks)
            self._callbacks.append(callback)
            self._arguments.append(args)
        events = self._events  # the new event goes in at the end, then up
        hole = self._size
        events[hole].time_s = time_s
        events[hole].priority = priority
        events[hole].sequence = sequence
        events[hole].slot = slot
        events[hole].job = job
        self._size = hole + 1
        self._sift_up(hole, events[hole])
        return sequence

    def _grow(self) -> None:
        """Compiled only: double the C heap's capacity (and its free list's, which never holds more slots)."""
        capacity = 2 * self._capacity if self._capacity else 64
        events = cython.cast(_Heap, realloc(self._events, capacity * cython.sizeof(self._events[0])))
        if events == cython.NULL:
            raise MemoryError
        self._events = events
        slots = cython.cast(_Slots, realloc(self._free, capacity * cython.sizeof(self._free[0])))
        if slots == cython.NULL:
            raise MemoryError
        self._free = slots
        self._capacity = capacity

    def _sift_up(self, hole: int, event) -> None:
        """Compiled only: put ``event`` into the C heap at ``hole`` or, while it fires first, above."""
        events = self._events
        while hole > 0:
            parent = (hole - 1) >> 2
            if not _earlier(event, events[parent]):
                break
            events[hole] = events[parent]
            hole = parent
        events[hole] = event

    def _pop_first(self):
        """Compiled only: take the first event off the C heap (bottom-up, as ``heapq.heappop``: the earliest of a
        hole's four children moves up into it, down to a leaf, which the last event then fills)."""
        events = self._events
        first = events[0]
        self._size -= 1
        size = self._size
        hole = 0
        child = 1
        while child < size:
            earliest = child
            last = min(child + 4, size)
            for sibling in range(child + 1, last):
                if _earlier(events[sibling], events[earliest]):
                    earliest = sibling
            events[hole] = events[earliest]
            hole = earliest
            child = 4 * hole + 1
        if size:
            self._sift_up(hole, events[size])
        return first

    def cancel(self, handle: int) -> None:
        """Cancel a scheduled event; cancelling one that already fired is a no-op."""
        if cython.compiled:
            count = len(self._cancelled)
            self._cancelled.add(handle)
            if len(self._cancelled) != count:
                self._cancels[handle & CANCEL_BUCKETS_MASK] += 1
            return
        self._cancelled.add(handle)

    def stop(self) -> None:
        """Make the running :meth:`run` return once the event now firing is done (a model that must hand control
        back to its driver mid-run: the learning environment at each decision). The clock stays at that event."""
        self._stopping = True

    def run(self, *, until_s: float = math.inf, max_events: int | None = None) -> int:
        """Fire events in order until the heap is empty, time passes ``until_s``, ``max_events`` fired or an event
        called :meth:`stop`.

        Returns the number of events fired by this call. The clock ends at ``until_s`` when that bound stopped
        the run, else at the last event's time.
        """
        self._stopping = False
        fired = self._fire(until_s, -1 if max_events is None else max_events)  # -1: unbounded
        if self._stopping:
            self._stopping = False
        elif not self.pending and until_s != math.inf:
            self.now = max(self.now, until_s)
        self.events_processed += fired
        return fired

    def _fire(self, until_s: float, budget: int) -> int:
        """The event loop of :meth:`run`; ``budget`` -1 means no bound on the events fired."""
        cancelled = self._cancelled
        fired = 0
        if cython.compiled:
            callbacks = self._callbacks
            arguments = self._arguments
            while self._size and fired != budget:
                if self._events[0].time_s > until_s:  # not due
                    self.now = until_s
                    break
                first = self._pop_first()
                callback = callbacks[first.slot]
                args = arguments[first.slot]
                callbacks[first.slot] = None
                arguments[first.slot] = None
                self._free[self._free_count] = first.slot
                self._free_count += 1
                # the set is read only where a cancel fell into the event's bucket: most events make no int
                if self._cancels[first.sequence & CANCEL_BUCKETS_MASK] and first.sequence in cancelled:
                    cancelled.discard(first.sequence)
                    self._cancels[first.sequence & CANCEL_BUCKETS_MASK] -= 1
                    continue
                self.now = first.time_s
                if args is None:
                    cython.cast(Handler, callback).handle(first.job)
                else:
                    callback(*args)
                fired += 1
                if self._stopping:
                    break
            return fired
        heap = self._heap
        while heap and fired != budget:
            if heap[0][0] > until_s:  # not due
                self.now = until_s
                break
            entry = _heappop(heap)
            time_s = entry[0]
            if cancelled and entry[2] in cancelled:
                cancelled.discard(entry[2])
                continue
            self.now = time_s
            entry[3](*entry[4])
            fired += 1
            if self._stopping:
                break
        return fired
