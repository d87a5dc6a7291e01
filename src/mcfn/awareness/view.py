"""The router's aware view: each node's latest advert, its age, and an estimate of the present from it.

A stale advert is extrapolated with a fluid queue: the backlog changes at ``arrival - speed`` FLOP/s while it is
positive, so ``queue(now) ≈ max(0, queue(sent) + (arrival - speed) · age)``. A node never heard from is assumed
idle, and a node that advertises no measured speed is assumed to serve at its nominal speed (optimistic, so a router
still tries it; a never-heard node's age is ``inf``). On-demand probing (metrics pulled when needed rather than
pushed periodically, both allowed by the CATS framework, RFC 10053) is the caller's choice: :meth:`AwareView.stale`
says which nodes are older than a threshold, the engine asks them, and :meth:`AwareView.receive` with ``probe=True``
stores the answer and counts a request plus a response.

Between two adverts the extrapolation settles: a backlog that drains reaches 0 and stays there, one without drift
stays as it is. :meth:`AwareView.steady_from_s` says from when on every estimate has settled (``inf`` while some
backlog grows), so a reader may keep what it derived from an estimate at any later time until the next advert.
"""

from __future__ import annotations

import numpy as np

from mcfn.awareness.advert import ADVERT_BYTES, Advert
from mcfn.compute.fleet import Fleet
from mcfn.network.radio import FloatArray

try:
    import cython
except ImportError:  # Cython builds mcfn; without it, mcfn runs as Python
    from mcfn._accelerated import uncompiled as cython

#: Bytes of a probe request (headers + node id); the response is one advert.
PROBE_REQUEST_BYTES = 64


class Estimate:
    """The view's estimate of the present state of some nodes (arrays aligned with the requested indices).
    Read-only by contract."""

    __slots__ = ("age_s", "busy_vms", "queue_flops", "speed_flops_per_s")

    def __init__(
        self, queue_flops: FloatArray, busy_vms: np.ndarray, speed_flops_per_s: FloatArray, age_s: FloatArray
    ) -> None:
        self.queue_flops = queue_flops
        self.busy_vms = busy_vms
        self.speed_flops_per_s = speed_flops_per_s
        self.age_s = age_s


class AwareView:
    """Latest advert per node of a fleet, in arrays; also counts the bytes that awareness has cost.

    The arrays change only through :meth:`receive`, which bumps :attr:`version` whenever it stores an advert, so
    a reader may cache what it derives from them until the version changes (the router does). Compiled
    (``view.pxd``), the arrays are read-only attributes with typed views beside them (the underscored twins; the
    same arrays in Python), through which the view writes and reads them.
    """

    def __init__(self, fleet: Fleet, *, advert_bytes: int = ADVERT_BYTES) -> None:
        n = len(fleet)
        self._fleet = fleet
        self._advert_bytes = advert_bytes
        self.sent_s = self._sent = np.full(n, -np.inf)
        self.queue_flops = self._queue = np.zeros(n)
        self.busy_vms = self._busy = np.zeros(n, dtype=np.int64)
        self.nominal_flops_per_s = self._nominal = fleet.vm_slots / fleet.seconds_per_flop.mean(axis=1)
        self.speed_flops_per_s = self._speed = self.nominal_flops_per_s.copy()
        self.arrival_flops_per_s = self._arrival = np.zeros(n)
        self.adverts_received = 0
        self.probes = 0
        self.bytes_received = 0
        #: Bumped by every advert stored: derived values cached at one version hold until it changes.
        self.version = 0
        self._drift_version = -1
        self._drift_flops_per_s = self.arrival_flops_per_s - self.speed_flops_per_s
        self._steady_version = -1
        self._steady_from_s = np.inf

    @property
    def fleet(self) -> Fleet:
        return self._fleet

    def receive(self, advert: Advert, *, probe: bool = False) -> bool:
        """Store ``advert`` unless the view already holds a newer one; returns whether it was stored."""
        index = self._fleet.index.get(advert.node_id)
        j = index if index is not None else int(self._fleet.indices([advert.node_id])[0])  # raises, naming ids
        if probe:
            self.probes += 1
            self.bytes_received += PROBE_REQUEST_BYTES
        return self.store(
            j,
            advert.sent_s,
            advert.queue_flops,
            advert.busy_vms,
            advert.speed_flops_per_s,
            advert.arrival_flops_per_s,
        )

    def store(
        self,
        j: int,
        sent_s: float,
        queue_flops: float,
        busy_vms: int,
        speed_flops_per_s: float,
        arrival_flops_per_s: float = 0.0,
    ) -> bool:
        """:meth:`receive` an advert of fleet node ``j`` given by its fields (what a simulated network delivers
        without building an :class:`~mcfn.awareness.Advert`); returns whether it was stored."""
        self.adverts_received += 1
        self.bytes_received += self._advert_bytes
        if sent_s <= self._sent[j]:
            return False
        self._sent[j] = sent_s
        self._queue[j] = queue_flops
        self._busy[j] = busy_vms
        self._speed[j] = speed_flops_per_s if speed_flops_per_s > 0 else self._nominal[j]
        self._arrival[j] = arrival_flops_per_s
        self.version += 1
        return True

    def age_s(self, now_s: float, indices: np.ndarray | None = None) -> FloatArray:
        """Seconds since each node's advert was sent (``inf`` if never heard; never negative)."""
        sent = self.sent_s if indices is None else self.sent_s[indices]
        return np.maximum(now_s - sent, 0.0)

    def stale(self, now_s: float, max_age_s: float) -> np.ndarray:
        """Fleet indices of nodes whose latest advert is older than ``max_age_s``: candidates for a probe."""
        return np.flatnonzero(self.age_s(now_s) > max_age_s)

    def estimate(self, now_s: float, indices: np.ndarray | None = None) -> Estimate:
        """The present state of nodes ``indices`` (default: every node) extrapolated from their adverts (module
        docstring)."""
        drift = self._drift()
        if indices is None:
            queue, busy, speed = self.queue_flops, self.busy_vms.copy(), self.speed_flops_per_s.copy()
            sent = self.sent_s
        else:
            queue, busy, speed = self.queue_flops[indices], self.busy_vms[indices], self.speed_flops_per_s[indices]
            drift, sent = drift[indices], self.sent_s[indices]
        age, queue = _extrapolated(queue, drift, sent, now_s)
        return Estimate(queue_flops=queue, busy_vms=busy, speed_flops_per_s=speed, age_s=age)

    def queue_s(self, now_s: float) -> FloatArray:
        """Every node's estimated backlog at ``now_s`` in seconds at its estimated speed: :meth:`estimate`'s
        ``queue_flops / speed_flops_per_s``, without building the estimate (compiled: one typed loop, no NumPy)."""
        if cython.compiled:  # the estimate's arithmetic node by node, the drift's subtraction included
            n = self._queue.shape[0]
            queue_s = np.empty(n)
            out = queue_s
            with cython.cdivision(True):  # by zero as NumPy divides, to inf or NaN
                for j in range(n):
                    drift = self._arrival[j] - self._speed[j]
                    out[j] = _backlog(self._queue[j], drift, _age(now_s, self._sent[j])) / self._speed[j]
            return queue_s
        estimate = self.estimate(now_s)
        return estimate.queue_flops / estimate.speed_flops_per_s

    def steady_from_s(self) -> float:
        """A time (s) from which on :meth:`estimate` gives every node the same backlog, until the next advert is
        stored: when the last draining backlog reaches 0; ``inf`` while some backlog grows (or drains too slowly to
        reach 0 in a finite float time), ``-inf`` if none moves.

        A draining backlog is 0 from ``sent + queue / (speed - arrival)`` on: the arithmetic of :meth:`estimate` is
        monotone in time, so the time found is checked once with that same arithmetic (and nudged later if
        rounding needs it).
        """
        if self._steady_version != self.version:
            self._steady_from_s = _settled_from_s(self.queue_flops, self._drift(), self.sent_s)
            self._steady_version = self.version
        return self._steady_from_s

    def _drift(self) -> FloatArray:
        """``arrival - speed`` of every node (FLOP/s), kept until the next advert is stored."""
        if self._drift_version != self.version:
            self._drift_flops_per_s = self.arrival_flops_per_s - self.speed_flops_per_s
            self._drift_version = self.version
        return self._drift_flops_per_s


def _extrapolated(
    queue_flops: FloatArray, drift_flops_per_s: FloatArray, sent_s: FloatArray, now_s: float
) -> tuple[FloatArray, FloatArray]:
    """``(age_s, queue_flops)`` at ``now_s`` of adverts sent at ``sent_s`` (the module's fluid queue)."""
    if cython.compiled:  # the NumPy expressions below, node by node
        n = queue_flops.shape[0]
        age, backlog = np.empty(n), np.empty(n)
        queue, drift, sent, a, q = queue_flops, drift_flops_per_s, sent_s, age, backlog
        for j in range(n):
            a[j] = _age(now_s, sent[j])
            q[j] = _backlog(queue[j], drift[j], a[j])
        return age, backlog
    age = np.maximum(now_s - sent_s, 0.0)
    # a never-heard node has queue 0, arrival 0 and speed > 0: its drift is -inf and its queue 0, as it should;
    # a drain over an age too long for floats overflows to -inf, whose backlog is 0 too
    with np.errstate(over="ignore"):
        return age, np.maximum(queue_flops + drift_flops_per_s * age, 0.0)


def _settled_from_s(queue_flops: FloatArray, drift_flops_per_s: FloatArray, sent_s: FloatArray) -> float:
    """:meth:`AwareView.steady_from_s` of adverts sent at ``sent_s`` with these backlogs and drifts."""
    if cython.compiled:  # the NumPy expressions below, node by node (np.max: a NaN is the greatest)
        queue, drift, sent = queue_flops, drift_flops_per_s, sent_s
        n = queue.shape[0]
        draining, at_s = 0, -np.inf
        for j in range(n):
            if drift[j] > 0.0:
                return np.inf
            if queue[j] > 0.0 and drift[j] < 0.0:
                drained_s = sent[j] + queue[j] / -drift[j]  # no division by zero: drift < 0
                if draining == 0 or drained_s > at_s or drained_s != drained_s:
                    at_s = drained_s
                draining += 1
        if draining == 0:
            return -np.inf
        for _ in range(4):
            settled = True
            for j in range(n):
                if queue[j] > 0.0 and drift[j] < 0.0 and _backlog(queue[j], drift[j], _age(at_s, sent[j])) != 0.0:
                    settled = False
                    break
            if settled:
                return at_s
            at_s += abs(at_s) * 1e-12 + 1e-12
        return np.inf
    if np.count_nonzero(drift_flops_per_s > 0.0):
        return np.inf
    draining = np.flatnonzero((queue_flops > 0.0) & (drift_flops_per_s < 0.0))
    if draining.size == 0:
        return -np.inf
    queue, rate, sent = queue_flops[draining], drift_flops_per_s[draining], sent_s[draining]
    # a drain too slow for floats overflows to inf (never steady); a long drain's backlog to -inf (that is, 0)
    with np.errstate(over="ignore"):
        at_s = float(np.max(sent + queue / -rate))
        for _ in range(4):
            if not np.count_nonzero(np.maximum(queue + rate * np.maximum(at_s - sent, 0.0), 0.0)):
                return at_s
            at_s += abs(at_s) * 1e-12 + 1e-12
    return np.inf


def _age(now_s: float, sent_s: float) -> float:
    """Compiled only: ``np.maximum(now_s - sent_s, 0.0)`` of one node (NaN stays NaN, anything else not above 0 is
    +0)."""
    since = now_s - sent_s
    return since if since > 0.0 or since != since else 0.0


def _backlog(queue_flops: float, drift_flops_per_s: float, age_s: float) -> float:
    """Compiled only: ``np.maximum(queue + drift * age, 0.0)`` of one node, the fluid queue's backlog (as
    :func:`_age`)."""
    left = queue_flops + drift_flops_per_s * age_s
    return left if left > 0.0 or left != left else 0.0
