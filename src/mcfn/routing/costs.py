"""Predicted latency of serving one (sub-)task on each candidate node: network + queueing + compute.

For candidate node ``j`` reached from the data's source over the fastest path ``P_in`` and returning its output
over ``P_out`` (:mod:`mcfn.network.topology.paths`)::

    network_s = Σ_{P_in} δ + S_in / min_{P_in} b  +  Σ_{P_out} δ + S_out / min_{P_out} b
    queue_s   = Q_j / μ_j                       (estimated backlog over measured speed, from the aware view)
    compute_s = Σ_c W_c / r_{j,c} · (1 + d_j)^(min(busy_j + 1, slots_j) - 1)   (seed eq. 2)

A node is *feasible* when it is reachable, has the memory the task needs, and ``network + queue + compute`` fits
in the budget. Everything is vectorised over candidates. The view's part (``Q_j / μ_j`` and the slowdown) is
computed for the whole fleet at once (:class:`NodeLoad`) and the rest per candidate set, so that a router can keep
each part until what it depends on changes (:mod:`mcfn.routing.tables`): a prediction then costs eight NumPy
operations, or, compiled (``costs.pxd``), one typed loop over the candidates that rounds exactly as they do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mcfn.awareness.view import Estimate
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
        self.nodes = self._nodes = nodes  # _nodes: compiled, a typed view for predict's loop
        self.vertices = vertices
        self.seconds_per_flop = seconds_per_flop
        self.vm_slots = vm_slots
        self.degradation = degradation
        self.memory_bytes = memory_bytes
        self.is_cloud = is_cloud
        self.is_edge = is_edge

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


class CandidateCosts:
    """Per-candidate predictions for one decision; every array is aligned with ``nodes`` (fleet indices).

    ``path_delay_s`` is the propagation delay of the path in (what "nearest" means); ``busy_share`` the busy
    share of each candidate's VM slots; ``is_edge`` is ``~is_cloud``. Read-only by contract: one is built on every
    decision.
    """

    __slots__ = (
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
        self,
        *,
        nodes: np.ndarray,
        network_s: FloatArray,
        queue_s: FloatArray,
        compute_s: FloatArray,
        total_s: FloatArray,
        path_delay_s: FloatArray,
        busy_share: FloatArray,
        is_cloud: np.ndarray,
        is_edge: np.ndarray,
        feasible: np.ndarray,
        budget_s: float,
    ) -> None:
        self.nodes = nodes
        self.network_s = network_s
        self.queue_s = queue_s
        self.compute_s = compute_s
        self.total_s = total_s
        self.path_delay_s = path_delay_s
        self.busy_share = busy_share
        self.is_cloud = is_cloud
        self.is_edge = is_edge
        self.feasible = feasible
        self.budget_s = budget_s

    @property
    def load(self) -> FloatArray:
        """The busy share of the VM slots plus the backlog in seconds (a node with a backlog has every slot busy,
        so it ranks after every node with a free slot); computed when read, since only one policy reads it."""
        return self.busy_share + self.queue_s

    def edge_feasible(self) -> bool:
        """Whether some edge candidate meets the budget."""
        if cython.compiled:
            feasible, edge = self.feasible, self.is_edge
            for i in range(feasible.shape[0]):
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
        # the underscored twins: compiled, typed views for predict's loop
        self.queue_s = self._queue_s = queue_s
        self.slowdown = self._slowdown = slowdown
        self.busy_share = self._busy_share = busy_share

    @classmethod
    def of(cls, fleet: Fleet, estimate: Estimate) -> NodeLoad:
        """The load of every node of ``fleet`` from the view's ``estimate`` of every node."""
        parallel = np.minimum(estimate.busy_vms + 1, fleet.vm_slots)
        return cls(
            queue_s=_queue_s(estimate),
            slowdown=np.power(1.0 + fleet.degradation, parallel - 1.0),
            busy_share=estimate.busy_vms / fleet.vm_slots,
        )

    def requeued(self, estimate: Estimate) -> NodeLoad:
        """This load with the queues of a later ``estimate`` from the same adverts (so the same busy VMs)."""
        return NodeLoad(queue_s=_queue_s(estimate), slowdown=self.slowdown, busy_share=self.busy_share)


def _queue_s(estimate: Estimate) -> FloatArray:
    return estimate.queue_flops / estimate.speed_flops_per_s


def predict(
    *,
    instances: Instances,
    network_s: FloatArray,
    path_delay_s: FloatArray,
    alone_s: FloatArray,
    load: NodeLoad,
    budget_s: float,
    fits: np.ndarray,
) -> CandidateCosts:
    """Costs of the candidates ``instances``.

    ``network_s`` (transfers in and out, ``inf``: no path), ``path_delay_s`` (propagation in), ``alone_s``
    (one-VM compute seconds of the work, :meth:`Instances.alone_s`) and ``fits`` (the task's memory fits,
    :meth:`Instances.fits`) are aligned with the candidates; ``load`` covers the whole fleet. Elementwise
    arithmetic only, so the result is the same whichever of these inputs were computed earlier and kept
    (:mod:`mcfn.routing.tables`).
    """
    nodes = instances.nodes
    if cython.compiled:  # the NumPy expressions below, candidate by candidate in the same order
        n = nodes.shape[0]
        queue, compute, total, busy = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
        feasible = np.empty(n, dtype=np.bool_)
        node, network, alone, fit = instances._nodes, network_s, alone_s, fits
        load_queue, slowdown, load_busy = load._queue_s, load._slowdown, load._busy_share
        q, c, t, b, f = queue, compute, total, busy, feasible
        for i in range(n):
            j = node[i]
            q[i] = load_queue[j]
            c[i] = alone[i] * slowdown[j]
            t[i] = network[i] + q[i] + c[i]
            b[i] = load_busy[j]
            f[i] = t[i] <= budget_s and fit[i]
    else:
        queue = load.queue_s[nodes]
        compute = alone_s * load.slowdown[nodes]
        total = network_s + queue + compute
        busy = load.busy_share[nodes]
        feasible = (total <= budget_s) & fits
    return CandidateCosts(
        nodes=nodes,
        network_s=network_s,
        queue_s=queue,
        compute_s=compute,
        total_s=total,
        path_delay_s=path_delay_s,
        busy_share=busy,
        is_cloud=instances.is_cloud,
        is_edge=instances.is_edge,
        feasible=feasible,
        budget_s=budget_s,
    )
