"""Deployment in the runtime, with real agent processes: a cold start is a real load on the controller's command,
evictions keep each node within its memory, and only the controller may load or unload."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from mcfn.routing.scenario import ScenarioError
from mcfn.runtime.auth import AuthError
from mcfn.runtime.channel import connect
from mcfn.runtime.client import Client
from mcfn.runtime.cluster import LocalCluster, parse_runtime_scenario
from mcfn.runtime.models import TINY, input_shape
from mcfn.runtime.wire import Message
from tests.runtime.conftest import CLIENT, CLIENT_TOKEN, KEYS, SECRET, run

SMALL = "mobilenet_v3_small"
#: mobilenet_v3_small's one stage holds 10.2 MB of weights and 1.8 MB of activations, tiny-resnet's 0.2 MB: this
#: fits either, not both.
ONE_VARIANT_BYTES = 12.1e6


def _document(policy: str, *, edge_bytes: float = ONE_VARIANT_BYTES, cloud: bool = False) -> dict:
    """bs0 - edge0 (and bs0 - cloud if ``cloud``); each agent hosts both models, one stage each."""
    cpu = {"tier": "edge", "kind": "cpu", "peak_flops_per_s": 2e10, "vm_slots": 2}
    nodes = [{"id": "bs0", "role": "base_station"}, {"id": "edge0", "role": "edge_server"}]
    links = [{"a": "bs0", "b": "edge0", "bandwidth_bps": 1e9, "delay_s": 1e-4}]
    compute = [{"id": "edge0", **cpu, "memory_bytes": edge_bytes}]
    agents = [{"node": "edge0", "models": [TINY, SMALL]}]
    if cloud:
        nodes.append({"id": "cloud", "role": "cloud"})
        links.append({"a": "bs0", "b": "cloud", "bandwidth_bps": 1e9, "delay_s": 2e-3})
        compute.append({"id": "cloud", **cpu, "tier": "cloud", "memory_bytes": 1e9})
        agents.append({"node": "cloud", "models": [TINY, SMALL]})
    return {
        "topology": {"nodes": nodes, "links": links},
        "compute": compute,
        "runtime": {
            "ingress": "bs0",
            "advert_period_s": 0.05,
            "measure_stages": False,
            "models": {TINY: {"stages": 1, "deadline_s": 30.0}, SMALL: {"stages": 1, "deadline_s": 30.0}},
            "agents": agents,
            "deployment": {"policy": policy},
        },
    }


def _input(model: str) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(input_shape(model)).astype(np.float32)


def test_a_cold_start_is_a_real_load_lru_evicts_within_memory_and_only_the_controller_may_load():
    runtime = parse_runtime_scenario(_document("lru"))

    async def scenario():
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready()
            controller = cluster.controller
            deployment = controller.deployment
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            started = (await client.status())["agents"][0]
            replies, used = [], []
            for model in (SMALL, SMALL, TINY, SMALL):
                replies.append((await client.infer(model, _input(model))).fields)
                used.append(float(deployment.state.used_bytes[runtime.scenario.fleet.index["edge0"]]))
            await controller.wait_until(lambda c: c.status()["agents"][0]["loaded"] == [f"{SMALL}/0"], timeout_s=10)
            status = await client.status()
            await client.close()
            # another agent may run stages on edge0, not load or unload them; a client cannot even connect
            host, port = status["agents"][0]["address"].rsplit(":", 1)
            peer = await connect(host, int(port), credential=KEYS.agents.node("edge1"), timeout_s=5)
            refused = []
            for kind in ("load", "unload"):
                await peer.send(Message(kind=kind, fields={"stage": f"{TINY}/0"}), timeout_s=5)
                refused.append((await peer.receive(timeout_s=5)).fields["reason"])
                await peer.close()
                peer = await connect(host, int(port), credential=KEYS.agents.node("edge1"), timeout_s=5)
            await peer.close()
            with pytest.raises(AuthError):
                await connect(host, int(port), credential=CLIENT, timeout_s=5)
            after = controller.status()["agents"][0]
        return started, replies, used, status, refused, after

    started, replies, used, status, refused, after = run(scenario(), timeout_s=120)
    assert started["loaded"] == []
    assert started["memory_bytes"] == 0
    cold, warm, other, again = replies
    # the first request waits for the real load: its agent's measured seconds are within its latency
    assert cold["cold_starts"] == 1
    load_s = cold["stages"][0]["load_s"]
    assert 0 < load_s <= cold["cold_start_s"] <= cold["latency_s"] - cold["stages"][0]["compute_s"]
    assert warm["cold_starts"] == 0
    assert warm["cold_start_s"] == 0
    assert warm["stages"][0]["load_s"] == 0
    # one variant fits: tiny-resnet evicts mobilenet (least recently used), which then pays its cold start again
    assert other["cold_starts"] == 1
    assert again["cold_starts"] == 1
    assert status["deployment"] | {"load_s": 0} == {
        "policy": "lru",
        "loads": 3,
        "evictions": 2,
        "load_s": 0,
        "plans": [],
    }
    assert all(u <= ONE_VARIANT_BYTES for u in used)
    agent = status["agents"][0]
    assert agent["memory_limit_bytes"] == ONE_VARIANT_BYTES
    assert agent["memory_bytes"] == runtime.plans[SMALL].stages[0].weights_bytes  # measured from its tensors
    assert refused == [f"only the controller may {kind} stages; agent 'edge1' may not" for kind in ("load", "unload")]
    assert after["loaded"] == agent["loaded"]


def test_a_static_node_without_room_sends_the_request_elsewhere():
    """static preloads what fits (tiny-resnet, first in catalogue order) and never evicts: mobilenet goes to the
    cloud, which preloaded both, with no cold start."""
    runtime = parse_runtime_scenario(_document("static", edge_bytes=1e6, cloud=True))

    async def scenario():
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready()
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            reply = await client.infer(SMALL, _input(SMALL))
            status = await client.status()
            await client.close()
        return reply.fields, status

    reply, status = run(scenario(), timeout_s=120)
    loaded = {agent["node"]: agent["loaded"] for agent in status["agents"]}
    assert loaded == {"edge0": [f"{TINY}/0"], "cloud": [f"{SMALL}/0", f"{TINY}/0"]}
    assert [s["node"] for s in reply["stages"]] == ["cloud"]
    assert reply["cold_starts"] == 0
    assert reply["attempts"] == 1


@pytest.mark.parametrize("policy", ["follow-me", "nope"])
def test_a_deployment_policy_the_runtime_does_not_offer_is_named(policy):
    with pytest.raises(ScenarioError, match=f"runtime.deployment.policy: '{policy}' is not offered by the runtime"):
        parse_runtime_scenario(_document(policy))


def test_the_optimal_placement_keeps_what_serves_the_demand_best_within_memory():
    """optimal: the first request after a period solves the MILP over the demand counted in it (one request of each
    model; only one fits) and the controller carries out the placement: tiny-resnet, whose requests it serves
    sooner, stays on edge0 and mobilenet, loaded by the first request's cold start, is evicted."""
    document = _document("optimal")
    document["runtime"]["deployment"]["period_s"] = 0.5
    runtime = parse_runtime_scenario(document)

    async def scenario():
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready()
            controller = cluster.controller
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            first = (await client.infer(SMALL, _input(SMALL))).fields  # starts the first period
            await asyncio.sleep(0.6)
            await client.infer(TINY, _input(TINY))  # ends it: the placement is solved and carried out
            await controller.wait_until(lambda c: c.status()["agents"][0]["loaded"] == [f"{TINY}/0"], timeout_s=10)
            status = controller.status()
            await client.close()
        return first, status

    first, status = run(scenario(), timeout_s=120)
    assert first["cold_starts"] == 1
    (plan,) = status["deployment"]["plans"]
    assert plan["binaries"] == 2  # tiny-resnet's and mobilenet's stage on edge0
    assert status["deployment"]["evictions"] == 1
    assert status["agents"][0]["memory_bytes"] <= ONE_VARIANT_BYTES
