"""Admission by measured service: refuse at once a request that would wait past its deadline behind those in flight.

The router's prediction (:mod:`mcfn.routing`) sees the agents' queues through their adverts and the compute a stage
should take on its node; what it cannot see is everything else the request waits for on a loaded machine — the
controller's own event loop, the agents' threads and the links, all sharing CPUs. So the controller also judges a
request by what it measures: :class:`Admission` keeps the service time ``s`` of a request that does not queue (the
fastest of the last :data:`WINDOW_S`'s) and the rate ``μ`` at which requests were served then (over the time
between the first and the last of those completions, so a burst after an idle spell is not judged by the spell).
The cluster serves ``P = max(servers, μ s)`` requests at once without queueing (Little's law, ``L = λW``: Little,
"A Proof for the Queuing Formula L = λW", Operations Research, 1961; ``servers`` is its workers, the least it can
serve at once, more where a request's stages run on several agents), so a request that joins ``n`` others is
predicted to take ``s · max(1, (n + 1) / P)``, and is refused at once if that exceeds :data:`HEADROOM` of what its
deadline leaves (the estimate is a mean, and the served requests' tail must still meet the deadline) — as Clipper
and Clockwork refuse at the door what would miss its deadline rather than queue it (Crankshaw et al., NSDI 2017;
Gujarati et al., OSDI 2020). Under overload the requests in flight stay those that can still be served in time,
and the others are answered at once; as the served rate rises, so does ``P``, so shedding never locks the cluster
below what it can serve.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

#: Seconds of completions the service rate is measured over.
WINDOW_S = 1.0
#: Share of a request's budget its predicted time may take (an assumed margin for the spread around the mean,
#: chosen by the overload curve of ``benchmarks/runtime.py``).
HEADROOM = 0.8


class Admission:
    """Requests in flight at a controller and its measured service (module docstring); ``servers``: how many
    requests the cluster serves at once; ``clock``: seconds, monotonic."""

    def __init__(self, *, servers: int, clock: Callable[[], float] = time.perf_counter) -> None:
        if servers < 1:
            raise ValueError(f"servers must be >= 1, got {servers}")
        self.servers = servers
        self._clock = clock
        self.in_flight = 0
        self._done: deque[tuple[float, float]] = deque()  # (finished at, latency) over the window

    def admits(self, budget_s: float) -> bool:
        """Whether a request with ``budget_s`` left of its deadline is predicted to be served within it."""
        return self.predicted_s() <= HEADROOM * budget_s

    def predicted_s(self) -> float:
        """Seconds a request admitted now is predicted to take; 0 while a server is free or fewer than two
        completions are measured."""
        if self.in_flight < self.servers:
            return 0.0
        self._forget(self._clock())
        span = self._done[-1][0] - self._done[0][0] if len(self._done) > 1 else 0.0
        if span <= 0:
            return 0.0
        rate = (len(self._done) - 1) / span
        service = min(latency for _, latency in self._done)
        parallel = max(self.servers, rate * service)
        return service * max(1.0, (self.in_flight + 1) / parallel)

    def start(self) -> None:
        self.in_flight += 1

    def finish(self, latency_s: float | None) -> None:
        """A request ended: served in ``latency_s``, or not served (``None``: it counts in no rate)."""
        self.in_flight -= 1
        if latency_s is not None:
            now = self._clock()
            self._done.append((now, latency_s))
            self._forget(now)

    def _forget(self, now: float) -> None:
        while self._done and self._done[0][0] < now - WINDOW_S:
            self._done.popleft()
