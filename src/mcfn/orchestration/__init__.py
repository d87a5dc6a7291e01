"""Compute orchestration (seed §3.1): service requests → routed stages → joint allocation → deployment records."""

from mcfn.orchestration.orchestrate import orchestrate
from mcfn.orchestration.record import Deployment, DeploymentRecord
from mcfn.orchestration.request import RadioSettings, ServiceRequest

__all__ = ["Deployment", "DeploymentRecord", "RadioSettings", "ServiceRequest", "orchestrate"]
