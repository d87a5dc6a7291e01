"""An agent's compute slots, handed out earliest deadline first.

A request's stages often queue on the same agent one after another (three stages on one edge server), and under
load a first-come queue interleaves the requests in flight: each stage of each request waits behind a stage of
every other, so they all finish together, late — the processor-sharing that makes every request miss its
deadline at once. Handing a free slot to the waiting stage whose request ends first (EDF, optimal for meeting
deadlines on one processor: Liu & Layland, "Scheduling Algorithms for Multiprogramming in a Hard-Real-Time
Environment", JACM 1973) finishes the earliest requests first, so the cluster keeps serving requests in time while
the admission control (:mod:`mcfn.runtime.admission`) sheds the rest.
"""

from __future__ import annotations

import heapq
import itertools
import threading


class DeadlineSlots:
    """``slots`` compute slots for threads; :meth:`acquire` waits for one, earliest deadline first."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}")
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: list[tuple[float, int, threading.Event]] = []
        self._order = itertools.count()  # equal deadlines in arrival order

    def acquire(self, deadline: float) -> None:
        """Take a slot, waiting while the ones taken are busy and earlier deadlines wait."""
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            heapq.heappush(self._waiting, (deadline, next(self._order), turn))
        turn.wait()  # released: the slot was handed over

    def release(self) -> None:
        """Give the slot to the waiting thread of the earliest deadline, or back."""
        with self._lock:
            if self._waiting:
                heapq.heappop(self._waiting)[2].set()
            else:
                self._free += 1
