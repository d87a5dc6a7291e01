"""Per-task utility: on time, the seed §3.2 form; failed or late, ``-(1 - w)``, never less."""

from types import SimpleNamespace

import numpy as np
import pytest

from mcfn.services import service_options
from mcfn.sim.records import COMPLETED, FAILED
from mcfn.sim.run import simulate
from mcfn.sim.summary import task_columns
from tests.sim.conftest import small_scenario


def _model(scenario, *, status, arrival_s, end_s):
    """A stand-in with what :func:`task_columns` reads: the scenario and the task table's columns."""
    n = len(status)
    columns = {
        "service": np.zeros(n, dtype=np.int64),
        "option": np.zeros(n, dtype=np.int64),
        "compression": np.ones(n),
        "status": np.array(status, dtype=np.int8),
        "arrival_s": np.array(arrival_s, dtype=float),
        "end_s": np.array(end_s, dtype=float),
    }
    world = SimpleNamespace(scenario=scenario, options=service_options(scenario)[0])
    return SimpleNamespace(table=SimpleNamespace(view=lambda: columns), world=world)


def test_a_late_task_scores_like_a_failed_one_never_below():
    scenario = small_scenario(utility_weight=0.5)
    service = scenario.services[0]
    deadline, accuracy = service.deadline_s, service.accuracy
    # on time (half the deadline), just late, very late (157 deadlines: -78 by the seed's form), failed
    model = _model(
        scenario,
        status=[COMPLETED, COMPLETED, COMPLETED, FAILED],
        arrival_s=[1.0, 1.0, 1.0, 1.0],
        end_s=[1.0 + deadline / 2, 1.0 + 1.01 * deadline, 1.0 + 157 * deadline, np.nan],
    )
    columns = task_columns(model)
    np.testing.assert_array_equal(columns["met_deadline"], [True, False, False, False])
    assert columns["utility"][0] == pytest.approx(0.5 * accuracy - 0.5 * 0.5)
    np.testing.assert_array_equal(columns["utility"][1:], [-0.5, -0.5, -0.5])
    assert columns["accuracy"][2] == accuracy  # what it delivered, too late


def test_a_task_completed_exactly_at_its_deadline_is_on_time():
    scenario = small_scenario(utility_weight=0.25)
    service = scenario.services[0]
    model = _model(scenario, status=[COMPLETED], arrival_s=[0.0], end_s=[service.deadline_s])
    columns = task_columns(model)
    assert columns["met_deadline"][0]
    assert columns["utility"][0] == pytest.approx(0.25 * service.accuracy - 0.75)


def test_in_a_run_no_task_scores_below_a_failed_one():
    # nearest-edge queues tasks on busy edge servers: some complete late
    terminals = {"count": 150, "mobility": {"model": "random-waypoint", "speed_mps": [5, 20]}}
    result = simulate(small_scenario(duration_s=6, utility_weight=0.4, terminals=terminals), "nearest-edge")
    columns = result.columns
    late = (columns["status"] == COMPLETED) & ~columns["met_deadline"]
    assert late.sum() > 10
    np.testing.assert_array_equal(columns["utility"][late], -0.6)
    assert columns["utility"].min() >= -0.6
    on_time = columns["met_deadline"]
    deadline = np.array([s.deadline_s for s in small_scenario().services])[columns["service"][on_time]]
    expected = 0.4 * columns["accuracy"][on_time] - 0.6 * columns["latency_s"][on_time] / deadline
    np.testing.assert_allclose(columns["utility"][on_time], expected)
    assert result.summary["mean_utility"] == pytest.approx(columns["utility"].mean())
