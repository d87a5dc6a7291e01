"""Compute nodes as VM stations, and their state adverts as events, so routing sees what it would in reality.

Every fleet node is a :class:`~mcfn.sim.sharing.EqualSharing` station with ``vm_slots`` slots: the ``i`` tasks in
service each run ``(1 + d)^(i - 1)`` times slower (:func:`mcfn.compute.parallel_slowdown`, seed eq. 2), re-applied
to all of them whenever ``i`` changes; more tasks wait FIFO. Work is measured in one-VM seconds
(:meth:`mcfn.compute.ComputeNode.compute_time_s`). Under the ``joint-allocation`` uplink a task's first stage comes
with its one-VM work divided by the compute share ``f / f_max`` that seed §3.2's allocation gave it
(:mod:`mcfn.sim.model`): its VM is held to that share of its speed, and the slowdown above applies on top for the
VMs actually in service — the allocation's own ``(1 + d)^(i − 1)`` is its prediction of this one, not a second
charge. Alone on its node, such a task computes in exactly ``work / share`` seconds.

Adverts follow :class:`mcfn.awareness.AdvertPolicy`: every node advertises every ``period_s`` from a random
phase, with uniform jitter, each advert lost with ``loss_probability``; a delivered advert reaches the router's
:class:`mcfn.awareness.AwareView` after the propagation delay from the node to the core, where the router sits.
An advert carries the backlog (FLOPs waiting for a VM), the busy VMs, the speed at which the node served while
saturated (0 otherwise: the view then assumes the nominal speed), and the FLOP rate that arrived since the last one.
That speed is the work its VMs did per second of service since the last advert, times its VM slots: what all of
them do together, each slowed down as the node's parallelism slowed it (work over the whole period would understate
a node saturated for a moment of it). The advert reaches the view as those fields
(:meth:`mcfn.awareness.AwareView.store`). A node that is down sends nothing, so its view goes stale. The jitter and
loss draws come from the ``adverts`` stream in batches: the same numbers, in the
same order, as one ``Generator`` call per draw.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from mcfn.awareness import AdvertPolicy, AwareView
from mcfn.compute import Fleet, parallel_slowdown
from mcfn.sim.charges import Charges
from mcfn.sim.engine import Handler, Simulator
from mcfn.sim.sharing import EqualRate, EqualSharing, slowed_by_parallelism

try:
    import cython
except ImportError:  # Cython builds mcfn; without it, mcfn runs as Python
    from mcfn._accelerated import uncompiled as cython

if cython.compiled:
    from cython.cimports.libc.stdlib import free, realloc
    from cython.cimports.mcfn.sim.servers import _Start, _Starts

#: Uniform draws of the advert stream fetched at once.
_DRAWS = 1024


class _VMs(EqualSharing):
    """A node's VM station, which tells its servers of every job whose service ended (compiled: a C call), and what
    they keep of the node: read and written through the station, one object, not one list entry each."""

    def __init__(
        self, sim: Simulator, servers: ComputeServers, *, rate: EqualRate, slots: int, dynamic_w: float
    ) -> None:
        super().__init__(sim, rate=rate, on_finish=None, slots=slots)  # its _finish tells its servers
        self._servers = servers
        self._vm_slots = slots
        self._dynamic_w = dynamic_w  # power per VM in service (W)
        #: The jobs holding a VM and when they took it, in that order: as Python a dict; compiled, an array of C
        #: structs that doubles when full (a VM's few jobs: no key and value objects, a short scan).
        if not cython.compiled:
            self._started: dict[int, float] = {}
        #: The jobs waiting for a VM, in FIFO order.
        self._waiting: deque[int] = deque()
        self._arrived_s = 0.0  # one-VM seconds of work submitted so far

    def __dealloc__(self) -> None:
        """Compiled only: free the C array."""
        free(self._starts)

    def _finish(self, job: int, served_s: float) -> None:
        self._servers._finished(self, job, served_s)

    def _start(self, job: int, at_s: float) -> None:
        """``job`` took a VM at ``at_s``."""
        if not cython.compiled:
            self._started[job] = at_s
            return
        if self._held == self._room:
            room = 2 * self._room if self._room else 8
            grown = cython.cast(_Starts, realloc(self._starts, room * cython.sizeof(_Start)))
            if grown == cython.NULL:
                raise MemoryError
            self._starts, self._room = grown, room
        self._starts[self._held].job = job
        self._starts[self._held].at_s = at_s
        self._held += 1

    def _stop(self, job: int) -> float:
        """``job`` gives its VM back: when it took it (``KeyError`` if it holds none)."""
        if not cython.compiled:
            return self._started.pop(job)
        for i in range(self._held):
            if self._starts[i].job == job:
                at_s = self._starts[i].at_s
                self._held -= 1
                for k in range(i, self._held):  # the others keep their order
                    self._starts[k] = self._starts[k + 1]
                return at_s
        raise KeyError(job)

    def _holding(self) -> list[int]:
        """The jobs holding a VM, in the order they took it."""
        if not cython.compiled:
            return list(self._started)
        return [self._starts[i].job for i in range(self._held)]


class ComputeServers:
    """One VM station per fleet node, their advert loop, and FLOP counters for adverts."""

    def __init__(
        self,
        sim: Simulator,
        *,
        fleet: Fleet,
        view: AwareView,
        policy: AdvertPolicy,
        delay_to_router_s: np.ndarray,
        on_computed: Handler,
        dynamic_w_per_vm: Sequence[float] | None = None,
    ) -> None:
        """``on_computed.handle(job)`` when a job's compute ends (now: VMs have no delay after service);
        ``dynamic_w_per_vm[j]``: node ``j``'s power per VM in service (default 0: no energy)."""
        self._sim = sim
        self._on_computed = on_computed
        dynamic_w = [0.0] * len(fleet) if dynamic_w_per_vm is None else list(dynamic_w_per_vm)
        #: Load-dependent energy (J) of every job that has been in service, by job id (module docstring).
        self.dynamic_j = Charges()
        self._store = view.store
        self._policy = policy
        self._rng = sim.stream("adverts")
        self._draws: list[float] = []  # drawn ahead from _rng, the next last
        self._advertise_event = self._advertise  # one bound method for every advert, not one per advert
        self._delay = delay_to_router_s.tolist()
        #: FLOPs per one-VM second on each node, the view's unit of work (its nominal speed per VM).
        self._flops_per_vm_s = (1.0 / fleet.seconds_per_flop.mean(axis=1)).tolist()
        self.stations = [
            _VMs(
                sim,
                self,
                rate=slowed_by_parallelism(parallel_slowdown(np.arange(1, n.vm_slots + 1), n.degradation).tolist()),
                slots=n.vm_slots,
                dynamic_w=dynamic_w[j],
            )
            for j, n in enumerate(fleet.nodes)
        ]
        self.down = [False] * len(fleet)
        #: (time, work done, work arrived, VM-seconds in service) at each node's last advert.
        self._marks = [(0.0, 0.0, 0.0, 0.0)] * len(fleet)
        self.adverts_sent = 0
        self.adverts_lost = 0
        for j, phase in enumerate(self._rng.uniform(0.0, policy.period_s, size=len(fleet)).tolist()):
            sim.schedule(phase, self._advertise_event, j)

    def submit(self, node: int, task: int, alone_s: float) -> None:
        """Run ``alone_s`` one-VM seconds of ``task`` on ``node``."""
        station = self.stations[node]
        station._arrived_s += alone_s
        station.account()  # the ends of service due by now first: then a free VM takes the task at once
        if station.in_service < station._vm_slots:
            station._start(task, self._sim.now)
        else:  # it waits (a VM frees in FIFO order: _finished)
            station._waiting.append(task)
        station.submit(task, alone_s)

    def _finished(self, station: _VMs, job: int, served_s: float) -> None:
        """``job``'s service on ``station`` ended at ``served_s``: charge its seconds in service; the first waiting
        job takes its VM then."""
        self._charge(station, job, served_s)
        if station._waiting:
            station._start(station._waiting.popleft(), served_s)
        self._on_computed.handle(job)

    def _charge(self, station: _VMs, job: int, until_s: float) -> None:
        seconds = until_s - station._stop(job)
        self.dynamic_j.add(job, seconds * station._dynamic_w)

    def drop_all(self, node: int) -> list[int]:
        """Take every job off ``node`` (it failed); returns them. The jobs in service are charged until now."""
        station = self.stations[node]
        jobs = station.drop_all()
        now = self._sim.now
        for job in station._holding():
            if job in jobs:
                self._charge(station, job, now)
        station._waiting.clear()
        return jobs

    def close(self) -> None:
        """At the end of the run: charge the jobs still in service until now (call once)."""
        now = self._sim.now
        for station in self.stations:
            station.account()
            for job in station._holding():
                self._charge(station, job, now)

    def _uniform(self) -> float:
        """The advert stream's next uniform in [0, 1), as ``Generator.random()`` would draw it."""
        if not self._draws:
            self._draws = self._rng.random(_DRAWS).tolist()[::-1]
        return self._draws.pop()

    def _advertise(self, j: int) -> None:
        sim, policy = self._sim, self._policy
        low, high = -policy.jitter_s, policy.jitter_s  # Generator.uniform(low, high): low + (high - low) * u
        jitter = low + (high - low) * self._uniform() if policy.jitter_s else 0.0
        now = sim.now
        sim._push(now + (policy.period_s + jitter), 0, self._advertise_event, (j,))
        if self.down[j]:
            return
        self.adverts_sent += 1
        if policy.loss_probability and self._uniform() < policy.loss_probability:
            self.adverts_lost += 1
            return
        station = self.stations[j]
        station.account()
        last_s, last_done, last_arrived, last_served = self._marks[j]
        elapsed = now - last_s
        done, arrived, served = station.work_done, station._arrived_s, station.in_service_area
        self._marks[j] = (now, done, arrived, served)
        scale = self._flops_per_vm_s[j]
        saturated = station.queued > 0 and served > last_served
        fields = (  # of the advert, as AwareView.store takes them
            j,
            now,
            station.queued_work() * scale,
            station.in_service,
            (done - last_done) / (served - last_served) * station._vm_slots * scale if saturated else 0.0,
            (arrived - last_arrived) / elapsed * scale if elapsed > 0 else 0.0,
        )
        sim._push(now + self._delay[j], 0, self._store, fields)
