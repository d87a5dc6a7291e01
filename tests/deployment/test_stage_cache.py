"""The runtime's stage cache: real torch modules, their measured bytes the zoo's, the budget held under LRU."""

from __future__ import annotations

import pytest

from mcfn.deployment import Item, make_deployment_policy
from mcfn.models.zoo import build_model, load_zoo_graph
from mcfn.runtime.stage_cache import StageCache, module_bytes

MODELS = ("mobilenet_v3_small", "resnet18", "mobilenet_v2")


def cache(capacity_bytes: float) -> StageCache:
    items = [Item(item_id=name, weights_bytes=float(load_zoo_graph(name).total_param_bytes)) for name in MODELS]
    policy = make_deployment_policy(
        "lru", cost_s=[1.0] * 3, size_bytes=[i.weights_bytes for i in items], nodes=1, period_s=1
    )
    return StageCache(
        items,
        {name: (lambda name=name: build_model(name)) for name in MODELS},
        capacity_bytes=capacity_bytes,
        policy=policy,
    )


def test_a_loaded_module_measures_what_the_zoo_counts():
    for name in MODELS[:2]:
        assert module_bytes(build_model(name)) == load_zoo_graph(name).total_param_bytes


def test_loads_evict_least_recently_used_within_the_budget():
    sizes = {name: load_zoo_graph(name).total_param_bytes for name in MODELS}
    stages = cache(capacity_bytes=sizes["resnet18"] + sizes["mobilenet_v3_small"] + 1)
    first = stages.load("mobilenet_v3_small")
    assert first.load_s > 0
    assert first.measured_bytes == sizes["mobilenet_v3_small"]
    stages.load("resnet18")
    assert stages.get("mobilenet_v3_small") is not None  # used last: resnet18 is now the least recent
    report = stages.load("mobilenet_v2")
    assert report.evicted == ("resnet18",)
    assert stages.memory_bytes <= stages.state.capacity_bytes[0]
    assert stages.loaded() == ["mobilenet_v2", "mobilenet_v3_small"]
    with pytest.raises(ValueError, match="not loaded"):
        stages.unload("resnet18")
