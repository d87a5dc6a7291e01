"""Split deployment (seed §3.1): where each layer of a model runs, across tiers or nodes.

Public API::

    from mcfn.partition import load_tiers, plan_horizontal
    plan = plan_horizontal(graph, load_tiers("tiers.json"))
    plan.to_json_dict()      # the split plan document (docs/formats/layer-graph.md)

Also: :func:`plan_early_exit` (exit and split within a deadline), :func:`plan_vertical` (fused tiles over
compute nodes; :mod:`mcfn.partition.vertical_torch` runs them), :func:`split_by_tier` (a plan as runnable torch
parts; needs torch), :func:`check_plan` (those parts against the whole model, as a relative difference). Names
are imported lazily (PEP 562), so nothing here imports torch until asked.
"""

from __future__ import annotations

from mcfn._lazy import lazy_exports

_EXPORTS = {
    "Breakdown": "cost",
    "evaluate": "cost",
    "check_plan": "check",
    "check_split": "check",
    "relative_difference": "check",
    "measured_compute_s": "cost",
    "Exit": "early_exit",
    "ExitPlan": "early_exit",
    "load_exits": "early_exit",
    "plan_early_exit": "early_exit",
    "SplitModel": "execute",
    "run_parts": "execute",
    "split_by_tier": "execute",
    "ComputeNode": "vertical",
    "VerticalPlan": "vertical",
    "load_compute_nodes": "vertical",
    "plan_vertical": "vertical",
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

__getattr__ = lazy_exports(__name__, _EXPORTS)
