"""The joint-allocation uplink in a run: tasks conserved, inputs compressed, accuracy from the seed's curve."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from mcfn.routing import make_policy
from mcfn.scenario import ScenarioError, parse_scenario
from mcfn.services import service_options
from mcfn.sim.engine import Simulator
from mcfn.sim.model import NetworkModel
from mcfn.sim.records import COMPLETED, FAILED, IN_FLIGHT
from mcfn.sim.report import write_outputs
from mcfn.sim.run import simulate
from mcfn.sim.summary import task_columns
from mcfn.sim.world import build_world
from tests.sim.conftest import small_scenario


def _scenario(policy: str):
    return small_scenario(
        duration_s=4,
        terminals={"count": 60, "mobility": {"model": "random-waypoint", "speed_mps": [5, 20]}},
        radio={"uplink_policy": policy},
    )


@pytest.fixture(scope="module")
def runs():
    return {policy: simulate(_scenario(policy), "compute-aware") for policy in ("equal-bandwidth", "joint-allocation")}


def test_every_task_ends_once_and_the_solver_did_work(runs):
    run = runs["joint-allocation"]
    tasks, status = run.summary["tasks"], run.columns["status"]
    assert tasks["arrived"] == tasks["completed"] + tasks["failed"] + tasks["in_flight"] == status.size
    assert (status == COMPLETED).sum() + (status == FAILED).sum() + (status == IN_FLIGHT).sum() == status.size
    stats = run.summary["uplink_allocation"]
    assert stats["solves"] > 0
    assert stats["closed_form"] > 0
    assert runs["equal-bandwidth"].summary["tasks"]["arrived"] == tasks["arrived"]  # same arrivals


def test_compression_lowers_accuracy_along_the_services_curve(runs):
    scenario = _scenario("joint-allocation")
    columns = runs["joint-allocation"].columns
    done = columns["status"] == COMPLETED
    compressed = done & (columns["compression"] < 1.0)
    assert compressed.any()
    for k, service in enumerate(scenario.services):
        mine = compressed & (columns["service"] == k)
        expected = service.curve.accuracy(columns["compression"][mine] * service.data_bits)
        assert columns["accuracy"][mine] == pytest.approx(expected)
        assert service.curve.accuracy(service.data_bits) == pytest.approx(service.accuracy)
        assert np.all(columns["accuracy"][mine] >= service.min_accuracy - 1e-6)
    uncompressed = runs["equal-bandwidth"].summary["mean_accuracy"]
    assert runs["joint-allocation"].summary["mean_accuracy"] < uncompressed
    assert np.all(runs["equal-bandwidth"].columns["compression"] == 1.0)


def test_a_compressed_task_uploads_only_its_share():
    scenario = _scenario("joint-allocation")
    sim = Simulator(seed=scenario.seed)
    model = NetworkModel(sim, build_world(scenario), policy=make_policy("nearest-edge", sim.stream("policy")))
    sim.run(until_s=scenario.duration_s + scenario.drain_s)
    columns = task_columns(model)
    uploaded = columns["status"] != FAILED
    data_bits = np.array([s.data_bits for s in scenario.services])[columns["service"]]
    for up in model.access.uplinks:
        up.account()
    sent = sum(up.work_done for up in model.access.uplinks)
    assert sent == pytest.approx((columns["compression"] * data_bits)[uploaded].sum(), rel=1e-6)
    assert sent < data_bits[uploaded].sum()


@pytest.mark.parametrize(
    ("radio", "message"),
    [
        ({"uplink_policy": "solver"}, "radio: uplink_policy 'solver' is unknown; valid: equal-bandwidth"),
        ({"min_compression": 0}, "radio.min_compression: Input should be greater than 0"),
        ({"min_compression": 1.5}, "radio.min_compression: Input should be less than or equal to 1"),
        ({"allocation_method": "newton"}, "radio.allocation_method: Input should be 'fast', 'exact' or 'sca'"),
    ],
)
def test_bad_uplink_settings_name_the_field(radio, message):
    with pytest.raises(ScenarioError) as caught:
        small_scenario(radio=radio)
    assert message in str(caught.value)


def _crowded(*, scales: bool):
    """One VM an edge server, no degradation, busy cells: batches outnumber the VMs, so shares fall below 1."""
    document = _scenario("joint-allocation").model_dump(mode="json")
    document["terminals"]["count"] = 150
    document["compute"]["edge"].update(vm_slots=1, degradation=0.0)
    for service in document["services"]:
        service["work_scales_with_input"] = scales
    return parse_scenario(document)


def _run_model(scenario):
    sim = Simulator(seed=scenario.seed)
    model = NetworkModel(sim, build_world(scenario), policy=make_policy("compute-aware", sim.stream("policy")))
    sim.run(until_s=scenario.duration_s + scenario.drain_s)
    return model, task_columns(model)


@pytest.mark.parametrize("scales", [False, True])
def test_the_compute_share_and_the_compression_set_the_work_of_the_first_stage(scales):
    """Every VM did exactly the work the allocation said: each task's first stage its one-VM time on its node over
    its compute share (times ``ρ`` where the work scales with the input), the later stages as they are; a task's
    compute time is at least that (more when it queued for the VM)."""
    model, columns = _run_model(_crowded(scales=scales))
    alone = model.world.alone_s
    done = np.flatnonzero(columns["status"] == COMPLETED)
    share, rho = columns["compute_share"], columns["compression"]
    assert (share[done] < 1.0 - 1e-3).any()  # some batches outnumbered their node's VMs
    assert np.all(share[done] <= 1.0 + 1e-12)
    expected = np.zeros(columns["status"].size)
    for t in done.tolist():
        option, nodes = columns["option"][t], columns["stage_node"][t]
        stages = len(model.world.options[option].stages)
        first = alone[option][0][nodes[0]] / share[t] * (rho[t] if scales else 1.0)
        expected[t] = first + sum(alone[option][k][nodes[k]] for k in range(1, stages))
    for station in model.servers.stations:
        station.account()
    assert sum(s.work_done for s in model.servers.stations) == pytest.approx(expected.sum(), rel=1e-9)
    single = done[[len(model.world.options[o].stages) == 1 for o in columns["option"][done]]]
    assert single.size
    assert np.all(columns["compute_s"][single] >= expected[single] * (1 - 1e-9))
    alone_on_vm = np.isclose(columns["compute_s"][single], expected[single], rtol=1e-9)
    assert alone_on_vm.mean() > 0.5  # most never queued: their compute time is their work over their share


def test_tasks_csv_records_the_share_and_the_accuracy_of_the_curve_at_the_chosen_ratio(tmp_path, runs):
    scenario = _scenario("joint-allocation")
    run = runs["joint-allocation"]
    write_outputs(tmp_path, scenario.model_dump(mode="json"), [run], tasks_format="csv")
    rows = [r for r in csv.DictReader((tmp_path / "tasks.csv").open()) if r["status"] == "completed"]
    assert rows
    assert any(float(r["compression"]) < 1.0 for r in rows)
    by_name = {(scenario.services[o.service].name, o.variant, o.exit): o for s in service_options(scenario) for o in s}
    for row in rows:
        option = by_name[(row["service"], row["variant"], row["exit"])]
        rho = float(row["compression"])
        assert float(row["accuracy"]) == pytest.approx(option.curve.accuracy(rho * option.data_bits), abs=1e-12)
        assert 0.0 < float(row["compute_share"]) <= 1.0
