"""Terminals as compute: local runs, D2D offloading to a helper whose sidelink breaks as it moves away, batteries."""

from collections import Counter

import numpy as np
import pytest

from mcfn.network.sidelink import Sidelink
from mcfn.orchestration.placement import D2D, LOCAL, OFFLOAD, PLACES, Candidate, best_placement
from mcfn.scenario import ScenarioError, parse_scenario
from mcfn.sim.records import COMPLETED, FAILED, IN_FLIGHT
from mcfn.sim.run import simulate
from tests.sim.conftest import small_scenario

LOCAL_VARIANT = {
    "name": "on-device",
    "accuracy": 0.7,
    "stages": [{"flops": {"conv": 2.0e12}, "output_bits": 8000, "on": ["terminal"]}],
}


def traced(tmp_path, moves: str, asks: str, *, count: int, helpers: float, **top):
    """One cell; ``count`` terminals follow the trace ``moves`` (``terminal,t,x,y`` rows) and ask at ``asks``
    (``t,terminal`` rows); the last ``helpers`` share help; the classify service with its local variant (about 2.6
    s on the NPU) and a 20 s deadline; ``top``: top-level fields of the scenario."""
    trace = tmp_path / "moves.csv"
    trace.write_text("terminal,t,x,y\n" + moves, encoding="utf-8")
    asked = tmp_path / "asks.csv"
    asked.write_text("t,terminal\n" + asks, encoding="utf-8")
    doc = small_scenario(duration_s=5, **top).model_dump(mode="json")
    doc["network"]["rings"] = 0
    doc["terminals"] = {
        "count": count,
        "step_s": 0.25,
        "mobility": {"model": "trace", "path": str(trace)},
        "compute": {"device": "phone-npu", "helpers": helpers},
    }
    classify = doc["services"][0]
    classify.update(rate_per_terminal_per_s=None, arrivals_path=str(asked), deadline_s=20.0, variants=[LOCAL_VARIANT])
    doc["services"] = [classify]
    return parse_scenario(doc)


def _pair(tmp_path, *, max_reroutes=2, helper_leaves_s=2.0):
    """Terminal 0 stands still and asks once, at 1 s; terminal 1, its helper 20 m away, drives off at
    ``helper_leaves_s`` to 400 m."""
    moves = f"0,0,0,0\n0,100,0,0\n1,0,20,0\n1,{helper_leaves_s},20,0\n1,{helper_leaves_s + 0.5},400,0\n1,100,400,0\n"
    return traced(tmp_path, moves, "1.0,0\n", count=2, helpers=0.5, max_reroutes=max_reroutes)


def test_a_task_offloaded_to_a_moving_helper_is_offloaded_again_when_the_sidelink_breaks(tmp_path):
    run = simulate(_pair(tmp_path), "terminal-d2d")
    c = run.columns
    assert c["status"].size == 1
    assert c["status"][0] == COMPLETED  # once, through the cellular network after the break
    assert c["reroutes"][0] == 1
    assert PLACES[c["placement"][0]] == OFFLOAD
    assert c["helper"][0] == 1
    assert c["device_energy_j"][0] > 0  # the helper computed it, in vain
    assert c["sidelink_energy_j"][0] > 0
    assert c["upload_energy_j"][0] > 0  # then the asker uploaded it
    assert run.summary["terminals"]["sidelink_breaks"] == 1


def test_without_reroutes_left_the_broken_sidelink_fails_the_task_with_the_reason(tmp_path):
    run = simulate(_pair(tmp_path, max_reroutes=0), "terminal-d2d")
    c = run.columns
    assert c["status"].tolist() == [FAILED]
    reason = run.reasons[c["reason"][0]]
    assert reason.startswith("sidelink to helper terminal 1 broke")
    assert "beyond its 100 m range" in reason


def test_a_helper_that_stays_brings_the_result_back(tmp_path):
    run = simulate(_pair(tmp_path, helper_leaves_s=50.0), "terminal-d2d")
    c = run.columns
    assert c["status"].tolist() == [COMPLETED]
    assert PLACES[c["placement"][0]] == D2D
    assert c["reroutes"][0] == 0
    assert c["delivered"][0] == -1  # through no base station
    assert c["upload_energy_j"][0] == 0
    assert c["download_energy_j"][0] == 0
    assert c["energy_j"][0] == pytest.approx(c["device_energy_j"][0] + c["sidelink_energy_j"][0])


def _with_local(**changes):
    doc = small_scenario(duration_s=6).model_dump(mode="json")
    doc["terminals"]["compute"] = {"device": "phone-npu", "helpers": 0.3, **changes}
    doc["services"][0]["variants"] = [{**LOCAL_VARIANT, "stages": [{**LOCAL_VARIANT["stages"][0], "flops": 1e10}]}]
    return parse_scenario(doc)


@pytest.mark.parametrize("policy", ["terminal-local", "terminal-d2d", "utility-aware", "compute-aware"])
def test_every_task_ends_exactly_once_wherever_it_runs(policy):
    run = simulate(_with_local(), policy)
    c = run.columns
    assert not (c["status"] == IN_FLIGHT).any()
    summary = run.summary["tasks"]
    assert summary["completed"] + summary["failed"] == summary["arrived"] == c["status"].size
    places = Counter(PLACES[p] for p in c["placement"])
    assert sum(run.summary["terminals"]["placements"].values()) == c["status"].size
    if policy == "compute-aware":
        assert set(places) == {OFFLOAD}
    if policy == "terminal-local":  # the classify tasks run locally, detect (no local variant) is offloaded
        assert places[LOCAL] == (c["service"] == 0).sum()
    if policy == "terminal-d2d":
        assert places[D2D] > 0


def test_an_empty_battery_stops_sending():
    run = simulate(_with_local(battery_wh=5e-5), "terminal-local")  # 0.18 J each: a few tasks' worth
    c = run.columns
    reasons = [run.reasons[r] for r in c["reason"][c["status"] == FAILED]]
    assert any(r.startswith("battery empty") for r in reasons)
    assert run.summary["terminals"]["batteries_empty"] > 0


def test_the_placement_weighs_energy_only_when_asked():
    fast_costly = Candidate(place=OFFLOAD, latency_s=0.05, accuracy=0.8, terminal_j=2.0)
    slow_cheap = Candidate(place=LOCAL, latency_s=0.15, accuracy=0.8, terminal_j=0.1)
    kwargs = {"weight": 0.5, "deadline_s": 0.2, "min_accuracy": 0.5}
    assert best_placement([fast_costly, slow_cheap], energy_weight=0.0, **kwargs) == 0
    assert best_placement([fast_costly, slow_cheap], energy_weight=1.0, **kwargs) == 1
    late = Candidate(place=D2D, latency_s=0.5, accuracy=0.9, terminal_j=0.0)
    assert best_placement([late, slow_cheap], energy_weight=0.0, **kwargs) == 1  # infeasible loses
    assert best_placement([late], energy_weight=0.0, **kwargs) == 0  # the fastest when none is feasible


def test_sidelink_rate_falls_with_distance_and_stops_at_its_range():
    link = Sidelink()
    rates = link.rate_bps(np.array([10.0, 50.0, 99.0, 101.0]))
    assert rates[0] > rates[1] > rates[2] > 0
    assert rates[3] == 0
    # TR 36.843's B1 at 2 GHz: 22.7 log10(100) + 27 + 20 log10(2) = 78.4 dB
    assert float(link.path_loss_db(100.0)) == pytest.approx(78.42, abs=0.01)


def test_a_terminal_variant_needs_terminal_compute():
    doc = small_scenario().model_dump(mode="json")
    doc["services"][0]["variants"] = [LOCAL_VARIANT]
    with pytest.raises(ScenarioError, match=r"needs terminals\.compute"):
        parse_scenario(doc)
    with pytest.raises(ValueError, match=r"needs terminals\.compute"):
        simulate(small_scenario(duration_s=1), "terminal-local")
