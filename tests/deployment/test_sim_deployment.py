"""Deployment in the simulator: memory limits hold under every policy, a cold start costs exactly its load, and a
scenario without deployment runs as before."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mcfn.deployment import DEPLOYMENT_POLICIES, DeployedState, Item, load_s
from mcfn.deployment.state import MemoryExceededError
from mcfn.scenario import Scenario, parse_scenario
from mcfn.sim.run import prepare, simulate
from tests.sim.conftest import small_scenario


def tight_scenario(policy: str, **deployment: Any) -> Scenario:
    """Two services of three variants each whose stages (0.2 to 0.9 GB) crowd edge servers of 1.5 GB."""
    document = small_scenario(duration_s=8, drain_s=5).model_dump(mode="json", exclude_none=True)
    document["compute"]["edge"]["memory_bytes"] = 1.5e9
    for service, sizes in zip(document["services"], ((4e8, 7e8, 9e8), (2e8, 5e8, 6e8)), strict=True):
        stages = service["stages"]
        service["stages"] = [{**stage, "memory_bytes": sizes[0]} for stage in stages]
        service["variants"] = [
            {"name": f"v{k}", "accuracy": 0.4, "stages": [{**stage, "memory_bytes": size} for stage in stages]}
            for k, size in enumerate(sizes[1:])
        ]
    document["deployment"] = {"policy": policy, **deployment}
    return parse_scenario(document)


@pytest.mark.parametrize("policy", DEPLOYMENT_POLICIES)
@pytest.mark.parametrize("routing", ["nearest-edge", "utility-aware"])
def test_memory_limits_are_never_exceeded(policy, routing):
    run = simulate(tight_scenario(policy, sample_s=0.05), routing)
    deployment = run.summary["deployment"]
    for node, share in deployment["peak_memory_share"].items():
        assert share <= 1.0 + 1e-12, node
    assert run.summary["tasks"]["in_flight"] == 0
    assert run.columns["cold_start_s"].shape == run.columns["status"].shape
    if policy == "static":
        assert deployment["loads"] == deployment["evictions"] == 0
    if policy == "optimal":
        assert deployment["placements"] >= 1
        assert deployment["placement_binaries"] > 0


def test_the_state_refuses_what_does_not_fit_and_pinned_items_stay():
    state = DeployedState([1.0], [Item(item_id="a", weights_bytes=0.6), Item(item_id="b", weights_bytes=0.5)])
    state.reserve(0, 0, 0.0)
    with pytest.raises(MemoryExceededError):
        state.reserve(0, 1, 0.0)
    state.ready(0, 0)
    state.pin(0, 0)
    assert state.evictable(0) == []
    with pytest.raises(ValueError, match="in use"):
        state.evict(0, 0)
    state.unpin(0, 0)
    state.evict(0, 0)
    state.reserve(0, 1, 0.0)
    assert state.used_bytes[0] == pytest.approx(0.5)


def test_a_cold_start_costs_exactly_its_load_time():
    """One terminal, one single-stage service pinned to the edge: the first task waits for its stage's load, and its
    latency exceeds the same task's with the stage already loaded (static) by exactly the load time."""
    weights = 4e8
    document = small_scenario(duration_s=2, drain_s=2).model_dump(mode="json", exclude_none=True)
    document["terminals"]["count"] = 1
    document["compute"]["edge"]["degradation"] = 0.0  # a task that waited with it for the load does not slow it
    document["services"] = [
        {**document["services"][0], "rate_per_terminal_per_s": 0.5, "deadline_s": 2.0},
    ]
    stage = {"flops": {"conv": 4e9}, "output_bits": 8000, "memory_bytes": weights, "on": ["edge"]}
    document["services"][0]["stages"] = [stage]
    spec = {"storage_read_bps": 4e9, "load_overhead_s": 0.03}
    cold = simulate(parse_scenario({**document, "deployment": {"policy": "lru", **spec}}), "nearest-edge")
    warm = simulate(parse_scenario({**document, "deployment": {"policy": "static", **spec}}), "nearest-edge")
    expected = load_s(weights, read_bps=4e9, overhead_s=0.03)
    assert expected == pytest.approx(0.83)
    assert cold.columns["status"].size == 1
    assert cold.columns["cold_start_s"][0] == pytest.approx(expected, abs=1e-12)
    assert cold.columns["cold_starts"][0] == 1
    assert warm.columns["cold_start_s"][0] == 0.0
    gap = cold.columns["latency_s"][0] - warm.columns["latency_s"][0]
    assert gap == pytest.approx(expected, abs=1e-9)
    assert cold.columns["compute_s"][0] == pytest.approx(warm.columns["compute_s"][0])


def test_a_scenario_without_deployment_has_no_deployed_state():
    model = prepare(small_scenario(duration_s=1), "compute-aware")
    assert model.deployment is None
    assert model.router.deployment is None


def test_registry_loads_cross_the_wired_links():
    run = simulate(tight_scenario("lru", source="registry"), "nearest-edge")
    deployment = run.summary["deployment"]
    assert deployment["registry_bytes"] > 0
    assert deployment["registry_bytes"] == pytest.approx(deployment["load_bytes"])


def test_follow_me_migrates_state_with_handovers():
    run = simulate(tight_scenario("follow-me", state_bytes=2e6), "nearest-edge")
    deployment = run.summary["deployment"]
    assert run.summary["handovers"] > 0
    assert deployment["migrations"] > 0
    assert deployment["migration_bytes"] == pytest.approx(2e6 * deployment["migrations"])
    assert np.isfinite(run.summary["mean_utility"])
