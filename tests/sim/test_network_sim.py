"""The network simulation: determinism, accounting under failures, mobility, stale routing, scenario errors."""

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcfn.routing import make_policy
from mcfn.scenario import ScenarioError, default_scenario, load_scenario, parse_scenario
from mcfn.sim.engine import Simulator
from mcfn.sim.failures import Failures
from mcfn.sim.model import NetworkModel
from mcfn.sim.records import COMPLETED, FAILED, IN_FLIGHT
from mcfn.sim.run import prepare, simulate
from mcfn.sim.world import build_world
from tests.sim.conftest import small_scenario

FAILURES = [
    {"node": "edge0", "at_s": 5, "for_s": 6},
    {"link": ["agg0", "core"], "at_s": 8, "for_s": 3},
    {"node": "bs1", "at_s": 12, "for_s": 2},
    {"node": "edge2", "at_s": 15},
]


@pytest.mark.parametrize("policy", ["compute-aware", "random"])
def test_same_seed_same_output(policy):
    a, b = simulate(small_scenario(), policy), simulate(small_scenario(), policy)
    assert a.columns.keys() == b.columns.keys()
    for name, values in a.columns.items():
        np.testing.assert_array_equal(values, b.columns[name], err_msg=name)
    assert a.summary["events"] == b.summary["events"]
    c = simulate(small_scenario(seed=4), policy)
    assert c.columns["arrival_s"].size != a.columns["arrival_s"].size or not np.array_equal(
        c.columns["arrival_s"], a.columns["arrival_s"]
    )


def test_every_policy_sees_the_same_arrivals():
    runs = [simulate(small_scenario(duration_s=5), p) for p in ("compute-aware", "nearest-edge", "cloud-only")]
    for run in runs[1:]:
        np.testing.assert_array_equal(run.columns["arrival_s"], runs[0].columns["arrival_s"])
        np.testing.assert_array_equal(run.columns["terminal"], runs[0].columns["terminal"])
    assert runs[2].summary["cloud_stage_share"] < 1.0  # detect's second stage may run on the edge only
    assert runs[1].summary["cloud_stage_share"] == 0.0


@pytest.mark.parametrize("policy", ["compute-aware", "least-loaded", "round-robin"])
def test_conservation_at_every_moment_under_failures(policy):
    scenario = small_scenario(failures=FAILURES, max_reroutes=1)
    sim = Simulator(seed=scenario.seed)
    model = NetworkModel(sim, build_world(scenario), policy=make_policy(policy, sim.stream("policy")))
    Failures(model, scenario.failures)
    checks = []

    def check():
        table = model.table
        status = table.status[: table.count]
        in_flight = int((status == IN_FLIGHT).sum())
        assert table.count == table.completed + table.failed + table.in_flight
        assert in_flight == table.in_flight
        assert (status == COMPLETED).sum() == table.completed
        checks.append(table.in_flight)
        sim.schedule(0.05, check)

    sim.schedule(0.0, check)
    sim.run(until_s=scenario.duration_s + scenario.drain_s)
    assert len(checks) > 500
    assert max(checks) > 0
    model.fail_all_in_flight("end")
    table = model.table
    assert table.in_flight == 0
    assert table.completed + table.failed == table.count
    reasons = {table.reasons[c] for c in table.reason[: table.count][table.status[: table.count] == FAILED]}
    assert any("edge0" in r or "edge2" in r or "bs1" in r for r in reasons), reasons
    assert (table.reroutes[: table.count] > 0).any()
    with pytest.raises(RuntimeError, match="ended twice"):
        table.fail(0, now_s=sim.now, reason="again")


def test_failures_reroute_tasks_and_the_summary_names_reasons():
    result = simulate(small_scenario(failures=FAILURES), "compute-aware")
    tasks = result.summary["tasks"]
    assert tasks["arrived"] == tasks["completed"] + tasks["failed"]
    assert tasks["in_flight"] == 0
    assert tasks["rerouted"] > 0
    assert sum(tasks["failure_reasons"].values()) == tasks["failed"]
    # edge2 never recovers: nothing runs there after the failure
    columns = result.columns
    edge2 = result.nodes.index("edge2")
    late = columns["arrival_s"] > 15.5
    assert not (columns["stage_node"][late] == edge2).any()


def test_results_follow_the_terminal_to_its_new_station():
    result = simulate(small_scenario(duration_s=30), "cloud-only")
    columns = result.columns
    done = columns["status"] == COMPLETED
    assert result.summary["handovers"] > 0
    assert (columns["delivered"][done] != columns["ingress"][done]).any()


def test_a_task_enters_at_the_station_serving_its_terminal_when_it_arrives():
    """The model reads the serving stations the radio access refreshes at every mobility step: each task's ingress
    is its terminal's serving station as of the last step before it arrived."""
    scenario = small_scenario(duration_s=30)
    model = prepare(scenario, "cloud-only")
    sim, step_s = model.sim, scenario.terminals.step_s
    serving = [np.array(model.access.serving)]

    def after_step() -> None:  # fires after the access's step at the same instant (scheduled later)
        serving.append(np.array(model.access.serving))
        sim.schedule(step_s, after_step, priority=-1)

    sim.schedule(step_s, after_step, priority=-1)
    sim.run(until_s=scenario.duration_s)
    table = model.table.view()
    steps, terminal = (table["arrival_s"] // step_s).astype(int), table["terminal"]
    expected = np.array(serving)[steps, terminal]
    np.testing.assert_array_equal(table["ingress"], expected)
    assert model.access.handovers > 0
    assert (expected != serving[0][terminal]).any()  # handovers moved some terminals' tasks to other stations


def test_summary_is_recomputable_from_the_table():
    result = simulate(small_scenario(), "compute-aware")
    columns, summary = result.columns, result.summary
    done = columns["status"] == COMPLETED
    latency = columns["end_s"][done] - columns["arrival_s"][done]
    assert summary["latency_s"]["p95"] == pytest.approx(np.quantile(latency, 0.95))
    assert summary["tasks"]["completed"] == done.sum()
    assert 0 < summary["deadline_satisfaction"] <= 1
    assert all(0 <= u <= 1 for u in summary["utilisation"].values())
    assert summary["adverts"]["sent"] > 0
    assert summary["events_per_task"] > 4


def test_default_scenario_is_the_documented_one():
    scenario = default_scenario()
    world = build_world(scenario)
    assert len(world.stations) == 7
    assert scenario.terminals.count == 300
    assert len(scenario.services) == 3
    assert scenario.duration_s == 600
    assert "cloud" in world.fleet.index


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration_s": -1}, "duration_s: Input should be greater than 0"),
        ({"radio": {"uplink_policy": "fastest"}}, "radio: Value error, uplink_policy 'fastest' is unknown"),
        ({"terminals": {"count": 0}}, "terminals.count"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_bad_scenarios_name_the_field(change, message):
    document = small_scenario().model_dump(mode="json")
    document.update(change)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(document)
    assert message.replace("Value error, ", "") in str(info.value)
    assert "\n" not in str(info.value)


def test_a_failure_of_an_unknown_node_is_named():
    with pytest.raises(ValueError, match=r"failures\[0\].*edge99"):
        simulate(small_scenario(failures=[{"node": "edge99", "at_s": 1}]), "compute-aware")


def test_trace_mobility_relative_to_the_scenario_file(tmp_path):
    rows = ["terminal,t,x,y"]
    for terminal, (x0, x1) in enumerate([(0.0, 900.0), (900.0, 0.0)]):
        rows += [f"{terminal},0,{x0},0", f"{terminal},30,{x1},0"]
    (tmp_path / "walk.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    document = small_scenario(duration_s=30).model_dump(mode="json")
    document["terminals"] = {"count": 2, "mobility": {"model": "trace", "path": "walk.csv"}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    result = simulate(load_scenario(tmp_path / "s.yaml"), "nearest-edge")
    assert result.summary["handovers"] >= 2  # both cross from one cell into the next
    document["terminals"] = {"count": 3, "mobility": {"model": "trace", "path": str(tmp_path / "walk.csv")}}
    with pytest.raises(ValueError, match="trace has 2 terminals"):
        simulate(parse_scenario(document), "nearest-edge")


def test_staler_adverts_cost_less_and_the_routers_own_accounting_keeps_routing_good():
    """The router is the only source of the nodes' work here, and it counts its own placements: adverts 400 times
    rarer hardly change its latencies (without that accounting, p95 grew by more than 30 %)."""
    runs = [
        simulate(small_scenario(duration_s=30, awareness={"period_s": p, "jitter_s": 0.0}), "compute-aware").summary
        for p in (0.05, 1.0, 20.0)
    ]
    p95 = [r["latency_s"]["p95"] for r in runs]
    sent = [r["adverts"]["sent"] for r in runs]
    assert max(p95) < 1.05 * min(p95)
    assert sent == sorted(sent, reverse=True)


def test_parallel_degradation_slows_the_edge():
    def mean_compute_s(degradation):
        document = small_scenario().model_dump(mode="json")
        document["compute"]["edge"]["degradation"] = degradation
        return np.nanmean(simulate(parse_scenario(document), "nearest-edge").columns["compute_s"])

    assert mean_compute_s(0.5) > 1.2 * mean_compute_s(0.0)


def test_every_uplink_policy_re_divides_the_band():
    uploads = {}
    for policy in ("equal-bandwidth", "equal-rate", "min-total-time"):
        result = simulate(
            small_scenario(duration_s=10, radio={"uplink_policy": policy, "bandwidth_hz": 5e6}), "nearest-edge"
        )
        assert result.summary["tasks"]["completed"] == result.summary["tasks"]["arrived"]
        uploads[policy] = float(np.mean(result.columns["upload_s"]))
    assert len(set(uploads.values())) == 3, uploads


ELEMENTS = [{"node": n} for n in ("edge0", "edge3", "bs0", "bs4", "agg0", "core", "cloud")] + [
    {"link": list(pair)} for pair in (("bs0", "edge0"), ("agg0", "core"), ("core", "cloud"), ("bs2", "agg0"))
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    failures=st.lists(
        st.tuples(st.sampled_from(range(len(ELEMENTS))), st.floats(0, 6), st.none() | st.floats(0.1, 4)),
        min_size=1,
        max_size=4,
    ),
    policy=st.sampled_from(["compute-aware", "nearest-edge", "least-loaded", "random", "cloud-only"]),
    reroutes=st.integers(0, 2),
)
def test_every_task_ends_exactly_once_whatever_fails(failures, policy, reroutes):
    doc = [{**ELEMENTS[i], "at_s": at, "for_s": length} for i, at, length in failures]
    result = simulate(small_scenario(duration_s=6, drain_s=3, failures=doc, max_reroutes=reroutes), policy)
    c, tasks = result.columns, result.summary["tasks"]
    assert tasks["arrived"] == tasks["completed"] + tasks["failed"]
    assert tasks["in_flight"] == 0
    failed, done = c["status"] == FAILED, c["status"] == COMPLETED
    assert (failed | done).all()
    assert (c["reason"][failed] >= 0).all()
    assert (c["reason"][done] == -1).all()
    assert (c["end_s"] >= c["arrival_s"]).all()
    assert (c["stage_node"][done, 0] >= 0).all()
    assert (c["reroutes"] <= reroutes).all()


def test_a_service_can_replay_an_arrival_trace(tmp_path):
    (tmp_path / "requests.csv").write_text("t,terminal\n0.5,3\n0.25,0\n2.0,59\n30.0,1\n", encoding="utf-8")
    document = small_scenario(duration_s=5).model_dump(mode="json")
    document["services"][1] = {
        **document["services"][1],
        "rate_per_terminal_per_s": None,
        "arrivals_path": "requests.csv",
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    result = simulate(load_scenario(tmp_path / "s.yaml"), "compute-aware")
    c = result.columns
    traced = c["service"] == 1
    np.testing.assert_array_equal(c["arrival_s"][traced], [0.25, 0.5, 2.0])  # sorted, and 30 s is past the end
    np.testing.assert_array_equal(c["terminal"][traced], [0, 3, 59])
    assert (c["service"] == 0).sum() > 100  # the other service keeps its Poisson stream
    (tmp_path / "requests.csv").write_text("t,terminal\n1.0,60\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"requests.csv:2: need t >= 0 and 0 <= terminal < 60"):
        simulate(load_scenario(tmp_path / "s.yaml"), "compute-aware")
    document["services"][1]["rate_per_terminal_per_s"] = 1.0
    with pytest.raises(ScenarioError, match="exactly one of 'rate_per_terminal_per_s' and 'arrivals_path'"):
        parse_scenario(document)
