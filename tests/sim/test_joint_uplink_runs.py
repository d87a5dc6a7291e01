"""The joint-allocation uplink in a run: tasks conserved, inputs compressed, accuracy from the seed's curve."""

from __future__ import annotations

import numpy as np
import pytest
from tests.sim.conftest import small_scenario

from mcfn.routing import make_policy
from mcfn.scenario import ScenarioError
from mcfn.sim.engine import Simulator
from mcfn.sim.model import NetworkModel
from mcfn.sim.records import COMPLETED, FAILED, IN_FLIGHT
from mcfn.sim.run import simulate
from mcfn.sim.summary import task_columns
from mcfn.sim.world import build_world


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
    assert stats["fallbacks"] == 0
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
        ({"allocation_method": "newton"}, "radio.allocation_method: Input should be 'exact' or 'sca'"),
    ],
)
def test_bad_uplink_settings_name_the_field(radio, message):
    with pytest.raises(ScenarioError) as caught:
        small_scenario(radio=radio)
    assert message in str(caught.value)
