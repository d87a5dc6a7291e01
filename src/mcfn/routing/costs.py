"""Predicted latency of serving one (sub-)task on each candidate node: network + queueing + compute.

For candidate node ``j`` reached from the data's source over the fastest path ``P_in`` and returning its output
over ``P_out`` (:mod:`mcfn.network.topology.paths`)::

    network_s = Σ_{P_in} δ + S_in / min_{P_in} b  +  Σ_{P_out} δ + S_out / min_{P_out} b
    queue_s   = Q_j / μ_j                       (estimated backlog over measured speed, from the aware view)
    compute_s = Σ_c W_c / r_{j,c} · (1 + d_j)^(min(busy_j + 1, slots_j) - 1)   (seed eq. 2)

A node is *feasible* when it is reachable, has the memory the task needs, and ``network + queue + compute`` fits
in the budget. Everything is vectorised over candidates. The view's part (``Q_j / μ_j`` and the slowdown) is
computed for the whole fleet at once (:class:`NodeLoad`), the network part per candidate set (:class:`Transfers`)
and a stage's constants per candidate set (:class:`Demand`), so that a router can keep each part until what it
depends on changes (:mod:`mcfn.routing.tables`): a prediction then costs eight NumPy operations, or, compiled
(``costs.pxd``), one typed loop over the candidates that rounds exactly as they do. Each part keeps, compiled, typed
views of its arrays beside them (the underscored twins; the same arrays in Python), so that a decision reads them
without asking NumPy for a buffer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mcfn.compute.fleet import Fleet
from mcfn.network.radio import FloatArray

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

    def alone_s(self, per_op_flops: Sequence[float]) -> FloatArray:
        """Seconds one VM of each instance needs for ``per_op_flops`` (FLOPs per op class), nothing else running."""
        return self.seconds_per_flop @ np.asarray(per_op_flops)

    def fits(self, memory_bytes: float) -> np.ndarray:
        """Whether each instance has the ``memory_bytes`` a task needs."""
        return self.memory_bytes >= memory_bytes


class Transfers:
    """The network part of a candidate set's costs (aligned with its instances): ``network_s``, the transfers in
    and out (``inf``: no path), and ``path_delay_s``, the propagation delay of the path in. Read-only by contract."""

    __slots__ = ("_network_s", "_path_delay_s", "network_s", "path_delay_s")

    def __init__(self, network_s: FloatArray, path_delay_s: FloatArray) -> None:
        self.network_s = self._network_s = network_s
        self.path_delay_s = self._path_delay_s = path_delay_s


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

    Every array is aligned with ``nodes`` (fleet indices): ``network_s`` and ``path_delay_s`` are the
    :class:`Transfers`', ``is_cloud`` and ``is_edge`` the :class:`Instances`'; ``queue_s``, ``compute_s``,
    ``total_s`` and ``feasible`` are computed from them, the stage's :class:`Demand`, the fleet's :class:`NodeLoad`
    and ``budget_s`` at construction, by elementwise arithmetic only, so the result is the same whichever of these
    inputs were computed earlier and kept (:mod:`mcfn.routing.tables`). ``busy_share`` is the busy share of each
    candidate's VM slots. Read-only by contract, but :func:`predict` may be asked to predict a later decision into
    it, which (compiled) overwrites its arrays: a router does so for the decisions that nobody sees but the policy.
    """

    __slots__ = (
        "_compute_s",
        "_feasible",
        "_is_cloud",
        "_is_edge",
        "_network_s",
        "_nodes",
        "_path_delay_s",
        "_queue_s",
        "_total_s",
        "budget_s",
        "busy_share",
        "compute_s",
        "feasible",
        "is_cloud",
        "is_edge",
        "network_s",
        "nodes",
        "path_delay_s",
        "queue_s",
        "total_s",
    )

    def __init__(
        self, instances: Instances, transfers: Transfers, demand: Demand, load: NodeLoad, budget_s: float
    ) -> None:
        self._predict(instances, transfers, demand, load, budget_s)

    def _predict(
        self, instances: Instances, transfers: Transfers, demand: Demand, load: NodeLoad, budget_s: float
    ) -> None:
        """Every attribute, from the inputs (the module formula; compiled, the inputs are typed here)."""
        nodes = instances.nodes
        self.nodes, self._nodes = nodes, instances._nodes
        self.network_s, self._network_s = transfers.network_s, transfers._network_s
        self.path_delay_s, self._path_delay_s = transfers.path_delay_s, transfers._path_delay_s
        self.is_cloud, self._is_cloud = instances.is_cloud, instances._is_cloud
        self.is_edge, self._is_edge = instances.is_edge, instances._is_edge
        self.budget_s = budget_s
        if cython.compiled:  # the NumPy expressions below, candidate by candidate in the same order
            n = instances._nodes.shape[0]
            if self.total_s is None or self._rows.shape[1] != n:  # the first prediction over as many candidates
                self._allocate(n)
            out, f = self._rows, self._feasible_out
            for i in range(n):
                j = instances._nodes[i]
                out[0, i] = load._queue_s[j]
                out[1, i] = demand._alone_s[i] * load._slowdown[j]
                out[2, i] = transfers._network_s[i] + out[0, i] + out[1, i]
                out[3, i] = load._busy_share[j]
                f[i] = out[2, i] <= budget_s and demand._fits[i]
        else:
            queue = load.queue_s[nodes]
            compute = demand.alone_s * load.slowdown[nodes]
            total = transfers.network_s + queue + compute
            busy = load.busy_share[nodes]
            feasible = (total <= budget_s) & demand.fits
            self._queue_s, self._compute_s, self._total_s, self._feasible = queue, compute, total, feasible
            self.queue_s, self.compute_s, self.total_s = queue, compute, total
            self.busy_share, self.feasible = busy, feasible

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
    def load(self) -> FloatArray:
        """The busy share of the VM slots plus the backlog in seconds (a node with a backlog has every slot busy,
        so it ranks after every node with a free slot); computed when read, since only one policy reads it."""
        return self.busy_share + self.queue_s

    def edge_feasible(self) -> bool:
        """Whether some edge candidate meets the budget."""
        if cython.compiled:
            feasible, edge = self._feasible, self._is_edge
            for i in range(feasible.shape[0]):  # noqa: SIM110 (any() of a generator: a closure, which cpdef forbids)
                if feasible[i] and edge[i]:
                    return True
            return False
        return bool(np.count_nonzero(self.feasible & self.is_edge))


class NodeLoad:
    """What the aware view's estimate predicts for one more task on each node of the fleet (fleet-aligned).

    ``queue_s`` is ``Q_j / μ_j``; ``slowdown`` the seed's ``(1 + d_j)^(min(busy_j + 1, slots_j) - 1)``;
    ``busy_share`` the busy share of the VM slots. Only ``queue_s`` moves with time between adverts. Read-only by
    contract.
    """

    __slots__ = ("_busy_share", "_queue_s", "_slowdown", "busy_share", "queue_s", "slowdown")

    def __init__(self, queue_s: FloatArray, slowdown: FloatArray, busy_share: FloatArray) -> None:
        self.queue_s = self._queue_s = queue_s
        self.slowdown = self._slowdown = slowdown
        self.busy_share = self._busy_share = busy_share

    @classmethod
    def of(cls, fleet: Fleet, queue_s: FloatArray, busy_vms: np.ndarray) -> NodeLoad:
        """The load of every node of ``fleet`` whose estimated backlog is ``queue_s`` seconds and busy VMs
        ``busy_vms`` (:meth:`AwareView.queue_s <mcfn.awareness.AwareView.queue_s>`, ``AwareView.busy_vms``)."""
        if cython.compiled:
            exponent, busy_share = _exponent_and_busy_share(busy_vms, fleet.vm_slots)
        else:
            exponent = np.minimum(busy_vms + 1, fleet.vm_slots) - 1.0
            busy_share = busy_vms / fleet.vm_slots
        return cls(queue_s=queue_s, slowdown=np.power(1.0 + fleet.degradation, exponent), busy_share=busy_share)

    def requeued(self, queue_s: FloatArray) -> NodeLoad:
        """This load with the queue seconds of a later estimate from the same adverts (so the same busy VMs)."""
        return NodeLoad(queue_s=queue_s, slowdown=self.slowdown, busy_share=self.busy_share)


def _exponent_and_busy_share(busy_vms: np.ndarray, vm_slots: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Compiled only: :meth:`NodeLoad.of`'s NumPy expressions but the power, node by node in one typed loop: the
    exponent of the slowdown and the busy share (int64 over int64: both as doubles)."""
    n = busy_vms.shape[0]
    exponent, busy_share = np.empty(n), np.empty(n)
    e, b = exponent, busy_share
    with cython.cdivision(True):  # by zero as NumPy divides, to inf or NaN
        for j in range(n):
            e[j] = min(busy_vms[j] + 1, vm_slots[j]) - 1.0
            b[j] = cython.cast(cython.double, busy_vms[j]) / vm_slots[j]
    return exponent, busy_share


def predict(
    *,
    instances: Instances,
    transfers: Transfers,
    demand: Demand,
    load: NodeLoad,
    budget_s: float,
    into: CandidateCosts | None = None,
) -> CandidateCosts:
    """The :class:`CandidateCosts` of the candidates ``instances`` for a task with ``demand`` on each of them and
    ``transfers`` to and from each, under the fleet's ``load``, within ``budget_s``.

    With ``into``, the costs of an earlier decision that nobody reads any more, those are predicted afresh and
    returned: compiled, into their own arrays (which saves allocating new ones), so every array read from them
    before changes too.
    """
    if into is None:
        return CandidateCosts(instances, transfers, demand, load, budget_s)
    into._predict(instances, transfers, demand, load, budget_s)
    return into
