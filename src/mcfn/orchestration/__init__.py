"""Compute orchestration (seed §3.1): per task, the option, compression and placement of best utility
(:mod:`~mcfn.orchestration.choice`); per batch, service requests → routed stages → joint allocation → deployment
records (:mod:`~mcfn.orchestration.orchestrate`)."""

from mcfn.orchestration.choice import ORCHESTRATED, Choice, Menu, UtilityChooser
from mcfn.orchestration.orchestrate import orchestrate
from mcfn.orchestration.record import Deployment, DeploymentRecord
from mcfn.orchestration.request import RadioSettings, ServiceRequest

__all__ = [
    "ORCHESTRATED",
    "Choice",
    "Deployment",
    "DeploymentRecord",
    "Menu",
    "RadioSettings",
    "ServiceRequest",
    "UtilityChooser",
    "orchestrate",
]
