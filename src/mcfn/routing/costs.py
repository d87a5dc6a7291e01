"""Predicted latency of serving one (sub-)task on each candidate node: network + queueing + compute.

For candidate node ``j`` reached from the data's source over the fastest path ``P_in`` and returning its output
over ``P_out`` (:mod:`mcfn.network.topology.paths`)::

    network_s = Σ_{P_in} δ + S_in / min_{P_in} b  +  Σ_{P_out} δ + S_out / min_{P_out} b
    queue_s   = Q_j / μ_j                       (estimated backlog over measured speed, from the aware view)
    compute_s = Σ_c W_c / r_{j,c} · (1 + d_j)^(min(busy_j + 1, slots_j) - 1)   (seed eq. 2)

A node is *feasible* when it is reachable, has the memory the task needs, and ``network + queue + compute`` fits
in the budget. Everything is vectorised over candidates: one decision costs a few dozen NumPy operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfn.awareness.view import Estimate
from mcfn.compute.fleet import Fleet
from mcfn.network.radio import FloatArray


@dataclass(frozen=True, eq=False)
class Instances:
    """The static arrays of a service's instances, gathered once from the fleet (aligned with ``nodes``).

    ``vertices`` are the instances' topology indices; the rest are the fleet's arrays at ``nodes``.
    """

    nodes: np.ndarray
    vertices: np.ndarray
    seconds_per_flop: FloatArray
    vm_slots: np.ndarray
    degradation: FloatArray
    memory_bytes: FloatArray
    is_cloud: np.ndarray

    @classmethod
    def of(cls, fleet: Fleet, nodes: np.ndarray, vertices: np.ndarray) -> Instances:
        return cls(
            nodes=nodes,
            vertices=vertices,
            seconds_per_flop=fleet.seconds_per_flop[nodes],
            vm_slots=fleet.vm_slots[nodes],
            degradation=fleet.degradation[nodes],
            memory_bytes=fleet.memory_bytes[nodes],
            is_cloud=fleet.is_cloud[nodes],
        )


@dataclass(frozen=True, eq=False)
class CandidateCosts:
    """Per-candidate predictions for one decision; every array is aligned with ``nodes`` (fleet indices).

    ``path_delay_s`` is the propagation delay of the path in (what "nearest" means); ``load`` is the busy share
    of the VM slots plus the backlog in seconds (a node with a backlog has every slot busy, so it ranks after
    every node with a free slot).
    """

    nodes: np.ndarray
    network_s: FloatArray
    queue_s: FloatArray
    compute_s: FloatArray
    total_s: FloatArray
    path_delay_s: FloatArray
    load: FloatArray
    is_cloud: np.ndarray
    feasible: np.ndarray
    budget_s: float


def predict(
    *,
    instances: Instances,
    transfer_in_s: FloatArray,
    transfer_out_s: FloatArray | float,
    path_delay_s: FloatArray,
    per_op_flops: FloatArray,
    estimate: Estimate,
    budget_s: float,
    memory_bytes: float,
) -> CandidateCosts:
    """Costs of the candidates ``instances``; transfers are per-candidate seconds in and out (``inf``: no path)."""
    slots = instances.vm_slots
    parallel = np.minimum(estimate.busy_vms + 1, slots)
    slowdown = np.power(1.0 + instances.degradation, parallel - 1.0)
    compute = (instances.seconds_per_flop @ per_op_flops) * slowdown
    queue = estimate.queue_flops / estimate.speed_flops_per_s
    network = transfer_in_s + transfer_out_s
    total = network + queue + compute
    feasible = (total <= budget_s) & (instances.memory_bytes >= memory_bytes)
    return CandidateCosts(
        nodes=instances.nodes,
        network_s=network,
        queue_s=queue,
        compute_s=compute,
        total_s=total,
        path_delay_s=path_delay_s,
        load=estimate.busy_vms / slots + queue,
        is_cloud=instances.is_cloud,
        feasible=feasible,
        budget_s=budget_s,
    )
