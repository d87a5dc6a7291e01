"""The compute service layer (seed §3): a service is a task type with several ways to serve it.

Each way is an :class:`Option`: a model variant (a zoo model or explicit stages, float or int8), answering at its
final layer or at an early exit, with the stages it runs and the accuracy that follows; a task's input compression
(seed eq. 1) scales that accuracy (:meth:`Option.accuracy_at`). :func:`service_options` lists every service's options
of a scenario, the reference (the service's own variant, final exit) first.
"""

from mcfn.services.options import FINAL, Option, quantised, service_options

__all__ = ["FINAL", "Option", "quantised", "service_options"]
