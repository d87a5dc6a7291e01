"""The cache policies' victims on one history: each evicts what its rule names, and none makes room it cannot."""

from __future__ import annotations

import pytest

from mcfn.deployment import DEPLOYMENT_POLICIES, DeployedState, Item, make_deployment_policy


def history(name: str, *, cost_s: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)) -> tuple[DeployedState, object]:
    """Node 0 of 3 bytes holds items 0, 1, 2 (1 byte each); item 0 used 3 times (first), item 1 once (last), item 2
    twice; item 3 (1 byte) is missing."""
    state = DeployedState([3.0], [Item(item_id=f"i{k}", weights_bytes=1.0) for k in range(4)])
    policy = make_deployment_policy(name, cost_s=cost_s, size_bytes=[1.0] * 4, nodes=1, period_s=1.0)
    for item in range(3):
        state.reserve(0, item, 0.0)
        state.ready(0, item)
    for now_s, item in enumerate((0, 0, 0, 2, 2, 1)):
        policy.used(0, item, float(now_s))
    return state, policy


@pytest.mark.parametrize(
    ("name", "victim"), [("lru", 0), ("lfu", 1), ("greedy-dual", 1), ("follow-me", 0), ("optimal", 0)]
)
def test_each_cache_policy_evicts_what_its_rule_names(name, victim):
    state, policy = history(name)
    assert policy.victims(state, 0, 3, 10.0) == [victim]


def test_greedy_dual_keeps_what_is_costly_to_load():
    state, policy = history("greedy-dual", cost_s=(1.0, 10.0, 1.0, 1.0))  # item 1: once used, but 10x the load
    assert policy.victims(state, 0, 3, 10.0) == [2]


@pytest.mark.parametrize("name", DEPLOYMENT_POLICIES)
def test_no_policy_evicts_a_pinned_item_or_makes_room_that_cannot_be_made(name):
    state, policy = history(name)
    for item in range(3):
        state.pin(0, item)
    assert policy.victims(state, 0, 3, 10.0) is None
