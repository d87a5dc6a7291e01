"""The router's aware view: each node's latest advert, its age, and the work the router placed there since.

**Adverts.** A stale advert's backlog is extrapolated by draining: ``queue(now) = max(0, queue(sent) - speed ·
age)``. A node never heard from is assumed idle, and a node that advertises no measured speed is assumed to serve at
its nominal speed (optimistic, so a router still tries it; a never-heard node's age is ``inf``). On-demand probing
(metrics pulled when needed rather than pushed periodically, both allowed by the CATS framework, RFC 10053) is the
caller's choice: :meth:`AwareView.stale` says which nodes are older than a threshold, the engine asks them, and
:meth:`AwareView.receive` with ``probe=True`` stores the answer and counts a request plus a response.

**The router's own placements.** Between two adverts (0.1 s apart by default) a router places many tasks, and a
view that showed it only the adverts would show the same least-loaded node to every one of them: they would all
land there (herding). So the router tells the view of every placement (:meth:`AwareView.place`: the node, when the
input is predicted to arrive there, and its predicted compute seconds), and the view keeps, per node, the predicted
free time of each VM slot. The advert's busy VMs keep their slots busy for the rest of the tasks they serve, on
average half a task's compute time (the mean residual of a deterministic service seen at a random instant; the
view keeps a moving average of the compute seconds it was told of on each node, :data:`SERVICE_MEMORY`), after the
advert's backlog has drained (``sent + queue / speed``); with a backlog, every slot is busy until then. Each
placement then takes a slot for its compute seconds: from its input's arrival, of the slots free by then the one
that freed last (best fit), else from the earliest free time (list scheduling on identical machines, Graham,
"Bounds on multiprocessing timing anomalies", SIAM J. Appl. Math. 17(2), 1969; best fit, because uploads of
different lengths bring inputs out of order, and a slot kept free stays free for an input that arrives earlier). A
task predicted to arrive at ``t`` waits ``max(t, earliest free slot) - t`` and shares the node with the slots still
busy when it starts (:mod:`mcfn.routing.costs` turns both into its queueing and compute seconds).

**Reconciliation.** An advert reflects every task whose input had reached its node when it was sent (waiting in its
backlog or in service on a busy VM). So when a newer advert is stored, the placements predicted to arrive at or
before its ``sent_s`` are dropped, and the rest (inputs still travelling then) are scheduled again over the slots
that the new advert's backlog leaves; a placement that never happens (its task failed on the way) is thus forgotten
by the first advert sent after its predicted arrival.

**Arrival drift.** An advert also says at what rate work arrived at its node (``arrival_flops_per_s``). The view
keeps it (the runtime reports it) but does not extrapolate the backlog with it: every task that arrives at a node
was placed by the router that owns this view (the simulator's, the runtime controller's), so that rate is the
router's own placements, which the view already counts one by one; growing the backlog at that rate as well would
count each placement twice. A deployment in which several routers share the nodes would need each view to count
the others' work too; mcfn has one router per network.
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

if cython.compiled:
    from cython.cimports.libc.stdlib import calloc, free, realloc
    from cython.cimports.mcfn.awareness.view import _Placement, _Placements

#: Bytes of a probe request (headers + node id); the response is one advert.
PROBE_REQUEST_BYTES = 64

#: Weight of the latest placement in a node's moving average of compute seconds (assumed: about the last 20).
SERVICE_MEMORY = 0.05


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
    """Latest advert per node of a fleet, in arrays, and the router's placements since; also counts the bytes that
    awareness has cost.

    The advert arrays change only through :meth:`receive` (or :meth:`store`), which bumps :attr:`version` whenever
    it stores an advert; the slots' predicted free times (``slot_free_s``, one row per node, ``vm_slots`` of its
    columns used and the rest ``inf``) change with every advert stored and every :meth:`place`. ``slowdown[j, e]`` is
    the seed's ``(1 + d_j)^e`` (eq. 2) for ``e < vm_slots[j]``. Compiled (``view.pxd``), the arrays are read-only
    attributes with typed views beside them (the underscored twins; the same arrays in Python), through which the
    view writes and reads them.
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
        slots = fleet.vm_slots
        self.vm_slots = self._slots = slots
        width = int(slots.max()) if n else 1
        unused = np.arange(width)[None, :] >= slots[:, None]
        #: Each node's VM slots' predicted free times (s); ``-inf`` free since ever, ``inf`` a column it lacks.
        self.slot_free_s = self._free = np.where(unused, np.inf, -np.inf)
        #: Which columns of ``slot_free_s`` are VM slots of their node.
        self.slot_used = ~unused
        exponent = np.arange(width, dtype=float)[None, :]
        self.slowdown = self._slowdown = np.power(1.0 + fleet.degradation[:, None], exponent)
        #: Per node, the placements since its advert that it may not reflect yet: ``(arrival_s, compute_s)`` each; as
        #: Python a list of tuples per node, compiled a C array of structs per node that grows by doubling (a
        #: placement then makes no objects, and an advert forgets them without freeing any).
        if cython.compiled:
            self._pending = cython.cast(cython.pointer(_Placements), calloc(max(n, 1), cython.sizeof(_Placements)))
            if self._pending == cython.NULL:
                raise MemoryError
            self._nodes = n
        else:
            self._placed: list[list[tuple[float, float]]] = [[] for _ in range(n)]
        #: Per node, the moving average of the placements' compute seconds (0 before the first).
        self.service_s = self._service = np.zeros(n)
        self.adverts_received = 0
        self.probes = 0
        self.bytes_received = 0
        #: Bumped by every advert stored.
        self.version = 0

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
        without building an :class:`~mcfn.awareness.Advert`); returns whether it was stored. Storing it reconciles
        the node's placements with it (module docstring)."""
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
        drained_s = sent_s + queue_flops / self._speed[j]
        held = self._slots[j] if queue_flops > 0 else min(busy_vms, self._slots[j])  # slots busy at sent_s
        serving_s = drained_s + 0.5 * self._service[j]  # module docstring: half a task's compute time left
        if cython.compiled:
            for k in range(self._slots[j]):
                self._free[j, k] = serving_s if k < held else drained_s
        else:
            self._free[j, : self._slots[j]] = drained_s
            self._free[j, :held] = serving_s
        if cython.compiled:  # the placements kept moved to the front, in order
            pending = cython.address(self._pending[j])
            count = 0
            for i in range(pending.count):
                if pending.items[i].arrival_s > sent_s:
                    pending.items[count] = pending.items[i]
                    count += 1
            pending.count = count
            for i in range(count):
                self._occupy(j, pending.items[i].arrival_s, pending.items[i].compute_s)
            return True
        placed = self._placed[j]
        if placed:
            kept = [placement for placement in placed if placement[0] > sent_s]
            self._placed[j] = kept
            for arrival_s, compute_s in kept:
                self._occupy(j, arrival_s, compute_s)
        return True

    def place(self, j: int, arrival_s: float, compute_s: float) -> None:
        """Count a task the router has just placed on fleet node ``j``: its input is predicted to reach the node at
        ``arrival_s`` and to compute for ``compute_s`` seconds there (module docstring)."""
        if cython.compiled:
            pending = cython.address(self._pending[j])
            if pending.count == pending.room:
                room = 2 * pending.room if pending.room else 4
                grown = cython.cast(
                    cython.pointer(_Placement), realloc(pending.items, room * cython.sizeof(_Placement))
                )
                if grown == cython.NULL:
                    raise MemoryError
                pending.items, pending.room = grown, room
            pending.items[pending.count].arrival_s = arrival_s
            pending.items[pending.count].compute_s = compute_s
            pending.count += 1
        else:
            self._placed[j].append((arrival_s, compute_s))
        self._occupy(j, arrival_s, compute_s)
        mean = self._service[j]
        self._service[j] = compute_s if mean == 0.0 else mean + SERVICE_MEMORY * (compute_s - mean)

    def _occupy(self, j: int, arrival_s: float, compute_s: float) -> None:
        """Give a placement a slot of node ``j`` from its arrival, for its compute seconds: of the slots free by then,
        the one that freed last (best fit: the slots free earlier stay free for inputs that arrive earlier, since
        uploads of different lengths bring them out of order); if none is free, the one that frees first, from its
        free time (the first such slot either way)."""
        if cython.compiled:
            pick, fit_s, first, first_s = -1, -np.inf, 0, self._free[j, 0]
            for k in range(self._slots[j]):
                free_s = self._free[j, k]
                if free_s <= arrival_s and (pick < 0 or free_s > fit_s):
                    pick, fit_s = k, free_s
                if free_s < first_s:
                    first, first_s = k, free_s
        else:
            free = self._free[j, : self._slots[j]]
            fits = np.flatnonzero(free <= arrival_s)
            pick = int(fits[free[fits].argmax()]) if fits.size else -1  # the first of the latest
            first = int(free.argmin())
            first_s = free[first]
        if pick >= 0:
            self._free[j, pick] = arrival_s + compute_s
        else:
            self._free[j, first] = first_s + compute_s

    def pending(self, j: int) -> tuple[tuple[float, float], ...]:
        """The placements on fleet node ``j`` that its latest advert may not reflect: ``(arrival_s, compute_s)``
        each, in the order they were placed."""
        if cython.compiled:
            items = self._pending[j].items
            return tuple([(items[i].arrival_s, items[i].compute_s) for i in range(self._pending[j].count)])
        return tuple(self._placed[j])

    def __dealloc__(self) -> None:
        """Compiled only: free the placements' C arrays."""
        if self._pending != cython.NULL:
            for j in range(self._nodes):
                free(self._pending[j].items)
            free(self._pending)

    def age_s(self, now_s: float, indices: np.ndarray | None = None) -> FloatArray:
        """Seconds since each node's advert was sent (``inf`` if never heard; never negative)."""
        sent = self.sent_s if indices is None else self.sent_s[indices]
        return np.maximum(now_s - sent, 0.0)

    def stale(self, now_s: float, max_age_s: float) -> np.ndarray:
        """Fleet indices of nodes whose latest advert is older than ``max_age_s``: candidates for a probe."""
        return np.flatnonzero(self.age_s(now_s) > max_age_s)

    def estimate(self, now_s: float, indices: np.ndarray | None = None) -> Estimate:
        """The present state of nodes ``indices`` (default: every node) as their adverts say, each backlog drained
        for its advert's age (module docstring); the router's placements are not in it."""
        queue, busy, speed, sent = self.queue_flops, self.busy_vms, self.speed_flops_per_s, self.sent_s
        if indices is not None:
            queue, busy, speed, sent = queue[indices], busy[indices], speed[indices], sent[indices]
        age = np.maximum(now_s - sent, 0.0)
        # a never-heard node has queue 0 and an infinite age: its backlog is max(0, 0 - inf) = 0, as it should be
        return Estimate(
            queue_flops=np.maximum(queue - speed * age, 0.0),
            busy_vms=busy.copy(),
            speed_flops_per_s=speed.copy(),
            age_s=age,
        )
