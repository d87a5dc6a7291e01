"""Vertical splits in the simulator: a tiled stage forks into tiles on distinct nodes and joins at the next node."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pytest
import yaml

from mcfn.cli.app import main
from mcfn.compute import Work
from mcfn.routing import POLICIES, make_policy
from mcfn.scenario import ScenarioError, parse_scenario
from mcfn.sim.records import COMPLETED
from mcfn.sim.run import simulate
from mcfn.sim.world import build_world
from tests.sim.conftest import small_scenario, tiled_scenario
from tests.sim.test_network_sim import FAILURES

EDGE = {"kind": "cpu", "peak_flops_per_s": 2.0e11, "memory_bytes": 3.2e10, "vm_slots": 1}
FLOPS = {"conv": 4.0e9}


def lone_task(tmp_path, stage: dict[str, Any], **overrides: Any):
    """The columns of a run in which one task arrives (at 0.5 s, terminal 0) on an idle network whose links and
    downlink are fast (10 Tbit/s, no propagation delay): its latency is its upload and its compute."""
    (tmp_path / "one.csv").write_text("t,terminal\n0.5,0\n", encoding="utf-8")
    fast = 1e13
    document = {
        "duration_s": 2,
        "drain_s": 5,
        "terminals": {"count": 1},
        "radio": {"radio_delay_s": 0, "downlink_bps": fast},
        "network": {
            **{f"{k}_bps": fast for k in ("lan", "backhaul", "core", "wan")},
            **{f"{k}_delay_s": 0 for k in ("lan", "backhaul", "core", "wan")},
        },
        "compute": {"edge": EDGE, "cloud": None},
        "services": [
            {
                "name": "s",
                "arrivals_path": str(tmp_path / "one.csv"),
                "data_bits": 1e3,
                "deadline_s": 1.0,
                "stages": [{"flops": FLOPS, "output_bits": 8000, "on": ["edge"], **stage}],
            }
        ],
        **overrides,
    }
    scenario = parse_scenario(document)
    columns = simulate(scenario, "compute-aware").columns
    assert columns["status"].tolist() == [COMPLETED]
    return scenario, columns


def test_two_tiles_halve_a_lone_tasks_compute_time(tmp_path):
    scenario, whole = lone_task(tmp_path, {})
    node = build_world(scenario).fleet.nodes[0]
    by_hand_s = node.compute_time_s(Work(FLOPS))  # 4e9 conv FLOPs on the edge CPU's conv share
    assert whole["compute_s"][0] == pytest.approx(by_hand_s, rel=1e-12)
    _, halved = lone_task(tmp_path, {"tiles": 2})
    assert halved["compute_s"][0] == pytest.approx(by_hand_s / 2, rel=1e-12)
    assert len(set(halved["stage_node"][0].tolist()) - {-1}) == 1  # the table records the first tile's node
    saved_s = whole["latency_s"][0] - halved["latency_s"][0]
    assert saved_s == pytest.approx(by_hand_s / 2, rel=1e-6)  # the network is fast: the compute is the saving


def test_a_halo_adds_work_and_bits(tmp_path):
    _, plain = lone_task(tmp_path, {"tiles": 2})
    _, halo = lone_task(tmp_path, {"tiles": 2, "halo": 0.5})
    assert halo["compute_s"][0] == pytest.approx(1.5 * plain["compute_s"][0], rel=1e-12)
    world = build_world(tiled_scenario())
    router = world_router(world)
    detect = world.requests[world.reference(1)][0]
    route = router.route_stages(detect, make_policy("compute-aware"), now_s=0.0, record=False)
    tile = route.tiles[0][0]
    stage = detect.stages[0]
    assert (stage.tiles, stage.halo) == (2, 0.2)
    # on an idle view, a tile's predicted compute is its (1 + halo) / T share of the stage's
    node = world.fleet.nodes[world.fleet.index[tile.node_id]]
    assert tile.compute_s == pytest.approx(node.compute_time_s(stage.work) * 1.2 / 2, rel=1e-12)
    # its input is (1 + halo) / T of the data: more bits than a halo-free tile's on the same path
    links = [world.topology.link(a, b) for a, b in pairwise(tile.path)]
    bits_s = tile.network_s - sum(link.delay_s for link in links)
    slowest = min(link.bandwidth_bps for link in links)
    assert bits_s == pytest.approx(detect.data_bits * 1.2 / 2 / slowest, rel=1e-9)


def world_router(world):
    from mcfn.awareness import AwareView
    from mcfn.routing.router import Router

    return Router(topology=world.topology, catalog=world.catalog, view=AwareView(world.fleet))


def test_the_join_waits_for_the_slowest_tile(tmp_path):
    slow = {**EDGE, "peak_flops_per_s": 0.5e11}
    edges = {"edges": [EDGE, slow], "cloud": None}
    scenario, columns = lone_task(tmp_path, {"tiles": 7}, compute=edges)  # a tile on every edge, 3 of them slow
    world = build_world(scenario)
    slowest_s = max(world.alone_s[0][0])
    assert slowest_s == pytest.approx(world.fleet.nodes[1].compute_time_s(Work(FLOPS)) / 7, rel=1e-12)
    assert columns["compute_s"][0] == pytest.approx(slowest_s, rel=1e-12)
    assert columns["latency_s"][0] >= slowest_s


def test_the_router_places_tiles_on_distinct_nodes_and_predicts_the_slowest():
    world = build_world(tiled_scenario())
    router = world_router(world)
    for name in POLICIES:
        request = world.requests[world.reference(0)][3]
        route = router.route_stages(request, make_policy(name, np.random.default_rng(1)), now_s=0.0)
        (group,) = route.tiles
        assert len({tile.node_id for tile in group}) == 3
        assert route.stages[0].latency_s == max(tile.latency_s for tile in group)
    # compute-aware: the 3 best by predicted latency (the cloud, then two idle edges, as they are predicted)
    costs_view = world_router(world)
    request = world.requests[world.reference(0)][3]
    route = costs_view.route_stages(request, make_policy("compute-aware"), now_s=0.0, record=False)
    chosen = sorted(tile.latency_s for tile in route.tiles[0])
    stage = request.stages[0]
    every = costs_view.candidates(
        service_id=stage.service_id,
        source=request.ingress,
        in_bits=request.data_bits * stage.share,
        out_bits=stage.output_bits / 3,
        work=stage.tile_work,
        budget_s=request.deadline_s,
        memory_bytes=0.0,
        home=request.ingress,
        now_s=0.0,
    )
    assert chosen == pytest.approx(sorted(every.total_s.tolist())[:3], rel=1e-12)


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ({"tiles": 8, "on": ["edge"]}, "stage 0: tiles 8 exceeds the 7 nodes of its tiers (edge)"),
        ({"tiles": 2, "on": ["cloud"]}, "stage 0: tiles 2 exceeds the 1 nodes of its tiers (cloud)"),
        ({"tiles": 17}, "tiles: Input should be less than or equal to 16"),
        ({"tiles": 2, "halo": -0.1}, "halo: Input should be greater than or equal to 0"),
    ],
)
def test_bad_tiles_name_the_field(stage, message):
    document = small_scenario().model_dump(mode="json")
    document["services"][0]["stages"][0].update(stage)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(document)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_tiled_stage_may_not_follow_another():
    document = small_scenario().model_dump(mode="json")
    for stage in document["services"][1]["stages"]:
        stage.update(tiles=2)
    with pytest.raises(ScenarioError, match="stage 1: tiles 2 follows another tiled stage"):
        parse_scenario(document)


@pytest.mark.parametrize("policy", ["compute-aware", "round-robin"])
def test_tiled_tasks_end_exactly_once_under_failures(policy):
    result = simulate(tiled_scenario(failures=FAILURES, max_reroutes=1), policy)
    c, s = result.columns, result.summary["tasks"]
    assert s["arrived"] == s["completed"] + s["failed"] + s["in_flight"]
    assert s["completed"] > 0.5 * s["arrived"]
    assert (c["reroutes"] > 0).any()


def test_mcfn_run_completes_on_a_tiled_scenario(capsys, tmp_path):
    path = tmp_path / "tiled.yaml"
    path.write_text(yaml.safe_dump(tiled_scenario(duration_s=4).model_dump(mode="json")), encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["run", str(path), "--policy", "compute-aware", "--out", str(tmp_path / "out"), "--json"])
    assert info.value.code == 0
    assert (tmp_path / "out" / "tasks.parquet").stat().st_size > 0
