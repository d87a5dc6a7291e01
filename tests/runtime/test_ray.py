"""The same agents as Ray actors on a local two-node Ray cluster (few tests: Ray takes seconds to start)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mcfn.runtime.client import Client
from mcfn.runtime.cluster import LocalCluster, parse_runtime_scenario
from mcfn.runtime.models import TINY
from tests.runtime.conftest import CLIENT_TOKEN, SECRET, run
from tests.runtime.test_cluster import local_output, scenario_document

ray = pytest.importorskip("ray")
pytest.importorskip("torch")


@pytest.fixture(scope="module")
def local_ray():
    """Two Ray nodes on this machine (``ray.cluster_utils.Cluster``, Ray's own multi-node test harness), shared by
    this module's tests: the head declares ``mcfn_edge`` (where edge agents go by default) and ``cloud``, the
    other node ``edge0``; yields the id of the node that holds each of ``cloud`` and ``edge0``."""
    from ray.cluster_utils import Cluster

    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_AUTH_MODE", "disabled")
        cluster = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 4, "resources": {"mcfn_edge": 1, "cloud": 1}, "include_dashboard": False},
        )
        try:
            other = cluster.add_node(num_cpus=4, resources={"edge0": 1})
            ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
            cluster.wait_for_nodes()
            yield {"cloud": cluster.head_node.node_id, "edge0": other.node_id}
        finally:
            ray.shutdown()
            cluster.shutdown()


def test_agents_as_ray_actors_serve_split_requests_and_survive_a_kill(local_ray):
    from mcfn.runtime.ray_launcher import RayLauncher

    runtime = parse_runtime_scenario(scenario_document())
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)

    async def scenario():
        launcher = RayLauncher()
        async with LocalCluster(runtime, token=SECRET, launcher=launcher) as cluster:
            await cluster.wait_ready(timeout_s=120)
            actors = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)}
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            first = await client.infer(TINY, x, policy="nearest-edge")
            cluster.kill("edge0")
            await cluster.controller.wait_until(lambda c: "edge0" not in c.live_agents, timeout_s=30)
            without = await client.infer(TINY, x, policy="nearest-edge")
            cluster.restart("edge0")
            await cluster.wait_ready(timeout_s=120)
            again = await client.infer(TINY, x, policy="nearest-edge")
            await client.close()
        return first, without, again, actors

    first, without, again, actors = run(scenario(), timeout_s=240)
    expected = local_output(TINY, x)
    for reply in (first, without, again):
        assert np.abs(reply.output - expected).max() <= 1e-5
    assert first.fields["stages"][0]["node"] == "edge0"
    assert "edge0" not in {s["node"] for s in without.fields["stages"]}
    assert again.fields["stages"][0]["node"] == "edge0"
    assert {"mcfn-agent-edge0", "mcfn-agent-edge1", "mcfn-agent-cloud"} <= actors


def test_agents_run_on_the_ray_nodes_holding_their_resources_and_split_across_them(local_ray):
    """Each agent's ``resources`` place its actor: edge0 on the node declaring ``edge0`` (not on the head, where
    the default ``mcfn_edge`` would put it), the cloud's on the head; the two stages then run one per node."""
    from mcfn.runtime.ray_launcher import RayLauncher

    models = {TINY: {"tiers": ["edge", "cloud"], "split": "balanced", "deadline_s": 10.0}}
    agents = [
        {"node": "edge0", "models": [TINY], "resources": {"edge0": 1}},
        {"node": "cloud", "models": [TINY], "resources": {"cloud": 1}},
    ]
    runtime = parse_runtime_scenario(scenario_document(models=models, agents=agents))
    x = np.random.default_rng(5).standard_normal((1, 3, 32, 32)).astype(np.float32)

    async def scenario():
        launcher = RayLauncher()
        async with LocalCluster(runtime, token=SECRET, launcher=launcher) as cluster:
            spec = dataclasses.replace(cluster.agent_spec("edge0"), node_id="extra", resources={"no-such-machine": 1})
            with pytest.raises(ValueError, match="no-such-machine"):
                launcher.start(spec)
            with pytest.raises(ValueError, match=r"agent cloud needs CPU 64, cloud 1; no node has that free"):
                launcher.check([dataclasses.replace(cluster.agent_spec("cloud"), cpus=64)])
            await cluster.wait_ready(timeout_s=60)
            nodes = {
                node: ray.get(
                    ray.get_actor(f"mcfn-agent-{node}").__ray_call__.remote(
                        lambda _: ray.get_runtime_context().get_node_id()
                    ),
                    timeout=30,
                )
                for node in cluster.node_ids
            }
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            reply = await client.infer(TINY, x)
            await client.close()
        return nodes, reply

    nodes, reply = run(scenario(), timeout_s=120)
    assert nodes == {"edge0": local_ray["edge0"], "cloud": local_ray["cloud"]}
    assert local_ray["edge0"] != local_ray["cloud"]
    assert [stage["node"] for stage in reply.fields["stages"]] == ["edge0", "cloud"]
    assert np.abs(reply.output - local_output(TINY, x)).max() <= 1e-5


def test_placement_is_first_fit_and_names_what_each_unplaced_agent_lacks():
    from mcfn.runtime.ray_launcher import unplaced

    nodes = [{"CPU": 2.0, "gpu-box": 1.0}, {"CPU": 4.0}]
    assert unplaced({"a": {"CPU": 4.0}, "b": {"CPU": 2.0}, "c": {"CPU": 1.0, "gpu-box": 1.0}}, nodes) == {
        "c": ("needs CPU 1, gpu-box 1; no node has that free (the most any has left: CPU 0)")
    }
    assert unplaced({"a": {"CPU": 2.0}, "b": {"CPU": 4.0}}, nodes) == {}
    assert "CPU 4" in unplaced({"big": {"CPU": 8.0}}, nodes)["big"]


def test_a_crashed_agent_actor_is_restarted_by_ray_and_its_request_in_flight_fails_over(local_ray):
    """SIGKILL the process of edge0's actor while it computes a request (it emulates a slow processor): the
    request is served on the cloud at the second attempt, and Ray restarts the actor, which registers again from
    a new process and serves the next request."""
    import asyncio
    import os
    import signal

    from mcfn.runtime.ray_launcher import RayLauncher

    agents = [
        {"node": "edge0", "models": [TINY], "slowdown": 400, "resources": {"edge0": 1}},
        {"node": "cloud", "models": [TINY], "resources": {"cloud": 1}},
    ]
    runtime = parse_runtime_scenario(scenario_document(agents=agents))
    x = np.random.default_rng(7).standard_normal((1, 3, 32, 32)).astype(np.float32)

    def pid_of(node: str) -> int:
        actor = ray.get_actor(f"mcfn-agent-{node}")
        return ray.get(actor.__ray_call__.remote(lambda _: os.getpid()), timeout=30)

    async def scenario():
        async with LocalCluster(runtime, token=SECRET, launcher=RayLauncher()) as cluster:
            await cluster.wait_ready(timeout_s=60)
            crashed = pid_of("edge0")
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            in_flight = asyncio.create_task(client.infer(TINY, x, policy="nearest-edge"))
            await asyncio.sleep(0.2)  # edge0 computes its first stage (~0.4 s at this slowdown)
            os.kill(crashed, signal.SIGKILL)
            failed_over = await in_flight
            await cluster.controller.wait_until(lambda c: "edge0" in c.live_agents, timeout_s=90)
            restarted = pid_of("edge0")
            again = await client.infer(TINY, x, policy="nearest-edge")
            await client.close()
        return crashed, restarted, failed_over, again

    crashed, restarted, failed_over, again = run(scenario(), timeout_s=180)
    assert restarted != crashed
    assert failed_over.fields["attempts"] == 2
    assert {s["node"] for s in failed_over.fields["stages"]} == {"cloud"}
    assert again.fields["stages"][0]["node"] == "edge0"
    expected = local_output(TINY, x)
    assert np.abs(failed_over.output - expected).max() <= 1e-5
    assert np.abs(again.output - expected).max() <= 1e-5
