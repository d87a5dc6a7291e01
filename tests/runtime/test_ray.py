"""The same agents as Ray actors on a local Ray instance (one test: Ray takes seconds to start)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.runtime.conftest import TOKEN, run
from tests.runtime.test_cluster import local_output, scenario_document

from mcfn.runtime.client import Client
from mcfn.runtime.cluster import LocalCluster, parse_runtime_scenario
from mcfn.runtime.models import TINY

ray = pytest.importorskip("ray")
pytest.importorskip("torch")


@pytest.fixture
def local_ray(monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=8, resources={"mcfn_edge": 1}, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def test_agents_as_ray_actors_serve_split_requests_and_survive_a_kill(local_ray):
    from mcfn.runtime.ray_launcher import RayLauncher

    runtime = parse_runtime_scenario(scenario_document())
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)

    async def scenario():
        launcher = RayLauncher()
        async with LocalCluster(runtime, token=TOKEN.decode(), launcher=launcher) as cluster:
            await cluster.wait_ready(timeout_s=120)
            actors = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)}
            client = Client(*cluster.address, token=TOKEN)
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
