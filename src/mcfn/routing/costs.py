"""Predicted latency of serving one (sub-)task on each candidate node: network + queueing + compute.

For candidate node ``j`` reached from the data's source over the fastest path ``P_in`` and returning its output
over ``P_out`` (:mod:`mcfn.network.topology.paths`), for a task whose input leaves its source at ``start``::

    in_s      = Σ_{P_in} δ + S_in / min_{P_in} b        (the input's transfer; it arrives at t_j = start + in_s)
    network_s = in_s  +  Σ_{P_out} δ + S_out / min_{P_out} b
    ahead_s   = Σ_{P_home} δ + S_result / min_{P_home} b   (a stage before the last: its request's result home)
    queue_s   = max(t_j, f_j) - t_j                     (f_j: the earliest predicted free VM slot of j, from the view)
    compute_s = Σ_c W_c / r_{j,c} · (1 + d_j)^(min(busy_j + 1, slots_j) - 1)   (seed eq. 2)

and ``total_s = network_s + queue_s + compute_s + ahead_s``. ``ahead_s`` is what the request's result will take at
least from ``j`` back to the ingress (``P_home``) after its later stages: their transfers from ``j`` on reach the
ingress no sooner (fastest paths), so a stage is not placed far away, e.g. in a cloud behind a slow WAN, on the
strength of its own cost while the result still has to come all the way back. It is 0 for the last stage, whose
return is in ``network_s``, and for a request without a result.

``busy_j`` is the number of ``j``'s VM slots still predicted busy when the task starts (:class:`mcfn.awareness.
AwareView`: the advert's busy VMs hold their slots for the rest of their tasks after its backlog has drained, ``Q_j /
μ_j`` after it was sent, then each placement since is list-scheduled). Without placements since the
advert, ``queue_s`` is the advert's backlog drained until ``t_j`` over its speed.

A node is *feasible* when it is reachable, has the memory the task needs, and ``network + queue + compute`` fits
in the budget. The network part is computed per candidate set (:class:`Transfers`) and a stage's constants per
candidate set (:class:`Demand`), so that a router can keep each until what it depends on changes
(:mod:`mcfn.routing.tables`); the view's part is read per decision, since every placement changes it. Compiled
(``costs.pxd``), a prediction is one typed loop over the candidates and their slots; in Python, NumPy expressions
that round exactly as it does. Each part keeps, compiled, typed views of its arrays beside them (the underscored
twins; the same arrays in Python), so that a decision reads them without asking NumPy for a buffer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mcfn.awareness.view import AwareView
from mcfn.compute.fleet import Fleet
from mcfn.network.radio import FloatArray
from mcfn.network.topology.paths import FastestPaths

try:
    import cython
except ImportError:  # Cython builds mcfn; without it, mcfn runs as Python
    from mcfn._accelerated import uncompiled as cython


class Instances:
    """The static arrays of a service's instances, gathered once from the fleet (aligned with ``nodes``).

    ``vertices`` are the instances' topology indices; the rest are the fleet's arrays at ``nodes`` (``is_edge`` is
    ``~is_cloud``, kept because every decision needs it). Read-only by contract.
    """

    __slots__ = (
        "_is_cloud",
        "_is_edge",
        "_nodes",
        "degradation",
        "is_cloud",
        "is_edge",
        "memory_bytes",
        "nodes",
        "seconds_per_flop",
        "vertices",
        "vm_slots",
    )

    def __init__(
        self,
        nodes: np.ndarray,
        vertices: np.ndarray,
        seconds_per_flop: FloatArray,
        vm_slots: np.ndarray,
        degradation: FloatArray,
        memory_bytes: FloatArray,
        is_cloud: np.ndarray,
        is_edge: np.ndarray,
    ) -> None:
        self.nodes = self._nodes = nodes
        self.vertices = vertices
        self.seconds_per_flop = seconds_per_flop
        self.vm_slots = vm_slots
        self.degradation = degradation
        self.memory_bytes = memory_bytes
        self.is_cloud = self._is_cloud = is_cloud
        self.is_edge = self._is_edge = is_edge

    @classmethod
    def of(cls, fleet: Fleet, nodes: np.ndarray, vertices: np.ndarray) -> Instances:
        is_cloud = fleet.is_cloud[nodes]
        return cls(
            nodes=nodes,
            vertices=vertices,
            seconds_per_flop=fleet.seconds_per_flop[nodes],
            vm_slots=fleet.vm_slots[nodes],
            degradation=fleet.degradation[nodes],
            memory_bytes=fleet.memory_bytes[nodes],
            is_cloud=is_cloud,
            is_edge=~is_cloud,
        )

    def subset(self, at: np.ndarray) -> Instances:
        """The instances at positions ``at`` (in that order)."""
        return Instances(
            nodes=self.nodes[at],
            vertices=self.vertices[at],
            seconds_per_flop=self.seconds_per_flop[at],
            vm_slots=self.vm_slots[at],
            degradation=self.degradation[at],
            memory_bytes=self.memory_bytes[at],
            is_cloud=self.is_cloud[at],
            is_edge=self.is_edge[at],
        )

    def alone_s(self, per_op_flops: Sequence[float]) -> FloatArray:
        """Seconds one VM of each instance needs for ``per_op_flops`` (FLOPs per op class), nothing else running."""
        return self.seconds_per_flop @ np.asarray(per_op_flops)

    def fits(self, memory_bytes: float) -> np.ndarray:
        """Whether each instance has the ``memory_bytes`` a task needs."""
        return self.memory_bytes >= memory_bytes


class Transfers:
    """The network part of a candidate set's costs (aligned with its instances): ``network_s``, the transfers in
    and out (``inf``: no path), ``in_s``, the transfer in alone, ``path_delay_s``, the propagation delay of the
    path in, and ``ahead_s``, the least transfer of the request's result home after later stages (the module
    formula). Read-only by contract, but for ``paths`` and ``home_paths``: the node path from the source to each
    candidate, and from each candidate home, ``None`` until a router has asked for it
    (:meth:`~mcfn.routing.router.Router.route_stages` keeps them here, beside what it reads for the same decision,
    rather than in a table of every source's paths)."""

    __slots__ = (
        "_ahead_s",
        "_in_s",
        "_network_s",
        "_path_delay_s",
        "ahead_s",
        "home_paths",
        "in_s",
        "network_s",
        "path_delay_s",
        "paths",
    )

    def __init__(self, network_s: FloatArray, in_s: FloatArray, path_delay_s: FloatArray, ahead_s: FloatArray) -> None:
        self.network_s = self._network_s = network_s
        self.in_s = self._in_s = in_s
        self.path_delay_s = self._path_delay_s = path_delay_s
        self.ahead_s = self._ahead_s = ahead_s
        self.paths: list[tuple[str, ...] | None] = [None] * network_s.shape[0]
        self.home_paths: list[tuple[str, ...] | None] = [None] * network_s.shape[0]


class FleetPaths:
    """One source's fastest paths (:class:`~mcfn.network.topology.paths.FastestPaths`) at the fleet's nodes only:
    ``delay_s`` and ``seconds_per_bit`` by fleet index, gathered from the tree at the nodes' topology ``vertices``.

    A tree spans every topology vertex (about 4,700 at 1,027 cells: stations, switches, servers) and a candidate set
    reads it at scattered ones; this holds what a decision reads in two short contiguous arrays (with typed views
    beside them, compiled), so that building a shortlist reads a few kilobytes instead of most of two trees, and
    asks NumPy for no buffer. The values are the tree's, copied. Read-only.
    """

    __slots__ = ("_delay_s", "_seconds_per_bit", "delay_s", "seconds_per_bit")

    def __init__(self, tree: FastestPaths, vertices: np.ndarray) -> None:
        delay_s, seconds_per_bit = tree.delay_s[vertices], tree.seconds_per_bit[vertices]
        for values in (delay_s, seconds_per_bit):
            values.flags.writeable = False
        self.delay_s = self._delay_s = delay_s
        self.seconds_per_bit = self._seconds_per_bit = seconds_per_bit


def transfers(
    nodes: np.ndarray,
    into: FleetPaths,
    back: FleetPaths,
    in_bits: float,
    out_bits: float,
    result_bits: float,
) -> Transfers:
    """The :class:`Transfers` of the candidates at fleet indices ``nodes`` for input from ``into``'s source,
    ``out_bits`` back and a result of ``result_bits`` that a later stage sends home, both over ``back`` (the home's
    paths; the module formula). Its arrays are read-only: they are shared by every decision that reads them."""
    delay_in = into.delay_s[nodes]
    transfer_in = delay_in + in_bits * into.seconds_per_bit[nodes]
    transfer = transfer_in
    if out_bits:
        transfer = transfer_in + (back.delay_s[nodes] + out_bits * back.seconds_per_bit[nodes])
    ahead = back.delay_s[nodes] + result_bits * back.seconds_per_bit[nodes] if result_bits else np.zeros(nodes.size)
    for values in (transfer, transfer_in, delay_in, ahead):
        values.flags.writeable = False
    return Transfers(transfer, transfer_in, delay_in, ahead)


class Demand:
    """A task's constants on each instance of a candidate set: ``alone_s``, the one-VM compute seconds of its work
    (:meth:`Instances.alone_s`), and ``fits``, whether its memory fits (:meth:`Instances.fits`). Read-only by
    contract."""

    __slots__ = ("_alone_s", "_fits", "alone_s", "fits")

    def __init__(self, alone_s: FloatArray, fits: np.ndarray) -> None:
        self.alone_s = self._alone_s = alone_s
        self.fits = self._fits = fits


class CandidateCosts:
    """The predicted costs of serving one (sub-)task on each candidate, for one decision (the module formula).

    Every array is aligned with ``nodes`` (fleet indices): ``network_s``, ``in_s``, ``path_delay_s`` and
    ``ahead_s`` are those of ``transfers`` (the :class:`Transfers`), ``nodes``, ``is_cloud`` and ``is_edge`` those of
    ``instances`` (the :class:`Instances`; both kept, not copied, so that a decision touches no more of them than it
    reads); ``queue_s``,
    ``compute_s``, ``total_s`` and ``feasible`` are computed from them, the stage's :class:`Demand`, the aware
    view, the time ``start_s`` at which the input leaves its source and ``budget_s`` at construction, by elementwise
    arithmetic only, so the result is the same whichever of these inputs were computed earlier and kept
    (:mod:`mcfn.routing.tables`). ``busy_share`` is the predicted busy share of each candidate's VM slots when the
    task would start there (at most 1). Read-only by contract, but :func:`predict` may be asked to predict a later
    decision into it, which (compiled) overwrites its arrays: a router does so for the decisions that nobody sees
    but the policy.
    """

    __slots__ = (
        "_compute_s",
        "_feasible",
        "_queue_s",
        "_total_s",
        "budget_s",
        "busy_share",
        "compute_s",
        "feasible",
        "instances",
        "queue_s",
        "start_s",
        "total_s",
        "transfers",
    )

    def __init__(
        self,
        instances: Instances,
        transfers: Transfers,
        demand: Demand,
        view: AwareView,
        start_s: float,
        budget_s: float,
    ) -> None:
        self._predict(instances, transfers, demand, view, start_s, budget_s)

    def _predict(
        self,
        instances: Instances,
        transfers: Transfers,
        demand: Demand,
        view: AwareView,
        start_s: float,
        budget_s: float,
    ) -> None:
        """Every attribute, from the inputs (the module formula; compiled, the inputs are typed here)."""
        self.instances, self.transfers = instances, transfers  # kept, not copied: a decision touches less memory
        self.start_s = start_s
        self.budget_s = budget_s
        if cython.compiled:  # the NumPy expressions below, candidate by candidate in the same order
            n = instances._nodes.shape[0]
            if self.total_s is None or self._rows.shape[1] != n:  # the first prediction over as many candidates
                self._allocate(n)
            # the arrays indexed where they are kept: a typed local would acquire each one's buffer (atomically)
            for i in range(n):
                j = instances._nodes[i]
                slots = view._slots[j]
                arrival_s = start_s + transfers._in_s[i]
                earliest = view._free[j, 0]
                for k in range(1, slots):
                    if view._free[j, k] < earliest:
                        earliest = view._free[j, k]
                wait_s = earliest - arrival_s
                begin_s = earliest if wait_s > 0.0 else arrival_s
                busy = 0
                for k in range(slots):
                    if view._free[j, k] > begin_s:
                        busy += 1
                exponent = min(busy + 1, slots) - 1
                queue_s = wait_s if wait_s > 0.0 else 0.0
                compute_s = demand._alone_s[i] * view._slowdown[j, exponent]
                total_s = transfers._network_s[i] + queue_s + compute_s + transfers._ahead_s[i]
                self._rows[0, i] = queue_s
                self._rows[1, i] = compute_s
                self._rows[2, i] = total_s
                self._rows[3, i] = cython.cast(cython.double, min(busy, slots)) / slots
                self._feasible_out[i] = total_s <= budget_s and demand._fits[i]
        else:
            nodes = instances.nodes
            arrival = start_s + transfers.in_s
            free = view.slot_free_s[nodes]
            earliest = free.min(axis=1)  # a node's unused columns are inf: never the least
            with np.errstate(invalid="ignore"):  # no path: the input arrives at inf, the wait is inf - inf
                wait = earliest - arrival
            waits = wait > 0.0
            begin = np.where(waits, earliest, arrival)
            busy = np.count_nonzero((free > begin[:, None]) & view.slot_used[nodes], axis=1)
            slots = view.vm_slots[nodes]
            queue = np.where(waits, wait, 0.0)
            compute = demand.alone_s * view.slowdown[nodes, np.minimum(busy + 1, slots) - 1]
            total = transfers.network_s + queue + compute + transfers.ahead_s
            busy_share = np.minimum(busy, slots) / slots
            feasible = (total <= budget_s) & demand.fits
            self._queue_s, self._compute_s, self._total_s, self._feasible = queue, compute, total, feasible
            self.queue_s, self.compute_s, self.total_s = queue, compute, total
            self.busy_share, self.feasible = busy_share, feasible

    def _allocate(self, n: int) -> None:
        """Compiled only: the arrays that predictions over ``n`` candidates write, and their typed views."""
        rows = np.empty((4, n))  # one buffer (and one typed view) for the four float arrays
        feasible = np.empty(n, np.bool_)
        self._rows, self._feasible_out = rows, feasible
        self.queue_s, self.compute_s, self.total_s, self.busy_share = rows[0], rows[1], rows[2], rows[3]
        self.feasible = feasible
        self._queue_s, self._compute_s, self._total_s = self._rows[0], self._rows[1], self._rows[2]
        self._feasible = self._feasible_out

    @property
    def nodes(self) -> np.ndarray:
        return self.instances.nodes

    @property
    def network_s(self) -> FloatArray:
        return self.transfers.network_s

    @property
    def in_s(self) -> FloatArray:
        return self.transfers.in_s

    @property
    def path_delay_s(self) -> FloatArray:
        return self.transfers.path_delay_s

    @property
    def ahead_s(self) -> FloatArray:
        return self.transfers.ahead_s

    @property
    def is_cloud(self) -> np.ndarray:
        return self.instances.is_cloud

    @property
    def is_edge(self) -> np.ndarray:
        return self.instances.is_edge

    @property
    def load(self) -> FloatArray:
        """The busy share of the VM slots plus the wait in seconds (a node with a wait has every slot busy, so it
        ranks after every node with a free slot); computed when read, since only one policy reads it."""
        return self.busy_share + self.queue_s

    def settles(self, bound_s: float, tolerance_s: float) -> bool:
        """Whether candidates left out of this decision, each predicted to take at least ``bound_s``, can change
        neither the choice of a policy that takes the least total among the feasible candidates (among all when none
        is; ties within ``tolerance_s``) nor what its route says: the least total here is below ``bound_s -
        tolerance_s``; when no candidate here is feasible, neither can one left out be (the budget is below
        ``bound_s``); and when a cloud may be chosen, the facts of its reason (:func:`~mcfn.routing.router.
        cloud_reason`) hold for all candidates: whether an edge meets the budget (one here does, or none left out
        can) and the least edge total (one here is below ``bound_s``). NaN totals never settle."""
        if cython.compiled:  # the arrays indexed where they are kept: a typed local would acquire each one's buffer
            instances = self.instances
            n = self._total_s.shape[0]
            any_feasible = False
            for i in range(n):
                if self._feasible[i]:
                    any_feasible = True
                    break
            least, least_edge = np.inf, np.inf
            edge_feasible = False
            for i in range(n):
                value = self._total_s[i]
                if value != value:
                    return False
                if not instances._is_cloud[i]:
                    if value < least_edge:
                        least_edge = value
                    if self._feasible[i]:
                        edge_feasible = True
                if (self._feasible[i] or not any_feasible) and value < least:
                    least = value
            cloud_near = False
            for i in range(n):
                if (
                    instances._is_cloud[i]
                    and (self._feasible[i] or not any_feasible)
                    and self._total_s[i] <= least + tolerance_s
                ):
                    cloud_near = True
        else:
            if np.isnan(self.total_s).any():
                return False
            any_feasible = bool(np.count_nonzero(self.feasible))
            mask = self.feasible if any_feasible else np.ones(self.total_s.size, dtype=bool)
            least = float(self.total_s[mask].min())
            edges = self.total_s[~self.is_cloud]
            least_edge = float(edges.min()) if edges.size else np.inf
            edge_feasible = bool(np.count_nonzero(self.feasible & ~self.is_cloud))
            cloud_near = bool(np.count_nonzero(mask & self.is_cloud & (self.total_s <= least + tolerance_s)))
        if not least + tolerance_s < bound_s:
            return False
        if not any_feasible and self.budget_s >= bound_s:
            return False
        return not cloud_near or (least_edge < bound_s and (edge_feasible or self.budget_s < bound_s))

    def edge_feasible(self) -> bool:
        """Whether some edge candidate meets the budget."""
        if cython.compiled:
            feasible, edge = self._feasible, self.instances._is_edge
            for i in range(feasible.shape[0]):  # noqa: SIM110 (any() of a generator: a closure, which cpdef forbids)
                if feasible[i] and edge[i]:
                    return True
            return False
        return bool(np.count_nonzero(self.feasible & self.is_edge))


class Shortlist:
    """The candidates of a decision that can matter, and a lower bound on the rest (Read-only by contract).

    Every candidate's total is at least ``network_s + alone_s + ahead_s`` (no queue, one VM alone: the slowdown
    ``(1 + d)^0`` is 1). A shortlist keeps the ``keep`` candidates with the least such bound and every cloud
    instance, in their original order (so ties are broken among the same nodes in the same order), and
    ``bound_s``, the least bound of the rest; :meth:`CandidateCosts.settles` then says whether a decision over the
    shortlist is the decision over all of them. Its instances and demand come from ``subsets`` when given
    (:func:`kept_subsets`).
    """

    __slots__ = ("bound_s", "demand", "instances", "transfers")

    def __init__(
        self, instances: Instances, transfers: Transfers, demand: Demand, keep: int, subsets: dict | None = None
    ) -> None:
        lower = transfers.network_s + demand.alone_s + transfers.ahead_s
        order = np.argsort(lower, kind="stable")
        kept = np.zeros(lower.size, dtype=bool)
        kept[order[:keep]] = True
        kept |= instances.is_cloud
        left = ~kept
        self.bound_s = float(lower[left].min()) if np.count_nonzero(left) else np.inf
        at = np.flatnonzero(kept)
        self.instances, self.demand = kept_subsets(instances, demand, at.tolist(), subsets)
        self.transfers = Transfers(
            transfers.network_s[at], transfers.in_s[at], transfers.path_delay_s[at], transfers.ahead_s[at]
        )


def kept_subsets(
    instances: Instances, demand: Demand, kept: list[int], subsets: dict | None
) -> tuple[Instances, Demand]:
    """``instances`` and ``demand`` at the positions ``kept`` (ascending), from ``subsets`` (keyed by ``(demand,
    positions)``; what this adds to it is shared, so read-only by contract) when it holds them, else built (and
    added). Shortlists of different sources, homes and bits keep the same candidates again and again (measured at
    1,027 cells: 17,801 shortlists, 1,312 distinct sets), and building a subset is most of a shortlist's cost."""
    key = (demand, tuple(kept))
    if subsets is not None:
        found = subsets.get(key)
        if found is not None:
            return found
    at = np.array(kept, dtype=np.int64)
    found = (instances.subset(at), Demand(demand.alone_s[at], demand.fits[at]))
    if subsets is not None:
        subsets[key] = found
    return found


def _before(value: float, other: float) -> bool:
    """Whether ``value`` sorts before ``other`` in NumPy's order (NaN last)."""
    if other != other:
        return value == value
    return value < other


def shortlist_of(
    instances: Instances,
    into: FleetPaths,
    back: FleetPaths,
    in_bits: float,
    out_bits: float,
    result_bits: float,
    demand: Demand,
    keep: int,
    subsets: dict | None = None,
) -> Shortlist:
    """The :class:`Shortlist` of ``keep`` of ``instances`` (and the clouds) for a decision whose transfers are
    :func:`transfers`', its instances and demand from ``subsets`` (:func:`kept_subsets`). Compiled, one typed pass
    over the candidates computes each one's bound (the same arithmetic, in the same order, as :func:`transfers` and
    :class:`Shortlist`), keeps the ``keep`` least in a small sorted buffer (first position on ties, NaN last: a
    stable sort's first ``keep``) and the least of the rest, and builds the network part of the kept candidates
    only (rows of one array), instead of arrays over every candidate and a sort of them: on a large network each
    first decision of a new source and home is that much cheaper."""
    if not cython.compiled:
        return Shortlist(
            instances, transfers(instances.nodes, into, back, in_bits, out_bits, result_bits), demand, keep, subsets
        )
    n = instances._nodes.shape[0]
    nodes, into_delay, into_spb = instances._nodes, into._delay_s, into._seconds_per_bit
    back_delay, back_spb = back._delay_s, back._seconds_per_bit
    best_value, best_index = np.empty(keep), np.empty(keep, dtype=np.int64)
    values, indices = best_value, best_index
    count = 0
    bound, rest_nan = np.inf, False
    for i in range(n):
        v = nodes[i]
        transfer = into_delay[v] + in_bits * into_spb[v]
        if out_bits:
            transfer = transfer + (back_delay[v] + out_bits * back_spb[v])
        ahead = back_delay[v] + result_bits * back_spb[v] if result_bits else 0.0
        lower = transfer + demand._alone_s[i] + ahead
        left, left_i = lower, i  # what falls out of the buffer (this candidate, or the buffer's last)
        if count < keep or (count and _before(lower, values[count - 1])):
            if count == keep:
                left, left_i = values[keep - 1], indices[keep - 1]
                slot = keep - 1
            else:
                left_i = -1
                slot = count
                count += 1
            while slot > 0 and _before(lower, values[slot - 1]):
                values[slot], indices[slot] = values[slot - 1], indices[slot - 1]
                slot -= 1
            values[slot], indices[slot] = lower, i
        if left_i >= 0 and not instances._is_cloud[left_i]:
            if left != left:
                rest_nan = True
            elif left < bound:
                bound = left
    kept = best_index[:count].tolist()
    for i in range(n):
        if instances._is_cloud[i] and i not in kept:
            kept.append(i)
    kept.sort()
    m = len(kept)
    rows = np.empty((4, m))  # network_s, in_s, path_delay_s, ahead_s: one allocation
    out = rows
    for k in range(m):
        v = nodes[kept[k]]
        out[2, k] = into_delay[v]
        out[1, k] = into_delay[v] + in_bits * into_spb[v]
        out[0, k] = out[1, k] + (back_delay[v] + out_bits * back_spb[v]) if out_bits else out[1, k]
        out[3, k] = back_delay[v] + result_bits * back_spb[v] if result_bits else 0.0
    shortlist = Shortlist.__new__(Shortlist)
    shortlist.bound_s = np.nan if rest_nan else bound
    shortlist.instances, shortlist.demand = kept_subsets(instances, demand, kept, subsets)
    shortlist.transfers = Transfers(rows[0], rows[1], rows[2], rows[3])
    return shortlist


def predict(
    *,
    instances: Instances,
    transfers: Transfers,
    demand: Demand,
    view: AwareView,
    start_s: float,
    budget_s: float,
    into: CandidateCosts | None = None,
) -> CandidateCosts:
    """The :class:`CandidateCosts` of the candidates ``instances`` for a task with ``demand`` on each of them and
    ``transfers`` to and from each, whose input leaves its source at ``start_s``, under the state ``view`` holds,
    within ``budget_s``.

    With ``into``, the costs of an earlier decision that nobody reads any more, those are predicted afresh and
    returned: compiled, into their own arrays (which saves allocating new ones), so every array read from them
    before changes too.
    """
    if into is None:
        return CandidateCosts(instances, transfers, demand, view, start_s, budget_s)
    into._predict(instances, transfers, demand, view, start_s, budget_s)
    return into
