"""A rate-sharing station: jobs in service progress at rates that a rule re-divides whenever the set changes.

One class serves three models of the network simulator, each a rule ``rates(keys, remaining) -> rates``:

- a wired link shared by concurrent transfers (egalitarian processor sharing: ``C / n`` bit/s each;
  Kleinrock, "Time-shared systems: a theoretical treatment", JACM 14(2), 1967);
- a base station's OFDMA uplink, re-divided by an uplink policy of :mod:`mcfn.network.uplink`;
- an edge server whose ``i`` busy VMs each run ``(1 + d)^(i - 1)`` times slower (seed eq. 2), with jobs beyond
  the VM slots waiting in a FIFO queue.

A job may leave a fixed ``delay_s`` after its service ends (a link's propagation delay, the air interface after
an upload): its slot and share are freed when its service ends, and ``on_finish(job, served_s)`` is called when
it leaves. Nothing else happens to a job in that delay, so the station needs no event for the end of service: it
keeps exactly one pending event in the kernel, for the next job to leave, and works out the ends of service in
between when it is next touched (an arrival, a departure, a read of its state), advancing the jobs at the rates
of each interval in turn, the same arithmetic, at the same instants, as one event per end of service would.
On every arrival it advances the jobs' remaining work at the old rates, asks the rule for new rates and moves the
pending event if it was for the job now due first. When every job gets the same rate (links, VMs:
:class:`EqualSharing`) the station tracks the service attained by any one job in service (a "virtual time", as
in the classic analyses of processor sharing) and a heap of finishing points, so a change costs ``O(log n)``;
with per-job rates (the uplink: :class:`PolicySharing`) it costs ``O(n)`` plus the rule, and ``n`` stays small in
a cell (a handful of concurrent uploads).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from mcfn.sim.engine import Handler, Simulator

try:
    import cython
except ImportError:  # Cython builds mcfn; without it, mcfn runs as Python
    from mcfn._accelerated import uncompiled as cython

if cython.compiled:
    from cython.cimports.libc.stdlib import free, realloc
    from cython.cimports.mcfn.sim.sharing import _Finish, _Finishes, _InService, _Leaving, _Leavings, _Served

#: ``rate(n)``: the service rate (work units per second) of each of the ``n`` jobs in service; a function of ``n``
#: alone, which the station tabulates as ``n`` grows.
EqualRate = Callable[[int], float]
#: ``rates(keys, remaining)``: service rate of each job in service (work units per second), same order; the rule
#: reads the two sequences and neither keeps nor changes them. It is asked at the instant the set of jobs changes,
#: which is earlier than the clock when the station works out an end of service late: it must not read the clock.
RateRule = Callable[[Sequence[Any], Sequence[float]], Sequence[float]]
#: ``on_finish(job, served_s)``: the job leaves now; its service ended at ``served_s`` (now less the delay).
Finished = Callable[[int, float], None]

_heappush, _heappop = heapq.heappush, heapq.heappop
_INF = math.inf  # compiled, a C double (sharing.pxd), not a module attribute looked up at every use
#: Compiled, :class:`EqualSharing` keeps ``rate(n)`` for ``n`` up to this many jobs in service in its own C fields
#: (the size of ``_rates_in_station`` in sharing.pxd): on a large network a station is seldom in the cache, and a
#: list of float objects would cost two more misses per change.
RATES_IN_STATION = 8


def equal_share(capacity: float) -> EqualRate:
    """Egalitarian processor sharing: ``capacity / n`` each."""
    return lambda n: capacity / n


def slowed_by_parallelism(slowdown: Sequence[float]) -> EqualRate:
    """Every job in service runs at ``1 / slowdown[i - 1]`` when ``i`` jobs are in service (work in seconds)."""
    speeds = [1.0 / s for s in slowdown]
    return lambda n: speeds[n - 1]


class SharingStation(Handler):
    """Jobs share a service capacity; at most ``slots`` in service, the rest wait FIFO. Subclasses say how.

    A job leaves ``delay_s`` after its service ends (module docstring). Keeps time integrals for utilisation:
    ``busy_area`` (seconds with at least one job in service), ``in_service_area`` (integral of the number in
    service) and ``work_done``; :meth:`account` brings them, and ``in_service``, up to now.
    """

    def __init__(self, sim: Simulator, *, on_finish: Finished, slots: int | None = None, delay_s: float = 0.0) -> None:
        if not delay_s >= 0.0:
            raise ValueError(f"delay_s must be >= 0, got {delay_s!r}")
        self._sim = sim
        self._finished = on_finish
        self.slots = slots
        self._limit = slots if slots is not None else _INF
        self._delay_s = delay_s
        self.in_service = 0
        self._queue: deque[tuple[int, float, Any]] = deque()
        #: Jobs whose service has ended and that have not left yet, in order (a few at most): as Python a deque of
        #: ``(served_s, job)``; compiled, a ring of C structs (``_leaving_first`` the first) that doubles when full.
        self._leaving_count = 0
        if not cython.compiled:
            self._leaving: deque[tuple[float, int]] = deque()
        # the job due to finish service next and when (inf: none in service); a subclass's _next sets both
        self._due_s = _INF
        self._due_job = -1
        self._event = -1  # handle of the pending event (-1: none): leaving[0] leaves, or else the due job
        self._last_s = sim.now
        self.busy_area = 0.0
        self.in_service_area = 0.0
        self.work_done = 0.0

    # --- what a subclass provides ----------------------------------------------------------------------------
    def _add(self, job: int, work: float, key: Any) -> None:
        raise NotImplementedError

    def _progress(self, elapsed_s: float) -> float:
        """Advance every job in service by ``elapsed_s`` at the current rates; return the work done."""
        raise NotImplementedError

    def _next(self) -> None:
        """Set the rates for the ``in_service`` jobs now in service, and ``_due_job`` and ``_due_s``."""
        raise NotImplementedError

    def _remove(self, job: int) -> None:
        raise NotImplementedError

    def _clear(self) -> list[int]:
        """Remove every job in service; return their ids."""
        raise NotImplementedError

    # --- the common machinery --------------------------------------------------------------------------------
    @property
    def queued(self) -> int:
        return len(self._queue)

    def queued_work(self) -> float:
        """Work waiting for a slot (not yet in service)."""
        return sum(work for _, work, _ in self._queue)

    def submit(self, job: int, work: float, key: Any = None) -> None:
        """Add ``job`` with ``work`` units to do; ``key`` is what a rate rule reads about it (e.g. its SNR)."""
        self.account()
        if self.in_service >= self._limit:
            self._queue.append((job, work, key))
            return
        self._add(job, work, key)
        self.in_service += 1
        self._next()
        if not self._leaving_count:  # the pending event was for the job due first, which may have changed
            self._arm()

    def drop_all(self) -> list[int]:
        """Remove every job (in service and waiting) without finishing it; returns their ids (for a failure).

        Jobs whose service has ended are no longer here: they leave when due.
        """
        self.account()
        jobs = [*self._clear(), *(job for job, _, _ in self._queue)]
        self.in_service = 0
        self._queue.clear()
        self._due_s = _INF
        if not self._leaving_count:
            self._arm()
        return jobs

    def account(self) -> None:
        """Bring the station up to now: the ends of service due by now, each at its instant, then the integrals."""
        now = self._sim.now
        while self._due_s <= now:
            self._end_service()
        self._advance(now)

    def _advance(self, now: float) -> None:
        elapsed = now - self._last_s
        if elapsed > 0.0:
            n = self.in_service
            if n:
                self.busy_area += elapsed
                self.in_service_area += n * elapsed
                self.work_done += self._progress(elapsed)
            self._last_s = now

    def _end_service(self) -> None:
        """The due job's service ends: it starts its delay; the rates change from then on."""
        served_s, job = self._due_s, self._due_job
        self._advance(served_s)
        self._remove(job)
        if self._queue:
            waiting, work, key = self._queue.popleft()
            self._add(waiting, work, key)
        else:
            self.in_service -= 1
        self._leave(served_s, job)
        if self.in_service:
            self._next()
        else:
            self._due_s = _INF

    def _leave(self, served_s: float, job: int) -> None:
        """``job``'s service ended at ``served_s``: it leaves after the others leaving."""
        if not cython.compiled:
            self._leaving.append((served_s, job))
            self._leaving_count += 1
            return
        room = self._leaving_room
        if self._leaving_count == room:  # twice the room, the wrapped part moved after the old end
            grown = cython.cast(_Leavings, realloc(self._leaving, (2 * room if room else 4) * cython.sizeof(_Leaving)))
            if grown == cython.NULL:
                raise MemoryError
            for i in range(self._leaving_first):
                grown[room + i] = grown[i]
            self._leaving = grown
            self._leaving_room = 2 * room if room else 4
        i = self._leaving_first + self._leaving_count
        if i >= self._leaving_room:
            i -= self._leaving_room
        self._leaving[i].served_s = served_s
        self._leaving[i].job = job
        self._leaving_count += 1

    def __dealloc__(self) -> None:
        """Compiled only: free the C ring."""
        free(self._leaving)

    def _arm(self) -> None:
        """(Re)schedule the pending event: the first leaving job's, or else the due job's."""
        sim = self._sim
        if self._event >= 0:
            sim.cancel(self._event)
            self._event = -1
        if self._leaving_count:
            if cython.compiled:
                served_s, job = self._leaving[self._leaving_first].served_s, self._leaving[self._leaving_first].job
            else:
                served_s, job = self._leaving[0]
        elif self._due_s < _INF:
            served_s, job = self._due_s, self._due_job
        else:
            return
        # at now + delay, as schedule(delay) would put it, and never in the past
        now = sim.now
        self._event = sim._push_job(now + max(served_s + self._delay_s - now, 0.0), self, job)

    def handle(self, job: int) -> None:
        """The pending event: ``job``, the first leaving job, leaves."""
        self._event = -1
        now = self._sim.now
        while self._due_s <= now:  # the ends of service up to now (the integrals stop at the last)
            self._end_service()
        if cython.compiled:
            served_s, first = self._leaving[self._leaving_first].served_s, self._leaving[self._leaving_first].job
            self._leaving_first += 1
            if self._leaving_first == self._leaving_room:
                self._leaving_first = 0
        else:
            served_s, first = self._leaving.popleft()
        self._leaving_count -= 1
        if first != job:
            raise RuntimeError(f"station let job {job} leave but job {first} was due first")
        self._arm()
        self._finish(job, served_s)

    def _finish(self, job: int, served_s: float) -> None:
        """Tell ``on_finish`` that ``job`` left; a subclass that knows its receiver may call it directly."""
        self._finished(job, served_s)


class EqualSharing(SharingStation):
    """Every job in service at the same rate ``rate(n)``: a virtual-time heap, ``O(log n)`` per change.

    The heap holds ``(finish, job)``: the attained service at which each job in service finishes, ties by job id.
    As Python it is a ``heapq`` list of tuples; compiled (``sharing.pxd``), an array of C structs that grows by
    doubling, kept by the same sift-down and bottom-up sift-up as ``heapq``'s, so that its entries lie in the same
    order (which :meth:`_clear` returns) and the same job is due first.
    """

    def __init__(
        self,
        sim: Simulator,
        *,
        rate: EqualRate,
        on_finish: Finished,
        slots: int | None = None,
        delay_s: float = 0.0,
    ) -> None:
        super().__init__(sim, on_finish=on_finish, slots=slots, delay_s=delay_s)
        self._rate_of = rate
        self._rate_table: list[float] = []  # rate(n) at [n - 1], for every n seen so far
        self._rate = 0.0
        self._attained = 0.0  # service attained by any job in service since the station began
        if not cython.compiled:
            self._heap: list[tuple[float, int]] = []

    def __dealloc__(self) -> None:
        """Compiled only: free the C heap."""
        free(self._finishes)

    def _add(self, job: int, work: float, key: Any) -> None:
        if not cython.compiled:
            _heappush(self._heap, (self._attained + work, job))
            return
        if self._count == self._capacity:
            capacity = 2 * self._capacity if self._capacity else 8
            grown = cython.cast(_Finishes, realloc(self._finishes, capacity * cython.sizeof(_Finish)))
            if grown == cython.NULL:
                raise MemoryError
            self._finishes, self._capacity = grown, capacity
        self._finishes[self._count].finish = self._attained + work
        self._finishes[self._count].job = job
        self._count += 1
        self._sift_down(0, self._count - 1)

    def _sift_down(self, start: int, pos: int) -> None:
        """Compiled only: ``heapq._siftdown``: the entry at ``pos`` moves up while it finishes before its parent."""
        heap = self._finishes
        item = heap[pos]
        while pos > start:
            parent = (pos - 1) >> 1
            if not _before(item, heap[parent]):
                break
            heap[pos] = heap[parent]
            pos = parent
        heap[pos] = item

    def _progress(self, elapsed_s: float) -> float:
        step = self._rate * elapsed_s
        self._attained += step
        return step * self.in_service

    def _next(self) -> None:
        n = self.in_service
        if cython.compiled and n <= RATES_IN_STATION:  # read in the station's own memory: no list, no float object
            rate = self._rates_in_station[n - 1]
            if rate == 0.0:  # not asked for before (a rate is positive)
                rate = self._rates_in_station[n - 1] = self._rate_for(n)
        else:
            rate = self._rate_for(n)
        self._rate = rate
        if cython.compiled:
            finish, self._due_job = self._finishes[0].finish, self._finishes[0].job
        else:
            finish, self._due_job = self._heap[0]
        self._due_s = self._last_s + max(finish - self._attained, 0.0) / rate

    def _rate_for(self, n: int) -> float:
        """``rate(n)``, computed once per ``n``."""
        table = self._rate_table
        while len(table) < n:
            table.append(self._rate_of(len(table) + 1))
        return table[n - 1]

    def _remove(self, job: int) -> None:
        if cython.compiled:  # heapq.heappop: the last entry fills the root's place, then sifts down from a leaf
            heap = self._finishes
            first = heap[0].job
            self._count -= 1
            end = self._count
            if end:
                item = heap[end]
                pos, child = 0, 1
                while child < end:
                    if child + 1 < end and not _before(heap[child], heap[child + 1]):
                        child += 1
                    heap[pos] = heap[child]
                    pos = child
                    child = 2 * pos + 1
                heap[pos] = item
                self._sift_down(0, pos)
        else:
            _, first = _heappop(self._heap)  # the job scheduled to finish is the heap's first
        if first != job:
            raise RuntimeError(f"station finished job {job} but job {first} was due first")

    def _clear(self) -> list[int]:
        if cython.compiled:
            jobs = [self._finishes[i].job for i in range(self._count)]
            self._count = 0
            return jobs
        jobs = [job for _, job in self._heap]
        self._heap.clear()
        return jobs


def _before(a, b) -> bool:
    """Compiled only: whether heap entry ``a`` sorts before ``b`` as the tuples ``(finish, job)`` would."""
    if a.finish != b.finish:
        return a.finish < b.finish
    return a.job < b.job


class PolicySharing(SharingStation):
    """Per-job rates from a :data:`RateRule` re-run on every change (``O(n)`` plus the rule).

    The jobs in service are kept in arrival order with, aligned, what the rule reads and sets: as Python four lists
    (jobs, bits left, keys, rates); compiled (``sharing.pxd``), the keys in a list and the rest in an array of C
    structs that grows by doubling (on a large network a station is seldom in the cache: a change then touches one
    array, and makes no float object per job), which the rule reads through a sequence view of the bits left.
    """

    def __init__(
        self,
        sim: Simulator,
        *,
        rule: RateRule,
        on_finish: Finished,
        slots: int | None = None,
        delay_s: float = 0.0,
    ) -> None:
        super().__init__(sim, on_finish=on_finish, slots=slots, delay_s=delay_s)
        self._rule = rule
        self._keys: list[Any] = []
        if cython.compiled:
            self._left_view = _LeftBits(self)
        else:
            self._jobs: list[int] = []
            self._left: list[float] = []
            self._rates: list[float] = []

    def __dealloc__(self) -> None:
        """Compiled only: free the C array."""
        free(self._served)

    def _job_at(self, i: int) -> int:
        """The ``i``-th job in service (arrival order)."""
        if cython.compiled:
            return self._served[i].job
        return self._jobs[i]

    def _left_at(self, i: int) -> float:
        """The work the ``i``-th job in service has left."""
        if cython.compiled:
            return self._served[i].left
        return self._left[i]

    def _add(self, job: int, work: float, key: Any) -> None:
        self._keys.append(key)
        if not cython.compiled:
            self._jobs.append(job)
            self._left.append(work)
            return
        n = len(self._keys) - 1
        if n == self._room:
            room = 2 * self._room if self._room else 4
            grown = cython.cast(_Served, realloc(self._served, room * cython.sizeof(_InService)))
            if grown == cython.NULL:
                raise MemoryError
            self._served, self._room = grown, room
        self._served[n].job = job
        self._served[n].left = work
        self._served[n].rate = 0.0  # until _next, which follows every _add

    def _progress(self, elapsed_s: float) -> float:
        done = 0.0
        if cython.compiled:
            for i in range(len(self._keys)):
                step = self._served[i].rate * elapsed_s
                self._served[i].left -= step
                done += step
            return done
        left = self._left
        for i, rate in enumerate(self._rates):
            step = rate * elapsed_s
            left[i] -= step
            done += step
        return done

    def _next(self) -> None:
        n = len(self._keys)
        if cython.compiled:
            rates = self._rule(self._keys, self._left_view)
        else:
            self._rates = rates = list(self._rule(self._keys, self._left))
        if len(rates) != n:
            raise ValueError(f"the rate rule gave {len(rates)} rates for {n} jobs")
        first, delay = self._job_at(0), _INF
        for i in range(n):
            left, rate = self._left_at(i), rates[i]
            if cython.compiled:
                self._served[i].rate = rate
            wait = (left / rate if rate > 0.0 else _INF) if left > 0.0 else 0.0
            if wait < delay:
                first, delay = self._job_at(i), wait
        self._due_job = first
        self._due_s = self._last_s + delay

    def _remove(self, job: int) -> None:
        if not cython.compiled:
            i = self._jobs.index(job)
            del self._jobs[i], self._left[i], self._keys[i], self._rates[i]
            return
        n = len(self._keys)
        i = 0
        while i < n and self._served[i].job != job:
            i += 1
        if i == n:
            raise ValueError(f"job {job} is not in service")
        for k in range(i, n - 1):
            self._served[k] = self._served[k + 1]
        del self._keys[i]

    def _clear(self) -> list[int]:
        jobs = [self._job_at(i) for i in range(len(self._keys))]
        self._keys = []
        if not cython.compiled:
            self._jobs, self._left, self._rates = [], [], []
        return jobs


class _LeftBits:
    """Compiled only: the work each job in service at a :class:`PolicySharing` station has left, in order, as the
    read-only sequence a rate rule reads (a view of the station's C array: nothing is copied)."""

    __slots__ = ("_station",)

    def __init__(self, station: PolicySharing) -> None:
        self._station = station

    def __len__(self) -> int:
        return len(self._station._keys)

    def __getitem__(self, i: int) -> float:
        n = len(self._station._keys)
        at = i + n if i < 0 else i
        if not 0 <= at < n:
            raise IndexError(f"index {i} out of range for {n} jobs in service")
        return self._station._left_at(at)
