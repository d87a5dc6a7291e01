"""Transfers over the wired network: every topology link is a processor-sharing server of its bandwidth.

A transfer of ``S`` bits along a path is carried store-and-forward, hop by hop: on each link it shares the
bandwidth equally with the link's other transfers (:func:`~mcfn.sim.sharing.equal_share`) until its ``S`` bits
are through, then propagates for the link's delay to the next node. Uncontended, a path costs
``Σ (δ_l + S / b_l)``; the router's prediction (``Σ δ_l + S / min b_l``, a pipelined flow) is a lower bound of it.
Each hop costs one event: the link's station lets the transfer leave when its bits are through plus the
propagation delay (:class:`~mcfn.sim.sharing.SharingStation`'s ``delay_s``), and it enters the next link then (a
link's station tells its network directly: compiled, a C call).

Links and nodes can go down (:mod:`mcfn.sim.failures`): a transfer that reaches a down element, or whose link
goes down under it, is handed to ``on_blocked`` with a reason.

Energy (:mod:`mcfn.sim.energy`): with ``j_per_bit`` (joules per bit of each link, by its key), every transfer
charges its job ``bits`` times the joules per bit of its whole path when it is sent (:attr:`WiredNetwork.sent_j`);
a link's own energy is its joules per bit times the bits it carried (its station's ``work_done``). The two sums
agree whenever every transfer that was sent got through.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from mcfn.network.topology import Topology
from mcfn.sim.charges import Charges
from mcfn.sim.engine import Handler, Simulator
from mcfn.sim.sharing import EqualSharing, equal_share

try:
    import cython
except ImportError:  # Cython builds mcfn; without it, mcfn runs as Python
    from mcfn._accelerated import uncompiled as cython

Blocked = Callable[[int, str], None]


def link_key(a: str, b: str) -> tuple[str, str]:
    """The undirected key of the link between ``a`` and ``b``."""
    return (a, b) if a <= b else (b, a)


class _Link(EqualSharing):
    """A link's station, which tells its network of every transfer that has crossed it."""

    def __init__(self, sim: Simulator, network: WiredNetwork, *, bandwidth_bps: float, delay_s: float) -> None:
        super().__init__(sim, rate=equal_share(bandwidth_bps), on_finish=network._passed, delay_s=delay_s)
        self._network = network

    def _finish(self, job: int, served_s: float) -> None:
        self._network._passed(job, served_s)


class _Hop:
    """One hop of a path: the link's station, its key, its propagation delay, the nodes it leads from and to."""

    __slots__ = ("a", "b", "delay_s", "key", "station")

    def __init__(self, station: _Link, key: tuple[str, str], delay_s: float, a: str, b: str) -> None:
        self.station = station
        self.key = key
        self.delay_s = delay_s
        self.a = a
        self.b = b


class _Route:
    """A path sent along: its node names (the tuple first sent), its hops, and its joules per bit."""

    __slots__ = ("hops", "joules_per_bit", "path")

    def __init__(self, path: tuple[str, ...], hops: tuple[_Hop, ...], joules_per_bit: float) -> None:
        self.path = path
        self.hops = hops
        self.joules_per_bit = joules_per_bit


#: Slots of :class:`WiredNetwork`'s cache of routes by the identity of their path tuple per route known (at least;
#: the slots double to keep it so): few tuples then share a slot.
SLOTS_PER_ROUTE = 4


class _Transfer:
    """A transfer in transit: the hops of its path, the index of the current one, its bits, whom to tell."""

    __slots__ = ("bits", "hop", "hops", "on_arrival")

    def __init__(self, hops: tuple[_Hop, ...], bits: float, on_arrival: Handler) -> None:
        self.hops = hops
        self.hop = 0
        self.bits = bits
        self.on_arrival = on_arrival


class WiredNetwork:
    """The topology's links as sharing stations; carries transfers along node paths."""

    def __init__(
        self,
        sim: Simulator,
        topology: Topology,
        *,
        on_blocked: Blocked,
        j_per_bit: dict[tuple[str, str], float] | None = None,
    ) -> None:
        """``j_per_bit``: each link's joules per bit, by :func:`link_key` (default: no energy)."""
        self._sim = sim
        self._j_per_bit = j_per_bit or {}
        #: Network energy (J) charged to every job that sent bits, by job id (module docstring).
        self.sent_j = Charges()
        self._topology = topology
        self._blocked = on_blocked
        self._passed_event = self._passed  # one bound method for every empty transfer's hop, not one per hop
        self.links: dict[tuple[str, str], EqualSharing] = {}
        self._delay: dict[tuple[str, str], float] = {}
        for link in topology.links():
            key = link_key(link.a, link.b)
            self.links[key] = _Link(sim, self, bandwidth_bps=link.bandwidth_bps, delay_s=link.delay_s)
            self._delay[key] = link.delay_s
        self._transit: dict[int, _Transfer] = {}
        #: Every hop of a path sent along so far, by the nodes it leads from and to: one for all the paths that take
        #: it (on a large network tens of thousands of paths cross a few thousand links, each hop read as they pass).
        self._hops: dict[tuple[str, str], _Hop] = {}
        #: Every path sent along so far, by its node names (built once per path).
        self._routes: dict[tuple[str, ...], _Route] = {}
        #: The route last found for a path tuple, in the slot of the tuple's address: a path is mostly sent as the
        #: same tuple (the router's and :meth:`path`'s caches), and found so without hashing its names.
        self._recent: list[_Route | None] = [None] * 1024
        self._recent_mask = 1023  # slots - 1, the slots a power of two
        #: The fastest paths asked for so far, by source and then target (no key tuple to build and hash).
        self._paths: dict[str, dict[str, tuple[str, ...]]] = {}
        self._paths_version = topology.version
        self.down_nodes: set[str] = set()
        self.down_links: set[tuple[str, str]] = set()

    def path(self, source: str, target: str) -> tuple[str, ...]:
        """The topology's fastest path (cached until the topology changes)."""
        if self._topology.version != self._paths_version:
            self._paths.clear()
            self._paths_version = self._topology.version
        targets = self._paths.get(source)
        if targets is None:
            targets = self._paths[source] = {}
        path = targets.get(target)
        if path is None:
            path = targets[target] = self._topology.path(source, target)
        return path

    def obstacle(self, path: tuple[str, ...]) -> str | None:
        """What is down on ``path`` (a node or a link, named), or ``None``."""
        if not self.down_nodes and not self.down_links:
            return None
        for name in path:
            if name in self.down_nodes:
                return f"node {name} is down"
        for a, b in pairwise(path):
            if link_key(a, b) in self.down_links:
                return f"link {a}-{b} is down"
        return None

    def send(self, task: int, path: tuple[str, ...], bits: float, on_arrival: Handler) -> None:
        """Carry ``bits`` of ``task`` along ``path`` (node names); ``on_arrival.handle(task)`` at the last node (a
        kernel :class:`~mcfn.sim.engine.Handler`: compiled, a C call, no Python call with a boxed id)."""
        route = self._recent[self._slot(path)]
        if route is None or route.path is not path:  # the route it holds keeps its tuple, so none other has its id
            route = self._route(path)
            self._recent[self._slot(path)] = route  # its slot now: the slots may have doubled
        hops = route.hops
        self.sent_j.add(task, bits * route.joules_per_bit)
        if not hops:
            on_arrival.handle(task)
            return
        transfer = self._transit[task] = _Transfer(hops, bits, on_arrival)
        self._enter(task, transfer)

    def _slot(self, path: tuple[str, ...]) -> int:
        """The slot of :attr:`_recent` for the tuple ``path``: from its address (its ``id``), high bits folded onto low
        ones (objects' addresses cluster in the allocator's pools)."""
        address = cython.cast(cython.Py_ssize_t, cython.cast(cython.p_void, path)) if cython.compiled else id(path)
        return ((address >> 4) ^ (address >> 17)) & self._recent_mask

    def _route(self, path: tuple[str, ...]) -> _Route:
        """The hops of ``path`` and its joules per bit (built once per path)."""
        route = self._routes.get(path)
        if route is None:
            hops = []
            for a, b in pairwise(path):
                hop = self._hops.get((a, b))
                if hop is None:
                    key = link_key(a, b)
                    hop = self._hops[(a, b)] = _Hop(self.links[key], key, self._delay[key], a, b)
                hops.append(hop)
            joules = 0.0
            for hop in hops:
                joules += self._j_per_bit.get(hop.key, 0.0)
            route = self._routes[path] = _Route(path, tuple(hops), joules)
            if len(self._routes) * SLOTS_PER_ROUTE > len(self._recent):  # twice the slots, the routes kept
                held = self._recent
                self._recent = [None] * (2 * len(held))
                self._recent_mask = len(self._recent) - 1
                for kept in held:
                    if kept is not None:
                        self._recent[self._slot(kept.path)] = kept
        return route

    def _enter(self, task: int, transfer: _Transfer) -> None:
        hop = transfer.hops[transfer.hop]
        if (self.down_links or self.down_nodes) and (hop.key in self.down_links or hop.b in self.down_nodes):
            del self._transit[task]
            down = f"link {hop.a}-{hop.b}" if hop.key in self.down_links else f"node {hop.b}"
            self._blocked(task, f"{down} is down")
            return
        if transfer.bits > 0.0:
            hop.station.submit(task, transfer.bits)
        else:  # nothing to carry: only the propagation delay
            now = self._sim.now
            self._sim._push(now + hop.delay_s, 0, self._passed_event, (task, now))

    def _passed(self, task: int, _served_s: float) -> None:
        """``task`` has crossed its current hop: on to the next, or arrived."""
        transfer = self._transit[task]
        transfer.hop += 1
        if transfer.hop == len(transfer.hops):
            del self._transit[task]
            transfer.on_arrival.handle(task)
        else:
            self._enter(task, transfer)

    def drop_link(self, key: tuple[str, str]) -> list[int]:
        """Take the transfers off a link that went down; returns their task ids (no longer in transit)."""
        tasks = self.links[key].drop_all()
        for task in tasks:
            del self._transit[task]
        return tasks
