"""Link emulation by the sender: a frame leaves only when an emulated link of given bandwidth and delay would
have delivered it.

A link serialises frames (a frame starts when the previous one has been transmitted), transmits at
``bandwidth_bps`` and adds ``delay_s`` of propagation, so frame ``n`` of ``B`` bytes handed over at ``t`` arrives
at ``max(t, free_n-1) + 8B / bandwidth + delay`` — the store-and-forward model of one hop (Kurose & Ross,
*Computer Networking*, §1.4). The sender waits until then and writes; on loopback the real transfer adds little.

asyncio's selector waits whole milliseconds, rounded up (``selectors.EpollSelector.select``), so a plain
``asyncio.sleep`` comes up to a millisecond late, plus the wake-up — as much as a LAN hop's delay (measured here: a
1.3 ms hold took 2.15 ms). The pacer sleeps to :data:`SPIN_S` before the frame's time and yields to the event loop
from there until it, so every hop is held as long as the link says, not a timer tick longer; a thread's pacer
(:meth:`Pacer.wait`, the data plane's) does the same from :data:`THREAD_SPIN_S` before. It reads the time
from ``time.perf_counter``, not the loop's clock, which counts whole milliseconds on uvloop
(:mod:`mcfn.runtime.loop`).
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class LinkProfile:
    """One emulated hop: ``bandwidth_bps`` (``inf`` for none) and one-way ``delay_s``."""

    bandwidth_bps: float = math.inf
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        if not self.bandwidth_bps > 0:
            raise ValueError(f"bandwidth_bps must be positive, got {self.bandwidth_bps}")
        if not 0 <= self.delay_s < math.inf:
            raise ValueError(f"delay_s must be finite and >= 0, got {self.delay_s}")

    @property
    def is_ideal(self) -> bool:
        return self.bandwidth_bps == math.inf and self.delay_s == 0

    def transfer_s(self, nbytes: int) -> float:
        """Seconds one frame of ``nbytes`` takes on an idle link."""
        return 8 * nbytes / self.bandwidth_bps + self.delay_s

    def fields(self) -> dict[str, float | None]:
        """The profile as JSON header fields (an unlimited bandwidth is ``None``)."""
        return {
            "bandwidth_bps": None if self.bandwidth_bps == math.inf else self.bandwidth_bps,
            "delay_s": self.delay_s,
        }


IDEAL = LinkProfile()

#: How long before a frame's time the pacer stops sleeping and yields until it: more than asyncio's timer rounds up
#: (1 ms), less than the wake-up after it adds on an idle machine.
SPIN_S = 1.5e-3
#: The same for a thread: more than ``time.sleep`` overshoots (its timer slack and the wake-up: 80-210 µs for sleeps
#: of 0.1-5 ms on this project's machines, which would add 10 % to a 1 ms hop; ``time.sleep(0)`` alone takes 60 µs,
#: so the thread spins on ``sched_yield``, which lets other threads have the interpreter lock).
THREAD_SPIN_S = 0.4e-3
_yield = getattr(os, "sched_yield", lambda: None)  # not on Windows: spin


class Pacer:
    """The emulated link of one connection: holds each frame until the link would have delivered it (:meth:`hold`
    on an event loop, :meth:`wait` in a thread)."""

    def __init__(self, profile: LinkProfile = IDEAL) -> None:
        self.profile = profile
        self._free_at = -math.inf

    def arrival(self, nbytes: int, profile: LinkProfile | None = None) -> float:
        """Book the link for a frame of ``nbytes`` handed over now (``profile`` overrides for this frame): the
        ``time.perf_counter`` time at which it arrives."""
        link = profile or self.profile
        if link.is_ideal:
            return -math.inf
        start = max(time.perf_counter(), self._free_at)
        self._free_at = start + 8 * nbytes / link.bandwidth_bps
        return self._free_at + link.delay_s

    async def hold(self, nbytes: int, profile: LinkProfile | None = None) -> None:
        """Wait until a frame of ``nbytes`` handed over now would arrive, yielding to the event loop."""
        arrival = self.arrival(nbytes, profile)
        while (left := arrival - time.perf_counter()) > 0:
            await asyncio.sleep(left - SPIN_S if left > SPIN_S else 0)

    def wait(self, nbytes: int, profile: LinkProfile | None = None) -> None:
        """Block this thread until a frame of ``nbytes`` handed over now would arrive (sleeping, then yielding the
        interpreter lock from :data:`THREAD_SPIN_S` before)."""
        arrival = self.arrival(nbytes, profile)
        while (left := arrival - time.perf_counter()) > 0:
            if left > THREAD_SPIN_S:
                time.sleep(left - THREAD_SPIN_S)
            else:
                _yield()
