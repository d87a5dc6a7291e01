"""Automatic service deployment (seed §2, stage 2 of the mobile CFN: compute–network co-scheduling with automatic
service deployment): which model variants' stages are loaded on which compute node, what they cost in memory and
loading time, and the policies that decide — with no clock and no I/O; the simulator drives them as events.

- :mod:`~mcfn.deployment.footprint`: a deployable item (one stage of one way to serve a service), its memory
  (weights and activations) and its loading time;
- :mod:`~mcfn.deployment.state`: the deployed state of every node (loaded and loading items, memory in use),
  which never exceeds a node's memory;
- :mod:`~mcfn.deployment.policies`: the :class:`DeploymentPolicy` interface and static, LRU, LFU,
  GreedyDual (FaasCache), periodic optimal placement and follow-me migration;
- :mod:`~mcfn.deployment.placement`: the optimal placement itself, a MILP solved by HiGHS.
"""

from mcfn.deployment.footprint import Item, activation_bytes, load_s
from mcfn.deployment.placement import PlacementProblem, PlacementResult, solve_placement
from mcfn.deployment.policies import DEPLOYMENT_POLICIES, DeploymentPolicy, make_deployment_policy
from mcfn.deployment.state import DeployedState

__all__ = [
    "DEPLOYMENT_POLICIES",
    "DeployedState",
    "DeploymentPolicy",
    "Item",
    "PlacementProblem",
    "PlacementResult",
    "activation_bytes",
    "load_s",
    "make_deployment_policy",
    "solve_placement",
]
