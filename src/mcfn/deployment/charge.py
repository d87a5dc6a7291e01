"""What a cold start adds to a routing decision: each candidate node's wait for the item it lacks.

Both engines route with the deployed state in view (:attr:`mcfn.routing.Router.deployment`): a candidate that holds
the item costs nothing more; one where the item is loading costs what is left of that load when the input arrives;
one without it costs the load, if the policy can make room there, and is ruled out (``inf``) if it cannot. The
penalty is charged as queueing, so a policy that weighs predicted latency weighs a cold start against going
elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mcfn.deployment.policies import DeploymentPolicy
from mcfn.deployment.state import DeployedState

if TYPE_CHECKING:
    from mcfn.routing.costs import CandidateCosts


def cold_start_s(
    state: DeployedState,
    policy: DeploymentPolicy,
    item: int,
    nodes: np.ndarray,
    *,
    arrive_s: np.ndarray,
    load_s: np.ndarray,
    now_s: float,
) -> np.ndarray:
    """Seconds each candidate of ``nodes`` (node indices) would wait for ``item`` (module docstring): ``arrive_s``
    per candidate is when the input would arrive there, ``load_s`` per node what a load of ``item`` takes there."""
    penalty = np.zeros(len(nodes))
    for c, j in enumerate(nodes.tolist()):
        if item in state.loaded[j]:
            continue
        ready_s = state.loading[j].get(item)
        if ready_s is not None:
            penalty[c] = max(0.0, ready_s - arrive_s[c])
        elif policy.victims(state, j, item, now_s) is None:
            penalty[c] = np.inf
        else:
            penalty[c] = load_s[j]
    return penalty


def charge_cold_starts(
    costs: CandidateCosts,
    state: DeployedState,
    policy: DeploymentPolicy,
    item: int,
    *,
    load_s: np.ndarray,
    now_s: float,
) -> None:
    """Add each candidate's :func:`cold_start_s` for ``item`` (``load_s`` per node) to its queueing and total; a
    candidate that no longer meets its budget becomes infeasible."""
    arrive_s = costs.start_s + costs.in_s
    penalty = cold_start_s(state, policy, item, costs.nodes, arrive_s=arrive_s, load_s=load_s, now_s=now_s)
    if not penalty.any():
        return
    np.add(costs.queue_s, penalty, out=costs.queue_s)
    np.add(costs.total_s, penalty, out=costs.total_s)
    np.logical_and(costs.feasible, costs.total_s <= costs.budget_s, out=costs.feasible)
