"""End to end on loopback: agents in separate processes, a controller placing split requests, faults."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mcfn.cli.agent import parse_address
from mcfn.cli.errors import UserInputError
from mcfn.routing.scenario import ScenarioError
from mcfn.runtime.access import TOKEN_ENV
from mcfn.runtime.auth import AuthError
from mcfn.runtime.channel import connect
from mcfn.runtime.client import Client
from mcfn.runtime.cluster import LocalCluster, agent_spec, parse_runtime_scenario
from mcfn.runtime.controller import InferError
from mcfn.runtime.load import open_loop
from mcfn.runtime.loop import LOOP_ENV, LOOPS, uvloop_available
from mcfn.runtime.models import TINY, build
from mcfn.runtime.wire import Message
from tests.runtime.conftest import CLIENT_TOKEN, KEYS, SECRET, run

torch = pytest.importorskip("torch")


def scenario_document(**runtime: object) -> dict:
    """bs0 - edge0 (near), bs0 - agg - edge1, agg - cloud, and a phone ue0 on a 20 Mbit/s radio link to bs0;
    agents on each (the phone's emulates a CPU four times slower) hosting every stage of tiny-resnet."""
    cpu = {"tier": "edge", "kind": "cpu", "peak_flops_per_s": 2e10, "memory_bytes": 8e9, "vm_slots": 2}
    return {
        "topology": {
            "nodes": [
                {"id": "bs0", "role": "base_station"},
                {"id": "edge0", "role": "edge_server"},
                {"id": "edge1", "role": "edge_server"},
                {"id": "agg", "role": "aggregation"},
                {"id": "cloud", "role": "cloud"},
                {"id": "ue0", "role": "terminal"},
            ],
            "links": [
                {"a": "bs0", "b": "edge0", "bandwidth_bps": 1e9, "delay_s": 1e-4},
                {"a": "bs0", "b": "agg", "bandwidth_bps": 1e9, "delay_s": 1e-3},
                {"a": "agg", "b": "edge1", "bandwidth_bps": 1e9, "delay_s": 1e-4},
                {"a": "agg", "b": "cloud", "bandwidth_bps": 1e9, "delay_s": 2e-3},
                {"a": "bs0", "b": "ue0", "bandwidth_bps": 20e6, "delay_s": 5e-3},
            ],
        },
        "compute": [
            {"id": "edge0", **cpu},
            {"id": "edge1", **cpu},
            {**cpu, "id": "cloud", "tier": "cloud", "vm_slots": 8},
            {**cpu, "id": "ue0", "tier": "terminal", "peak_flops_per_s": 5e9, "vm_slots": 1},
        ],
        "runtime": {
            "ingress": "bs0",
            "advert_period_s": 0.05,
            "models": {TINY: {"stages": 3, "deadline_s": 10.0}},
            "agents": [
                {"node": "edge0", "models": [TINY], "workers": 1},
                {"node": "edge1", "models": [TINY], "workers": 1},
                {"node": "cloud", "models": [TINY], "workers": 2},
                {"node": "ue0", "models": [TINY], "slowdown": 4},
            ],
        }
        | runtime,
    }


def local_output(model: str, x: np.ndarray) -> np.ndarray:
    """The unsplit model's output (weights from seed 0, as the cluster's)."""
    with torch.no_grad():
        return build(model, seed=0)[0](torch.from_numpy(x)).numpy()


def test_resnet18_split_across_terminal_edge_and_cloud_equals_local_inference():
    """Three stages pinned to the phone, an edge server and the cloud; cuts inside residual blocks send the skip
    tensor beside the main one, and a tensor of stage 0 read by stage 2 travels on through stage 1."""
    models = {"resnet18": {"tiers": ["terminal", "edge", "cloud"], "split": "balanced", "deadline_s": 30.0}}
    agents = [{"node": n, "models": ["resnet18"]} for n in ("ue0", "edge0", "cloud")]
    runtime = parse_runtime_scenario(scenario_document(models=models, agents=agents))
    plan = runtime.plans["resnet18"]
    x = np.random.default_rng(4).standard_normal((1, 3, 224, 224)).astype(np.float32)

    async def scenario():
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready(timeout_s=120)
            client = Client(*cluster.address, token=CLIENT_TOKEN, timeout_s=60)
            replies = [await client.infer("resnet18", x, policy=p) for p in ("compute-aware", "optimal")]
            await client.close()
        return replies

    replies = run(scenario(), timeout_s=180)
    assert [stage.tier for stage in plan.stages] == ["terminal", "edge", "cloud"]
    assert any(len(stage.sends) > 1 for stage in plan.stages)  # several tensors cross a cut
    expected = local_output("resnet18", x)
    # the phone's agent sends its output straight to edge0's, paced as ue0 → bs0 → edge0 (20 Mbit/s, 5.1 ms)
    phone_to_edge_s = plan.stages[0].output_bits / 20e6 + 5.1e-3
    for reply in replies:
        assert np.abs(reply.output - expected).max() <= 1e-5
        assert [s["node"] for s in reply.fields["stages"]] == ["ue0", "edge0", "cloud"]
        assert reply.fields["stages"][1]["network_s"] >= phone_to_edge_s


@pytest.mark.parametrize("loop", LOOPS)
def test_split_inference_equals_local_inference_and_adverts_reach_the_view(loop, monkeypatch):
    """On each event loop (the agents' processes inherit the choice)."""
    if loop == "uvloop" and not uvloop_available():
        pytest.skip("uvloop is not installed")
    monkeypatch.setenv(LOOP_ENV, loop)
    runtime = parse_runtime_scenario(scenario_document())
    x = np.random.default_rng(1).standard_normal((1, 3, 32, 32)).astype(np.float32)

    async def scenario():
        assert type(asyncio.get_running_loop()).__module__.startswith(loop)
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready()
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            policies = ("compute-aware", "round-robin", "round-robin", "optimal")
            replies = [await client.infer(TINY, x, policy=p) for p in policies]
            relayed = await cluster.controller.infer(TINY, x, policy="round-robin", relay=True)
            used = runtime.scenario.fleet.indices({s["node"] for r in replies for s in r.fields["stages"]})
            measured = lambda c: (c.view.speed_flops_per_s[used] != c.view.nominal_flops_per_s[used]).all()  # noqa: E731
            await cluster.controller.wait_until(measured, timeout_s=10)
            status = await client.status()
            with pytest.raises(InferError, match="not deployed"):
                await client.infer("resnet18", x)
            await client.close()
            with pytest.raises(AuthError):
                await Client(*cluster.address, token="not-the-cluster-token").infer(TINY, x)
        return replies, status, relayed

    replies, status, relayed = run(scenario())
    expected = local_output(TINY, x)
    assert np.abs(relayed.output - expected).max() <= 1e-5
    assert [s.stage for s in relayed.stages] == ["tiny-resnet/0", "tiny-resnet/1", "tiny-resnet/2"]
    for reply in replies:
        assert np.abs(reply.output - expected).max() <= 1e-5
        assert [s["stage"] for s in reply.fields["stages"]] == ["tiny-resnet/0", "tiny-resnet/1", "tiny-resnet/2"]
        assert reply.fields["attempts"] == 1
        assert reply.fields["latency_s"] > 0
    spread = {s["node"] for r in replies[1:3] for s in r.fields["stages"]}
    assert spread == {"edge0", "edge1", "cloud", "ue0"}  # round robin goes round every agent, the phone's too
    assert {a["node"]: a["tier"] for a in status["agents"]} == {
        "edge0": "edge",
        "edge1": "edge",
        "cloud": "cloud",
        "ue0": "terminal",
    }
    assert all(a["advert_age_s"] < 5 for a in status["agents"])
    assert all(a["speed_flops_per_s"] > 0 for a in status["agents"] if a["node"] in spread)


def test_busy_killed_or_hung_agents_are_avoided_and_a_crashed_one_is_restarted():
    runtime = parse_runtime_scenario(
        scenario_document(
            agents=[
                # holds a stage for most of a second, and refuses work while it does
                {"node": "edge0", "models": [TINY], "slowdown": 1000, "max_queue": 0},
                {"node": "edge1", "models": [TINY]},
                {"node": "cloud", "models": [TINY]},
            ],
            measure_stages=False,  # else edge0's measured second would shed the requests placed on it at once
        )
    )
    x = np.random.default_rng(2).standard_normal((1, 3, 32, 32)).astype(np.float32)
    j = runtime.scenario.fleet.index["edge0"]

    async def scenario():
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready()
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            pending = asyncio.create_task(client.infer(TINY, x, policy="nearest-edge"))
            await cluster.controller.wait_until(lambda c: c.view.busy_vms[j] > 0, timeout_s=20)  # edge0 is computing
            refused = await client.infer(TINY, x, policy="nearest-edge")  # edge0 says busy: placed again
            cluster.kill("edge0")
            retried = await pending
            cluster.restart("edge0")
            await cluster.wait_ready()
            rejoined = await client.infer(TINY, x, policy="nearest-edge")
            pid = cluster.launcher.pid("edge0")
            os.kill(pid, signal.SIGSTOP)  # a hung agent: its connections stay open, nothing answers
            try:
                started = time.perf_counter()
                hung = await client.infer(TINY, x, policy="nearest-edge", deadline_s=2.0)
                waited = time.perf_counter() - started
                passed_over = await client.infer(TINY, x, policy="nearest-edge", deadline_s=2.0)
            finally:
                os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGKILL)  # a crash: the cluster restarts the agent, which registers again
            await cluster.controller.wait_until(lambda c: "edge0" not in c.live_agents, timeout_s=10)
            await cluster.wait_ready(timeout_s=60)
            restarted = (cluster.restarts["edge0"], cluster.launcher.pid("edge0") != pid)
            await client.close()
        return refused, retried, rejoined, hung, waited, passed_over, restarted

    refused, retried, rejoined, hung, waited, passed_over, restarted = run(scenario(), timeout_s=120)
    expected = local_output(TINY, x)
    assert refused.fields["attempts"] == 2
    assert "edge0" not in {s["node"] for s in refused.fields["stages"]}
    assert retried.fields["attempts"] == 2
    assert "edge0" not in {s["node"] for s in retried.fields["stages"]}
    assert np.abs(retried.output - expected).max() <= 1e-5
    assert rejoined.fields["stages"][0]["node"] == "edge0"
    # the hung agent does not accept its stage within the start bound: the request fails over, long before its
    # deadline, and the agent is passed over until it advertises again
    assert hung.fields["attempts"] == 2
    assert "edge0" not in {s["node"] for s in hung.fields["stages"]}
    assert waited < 1.5
    assert passed_over.fields["attempts"] == 1
    assert "edge0" not in {s["node"] for s in passed_over.fields["stages"]}
    assert restarted == (1, True)


def test_a_refusal_or_a_kill_in_the_middle_of_a_forwarded_route_is_reported_and_retried():
    """Stages pinned to ue0, an edge server and the cloud; edge0 holds its stage for seconds and refuses more.
    A second request is refused by edge0 when ue0's agent forwards to it: ue0's agent reports edge0, and the
    controller places it again through edge1. Then edge0 is killed while computing the first request's middle
    stage: the controller sees it leave and places that request again too."""
    models = {TINY: {"tiers": ["terminal", "edge", "cloud"], "split": "balanced", "deadline_s": 20.0}}
    agents = [
        {"node": "ue0", "models": [TINY], "workers": 2},
        {"node": "edge0", "models": [TINY], "slowdown": 5000, "max_queue": 0},
        {"node": "edge1", "models": [TINY]},
        {"node": "cloud", "models": [TINY]},
    ]
    runtime = parse_runtime_scenario(scenario_document(models=models, agents=agents))
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)
    j = runtime.scenario.fleet.index["edge0"]

    async def scenario():
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready()
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            pending = asyncio.create_task(client.infer(TINY, x, policy="nearest-edge"))
            await cluster.controller.wait_until(lambda c: c.view.busy_vms[j] > 0, timeout_s=20)  # edge0 computes
            refused = await client.infer(TINY, x, policy="nearest-edge")
            cluster.kill("edge0")
            killed = await pending
            await client.close()
        return refused, killed

    refused, killed = run(scenario(), timeout_s=120)
    expected = local_output(TINY, x)
    for reply in (refused, killed):
        assert reply.fields["attempts"] == 2
        assert [s["node"] for s in reply.fields["stages"]] == ["ue0", "edge1", "cloud"]
        assert np.abs(reply.output - expected).max() <= 1e-5


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            {"models": {"nope": {"stages": 2}}, "agents": [{"node": "edge0", "models": ["nope"]}]},
            "unknown model 'nope'",
        ),
        ({"models": {TINY: {"stages": 99}}}, r"stages must be 1\.\.\d+"),
        ({"models": {TINY: {"stages": 2, "tiers": ["edge"]}}}, "stages or tiers"),
        ({"models": {TINY: {"tiers": ["terminal", "edge"]}}, "agents": [{"node": "edge0", "models": [TINY]}]}, "lack"),
        ({"ingress": "edge0"}, "not a base station"),
        ({"agents": [{"node": "edge9", "models": [TINY]}]}, "edge9"),
        ({"agents": [{"node": "edge0", "models": ["other"]}]}, "unknown models"),
        ({"agents": [{"node": "edge0", "models": [TINY], "workers": 0}]}, "workers"),
        ({"agents": [{"node": "edge0", "models": [TINY], "device": "tpu"}]}, "device"),
        ({"models": {TINY: {"stages": 2, "latency": {"edge": "t.json"}}}}, "stages or tiers"),
        ({"models": {TINY: {"tiers": ["edge"], "latency": {"cloud": "t.json"}}}}, "tiers .'cloud'., which the plan"),
        ({"models": {TINY: {"tiers": ["edge"], "latency": {"edge": "missing.json"}}}}, "missing.json"),
    ],
)
def test_bad_runtime_scenarios_are_named(change, complaint):
    with pytest.raises(ScenarioError, match=complaint):
        parse_runtime_scenario(scenario_document(**change))


def test_a_restarted_controller_gets_its_agents_back_and_a_restarted_agent_gets_traffic_again():
    """The controller is replaced by a fresh one at the same address (as a supervisor restarts a crashed process):
    the agents, still running, register again and service resumes; then an agent killed and started anew rejoins
    the new controller and serves the requests it is nearest to."""
    runtime = parse_runtime_scenario(scenario_document())
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)

    async def scenario():
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready()
            address = cluster.address
            client = Client(*address, token=CLIENT_TOKEN)
            before = await client.infer(TINY, x, policy="nearest-edge")
            await client.close()
            await cluster.restart_controller()
            forgotten = cluster.controller.live_agents
            await cluster.wait_ready(timeout_s=30)
            restarted_at = cluster.address
            client = Client(*restarted_at, token=CLIENT_TOKEN)
            resumed = await client.infer(TINY, x, policy="round-robin")
            cluster.kill("edge0")
            await cluster.controller.wait_until(lambda c: "edge0" not in c.live_agents, timeout_s=30)
            away = await client.infer(TINY, x, policy="nearest-edge")
            cluster.restart("edge0")
            await cluster.wait_ready(timeout_s=60)
            back = await client.infer(TINY, x, policy="nearest-edge")
            await client.close()
        return address, restarted_at, forgotten, before, resumed, away, back

    address, restarted_at, forgotten, before, resumed, away, back = run(scenario(), timeout_s=150)
    assert restarted_at == address
    assert forgotten == ()  # a fresh controller knows no agent until they say hello again
    expected = local_output(TINY, x)
    for reply in (before, resumed, away, back):
        assert np.abs(reply.output - expected).max() <= 1e-5
    assert before.fields["stages"][0]["node"] == "edge0"
    assert resumed.fields["attempts"] == 1
    assert "edge0" not in {s["node"] for s in away.fields["stages"]}
    assert back.fields["stages"][0]["node"] == "edge0"


def test_latency_tables_are_read_from_the_scenario_folder_and_must_be_of_the_model(tmp_path):
    """A table given for a tier times the layers of the stage its agent plays (times the agent's slowdown: the
    phone emulates a CPU four times slower); a table of another model is refused, naming it."""
    from mcfn.models.profile import profile_model

    model, x = build(TINY, seed=0)
    layers = profile_model(model, x, name=TINY).graph.nodes
    (tmp_path / "tables").mkdir()
    for name in (TINY, "resnet18"):
        table = {"model": name, "node_latency_s": {layer.id: 1e-3 for layer in layers}}
        (tmp_path / "tables" / f"{name}.json").write_text(json.dumps(table), encoding="utf-8")
    models = {
        TINY: {"tiers": ["terminal", "edge"], "split": "balanced", "latency": {"terminal": f"tables/{TINY}.json"}}
    }
    agents = [{"node": "ue0", "models": [TINY], "slowdown": 4}, {"node": "edge0", "models": [TINY]}]
    runtime = parse_runtime_scenario(scenario_document(models=models, agents=agents), folder=tmp_path)
    first = runtime.plans[TINY].stages[0]
    phone = runtime.scenario.fleet.nodes[runtime.scenario.fleet.index["ue0"]]
    on_phone = sum(tier == "terminal" for _, tier in runtime.plans[TINY].assignment)
    assert phone.compute_time_s(first.work) == pytest.approx(4 * 1e-3 * on_phone)
    models[TINY]["latency"] = {"terminal": "tables/resnet18.json"}
    with pytest.raises(ScenarioError, match="ue0 is of model 'resnet18'"):
        parse_runtime_scenario(scenario_document(models=models, agents=agents), folder=tmp_path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_an_agent_on_cuda_without_a_gpu_is_refused_with_the_reason():
    agents = [{"node": n, "models": [TINY], "device": "cuda"} for n in ("edge0", "cloud")]
    runtime = parse_runtime_scenario(scenario_document(agents=agents))

    async def scenario():
        async with LocalCluster(runtime, token=SECRET):
            pass

    with pytest.raises(ValueError, match="torch sees no CUDA device"):
        run(scenario())


def test_an_external_agent_started_by_mcfn_agent_joins_and_one_from_another_scenario_is_refused(tmp_path):
    """``mcfn agent`` as a user runs it on another machine: it reads its own copy of the scenario, registers with
    the controller and serves; the controller refuses one whose plans differ (here: the model cut in two stages)."""
    document = scenario_document(agents=[{"node": "edge0", "models": [TINY]}, {"node": "edge1", "models": [TINY]}])
    runtime = parse_runtime_scenario(document)
    same, other = tmp_path / "same.yaml", tmp_path / "other.yaml"
    same.write_text(json.dumps(document))  # JSON is YAML
    document["runtime"]["models"][TINY]["stages"] = 2
    other.write_text(json.dumps(document))
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)
    env = os.environ | {TOKEN_ENV: SECRET}

    def mcfn_agent(scenario, controller, *options):
        command = ["agent", str(scenario), "--node", "edge1", "--controller", controller, *options]
        return subprocess.Popen(
            [sys.executable, "-m", "mcfn", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )

    async def scenario():
        async with LocalCluster(runtime, token=SECRET, external={"edge1"}) as cluster:
            with pytest.raises(ValueError, match="external"):
                cluster.restart("edge1")
            controller = "{}:{}".format(*cluster.address)
            refused = mcfn_agent(other, controller, "--register-timeout-s", "5")
            joined = mcfn_agent(same, controller, "--json")
            try:
                await cluster.wait_ready()
                cluster.kill("edge0")  # every stage on the external agent now
                client = Client(*cluster.address, token=CLIENT_TOKEN)
                reply = await client.infer(TINY, x)
                await client.close()
                joined.terminate()  # SIGTERM: it stops and leaves the cluster
                await cluster.controller.wait_until(lambda c: "edge1" not in c.live_agents, timeout_s=10)
                refusal = await asyncio.to_thread(refused.communicate, timeout=60)
                return reply, refusal, refused.returncode, await asyncio.to_thread(joined.communicate, timeout=30)
            finally:
                for process in (refused, joined):
                    process.kill()

    reply, (_, refusal), refused_code, (joined_out, joined_err) = run(scenario(), timeout_s=120)
    assert {s["node"] for s in reply.fields["stages"]} == {"edge1"}
    assert np.abs(reply.output - local_output(TINY, x)).max() <= 1e-5
    assert json.loads(joined_out)["stages"] == ["tiny-resnet/0", "tiny-resnet/1", "tiny-resnet/2"]
    assert "stopped" in joined_err
    assert refused_code == 2
    last_line = refusal.strip().splitlines()[-1]
    assert last_line.startswith("error: the controller at 127.0.0.1:")
    assert last_line.endswith(
        "did not register edge1 within 5 s: agent edge1: its plans of ['tiny-resnet'] differ "
        "from the controller's; start it from the same scenario file and latency tables"
    )


@pytest.mark.parametrize(
    ("text", "address"), [("edge.example:7000", ("edge.example", 7000)), ("[::1]:80", ("::1", 80))]
)
def test_controller_addresses_are_host_and_port(text, address):
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["7000", "host:", ":80", "host:0", "host:65536", "host:http"])
def test_a_bad_controller_address_is_named(text):
    with pytest.raises(UserInputError, match="expected HOST:PORT"):
        parse_address(text)


def test_an_agent_spec_names_the_scenarios_agents_for_an_unknown_node():
    runtime = parse_runtime_scenario(scenario_document())
    spec = agent_spec(
        runtime, "cloud", controller=("controller.example", 7000), agent_secret=KEYS.agent_secret, supervised=False
    )
    assert (spec.controller_host, spec.controller_port, spec.supervised, spec.workers) == (
        "controller.example",
        7000,
        False,
        2,
    )
    with pytest.raises(ValueError, match=r"no agent for node 'bs0' in the scenario; its agents: \['edge0'"):
        agent_spec(runtime, "bs0", controller=("controller.example", 7000), agent_secret=KEYS.agent_secret)


@pytest.mark.parametrize(
    ("change", "answer"),
    [
        ({}, "registered"),
        ({"node": "edge1"}, "agent edge0 may not register as 'edge1'"),
        ({"tier": "cloud"}, "agent edge0 says it is of tier 'cloud'; the scenario says 'edge'"),
        ({"plans": {TINY: "0123456789abcdef"}}, "agent edge0: its plans of ['tiny-resnet'] differ from the"),
        ({"plans": {}}, "agent edge0: its plans of ['tiny-resnet'] differ from the"),
        ({"stages": [f"{TINY}/0"]}, "agent edge0 hosts stages ['tiny-resnet/0']; the scenario gives it"),
    ],
)
def test_the_controller_registers_only_agents_of_its_scenario_and_plans(change, answer):
    """An agent proves every plan the scenario gives its node, hosts exactly its stages, and registers as its own
    node only."""
    runtime = parse_runtime_scenario(scenario_document())
    controller = LocalCluster(runtime, token=SECRET).controller
    hello = {
        "node": "edge0",
        "tier": "edge",
        "host": "127.0.0.1",
        "port": 9,
        "stages": [f"{TINY}/{k}" for k in range(3)],
        "workers": 1,
        "advert_period_s": 1.0,
        "plans": {TINY: runtime.plans[TINY].fingerprint()},
    }

    async def scenario():
        server = await controller.start()
        address = server.sockets[0].getsockname()[:2]
        channel = await connect(*address, credential=KEYS.agents.node("edge0"), timeout_s=5)
        await channel.send(Message(kind="hello", fields=hello | change), timeout_s=5)
        reply = await channel.receive(timeout_s=5)
        await channel.close()
        server.close()
        await controller.stop()
        return reply

    reply = run(scenario())
    assert (reply.kind, reply.fields.get("reason", "")[: len(answer)]) == (
        ("registered", "") if answer == "registered" else ("error", answer)
    )


def test_at_twice_its_capacity_the_cluster_answers_every_request_in_time_and_sheds_what_it_cannot_serve():
    """The agents emulate slow processors (they hold each stage about 30 times its compute, asleep), so a request
    takes about its compute alone, and the cluster's capacity is its two workers over that: no more than two
    requests per unloaded request time (measured here, one request after another)."""
    models = {TINY: {"stages": 3, "deadline_s": 0.5}}
    agents = [{"node": "edge0", "models": [TINY], "slowdown": 30}, {"node": "cloud", "models": [TINY], "slowdown": 30}]
    runtime = parse_runtime_scenario(scenario_document(models=models, agents=agents))
    x = np.random.default_rng(6).standard_normal((1, 3, 32, 32)).astype(np.float32)

    async def scenario():
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready()
            client = Client(*cluster.address, token=CLIENT_TOKEN)
            alone = [(await client.infer(TINY, x, deadline_s=0.5)).fields["latency_s"] for _ in range(6)]
            rate = 2 / float(np.median(alone[1:]))
            args = {"model": TINY, "inputs": x, "deadline_s": 0.5, "rng": np.random.default_rng(0)}
            report = await open_loop(client, **args, rate_per_s=2 * rate, duration_s=2.0)
            await client.close()
        return rate, report

    rate, report = run(scenario(), timeout_s=120)
    assert report.late == 0  # every request answered, served or refused, within its deadline and 100 ms
    assert report.refused > 0  # shed at once, saying so
    assert report.on_time >= 0.5 * rate * 2.0  # at least half the capacity still served in time
