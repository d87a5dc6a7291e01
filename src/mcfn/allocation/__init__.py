"""Resource allocation for intelligent tasks (seed §3.2): joint OFDMA bandwidth, edge compute and compression.

Public API::

    from mcfn.allocation import allocate, load_instance
    result = allocate(load_instance("i.json"), scheme="proposed", method="exact")

Methods: ``sca`` (the seed's successive convex approximation) and ``exact`` (the log-domain global optimum).
Schemes: ``proposed``, ``fc``, ``ac``, ``wcr`` (the seed's baselines). See ``docs/formats/allocation.md``.

Names are imported lazily (PEP 562), so ``import mcfn.allocation.choices`` does not load the conic solvers.
"""

from __future__ import annotations

from mcfn._lazy import lazy_exports

_EXPORTS = {
    "AccuracyCurve": "problem",
    "Instance": "problem",
    "Task": "problem",
    "AllocationResult": "result",
    "TaskAllocation": "result",
    "Evaluation": "evaluation",
    "evaluate": "evaluation",
    "InstanceSpec": "generator",
    "generate_instance": "generator",
    "random_station": "generator",
    "InstanceError": "io",
    "dump_instance": "io",
    "load_instance": "io",
    "parse_instance": "io",
    "Method": "choices",
    "Scheme": "choices",
    "allocate": "solve",
    "solve_formulation": "solve",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
