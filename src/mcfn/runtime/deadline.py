"""A connection's deadline: one lazily re-armed timer instead of a timer per read or write.

``asyncio.timeout`` schedules and cancels a timer handle for every operation it bounds — about 8 µs on this
project's machines, three times per request/answer round trip, which is more than the Python framing of a small
frame costs. A :class:`Deadline` keeps one timer per connection: starting an operation only records when it must
end (and moves the timer earlier if needed); finishing it only clears that. When the timer fires it re-arms itself
for the current operation's end if that lies ahead, and otherwise cancels the task running the operation, which
the operation turns into ``TimeoutError`` (:meth:`Deadline.cause`). So a stream of fast operations costs a couple
of attribute writes each, and a timer fires at most once per timeout period — the deadline model of Go's
``net.Conn.SetDeadline``, with asyncio's cancellation doing the interrupting as ``asyncio.timeout`` does.

Ends are kept on ``time.perf_counter``, and the timer only wakes the deadline to check: uvloop's clock and timers
count whole milliseconds (:mod:`mcfn.runtime.loop`), so a timer set on them may fire up to a millisecond before
its time, and is then re-armed for what is left, never cutting an operation short.
"""

from __future__ import annotations

import asyncio
import time


class Deadline:
    """The end of the operation in progress on one connection (one operation at a time, from one task)."""

    __slots__ = ("_at", "_expired", "_loop", "_task", "_timer", "_timer_at")

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._at: float | None = None
        self._task: asyncio.Task | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._expired: asyncio.Task | None = None

    def start(self, timeout_s: float | None) -> None:
        """An operation of the current task begins and must end within ``timeout_s`` (``None``: no limit)."""
        if timeout_s is None:
            return
        at = time.perf_counter() + timeout_s
        self._at, self._task = at, asyncio.current_task(self._loop)
        if self._timer is None or self._timer_at > at:
            if self._timer is not None:
                self._timer.cancel()
            self._arm(at)

    def stop(self) -> None:
        """The operation ended (the timer stays, to be re-armed or to find nothing to do)."""
        self._at = self._task = None

    def cause(self, cancelled: asyncio.CancelledError) -> BaseException:
        """What to raise for ``cancelled``, caught inside an operation: ``TimeoutError`` if this deadline caused
        it (and nothing else asked to cancel the task), otherwise ``cancelled`` itself."""
        task, self._expired = self._expired, None
        if task is None or task is not asyncio.current_task() or task.uncancel() > 0:
            return cancelled
        return TimeoutError("deadline exceeded")

    def close(self) -> None:
        """Cancel the timer (the connection is closing)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, at: float) -> None:
        self._timer_at = at
        self._timer = self._loop.call_later(at - time.perf_counter(), self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._at is None or self._task is None:
            return
        if time.perf_counter() < self._at:
            self._arm(self._at)
            return
        self._expired, task = self._task, self._task
        self.stop()
        task.cancel()
