"""Split deployment (seed §3.1): where each layer of a model runs, across tiers or nodes.

Public API::

    from mcfn.partition import load_tiers, plan_horizontal
    plan = plan_horizontal(graph, load_tiers("tiers.json"))
    plan.to_json_dict()      # spec/partition.md's result document

Names are imported lazily (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Breakdown": "cost",
    "evaluate": "cost",
    "HorizontalPlan": "plan",
    "baselines": "horizontal",
    "plan_horizontal": "horizontal",
    "Link": "tiers",
    "Tier": "tiers",
    "TierError": "tiers",
    "Tiers": "tiers",
    "load_tiers": "tiers",
    "parse_tiers": "tiers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mcfn.partition' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mcfn.partition.{_EXPORTS[name]}"), name)
