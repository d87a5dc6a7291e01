"""Compute routing (seed §2, §3.1): requests, predicted costs, policies chosen by name, the router."""

from mcfn.routing.chain import route_stages_optimal
from mcfn.routing.costs import CandidateCosts, predict
from mcfn.routing.policies import POLICIES, Policy, make_policy
from mcfn.routing.request import Request, SplitRequest, Stage
from mcfn.routing.router import Route, Router, StagedRoute

__all__ = [
    "POLICIES",
    "CandidateCosts",
    "Policy",
    "Request",
    "Route",
    "Router",
    "SplitRequest",
    "Stage",
    "StagedRoute",
    "make_policy",
    "predict",
    "route_stages_optimal",
]
