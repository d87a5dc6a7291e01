"""A run's per-task columns derived chunk by chunk, and job charges folded into tasks as the run goes, equal what the
whole table computed at once gives, bit for bit."""

import pickle

import numpy as np
import pytest

from mcfn.sim import columns as columns_module
from mcfn.sim.charges import Charges
from mcfn.sim.columns import Constant, TaskColumns
from mcfn.sim.model import BACKGROUND_BASE, tile_job
from mcfn.sim.run import simulate
from tests.sim.conftest import small_scenario

#: Summary entries that are wall-clock timings, which no two runs share.
_TIMINGS = ("wall_s", "tasks_per_wall_s", "solve_wall_s", "mean_solve_s")


def _untimed(summary):
    if isinstance(summary, dict):
        return {key: _untimed(value) for key, value in summary.items() if key not in _TIMINGS}
    return summary


def test_a_run_summarised_in_chunks_of_seven_rows_equals_one_summarised_whole(monkeypatch):
    # joint allocation: compressed uploads (accuracy along the curve); a station down and a short drain: failures
    down = [{"node": "bs1", "at_s": 1, "for_s": 3}]
    scenario = small_scenario(duration_s=6, drain_s=0.02, radio={"uplink_policy": "joint-allocation"}, failures=down)
    whole = simulate(scenario, "compute-aware")
    assert whole.columns["status"].size < columns_module.CHUNK  # one chunk: the whole table at once
    monkeypatch.setattr(columns_module, "CHUNK", 7)
    chunked = simulate(scenario, "compute-aware")
    assert whole.summary["tasks"]["failed"] > 0
    assert np.unique(whole.columns["compression"]).size > 1
    assert _untimed(chunked.summary) == _untimed(whole.summary)
    assert list(chunked.columns) == list(whole.columns)
    for name, values in whole.columns.items():
        np.testing.assert_array_equal(chunked.columns[name], values, err_msg=name)
        assert chunked.columns[name].dtype == values.dtype, name
    done = whole.columns["status"] == 1
    np.testing.assert_array_equal(chunked.columns.select("utility", done), whole.columns["utility"][done])
    back = pickle.loads(pickle.dumps(chunked))  # as a worker process returns it
    np.testing.assert_array_equal(back.columns["energy_j"], whole.columns["energy_j"])


def test_derived_columns_are_computed_per_chunk_and_never_kept():
    calls = []

    def doubled(columns, rows):
        calls.append((rows.start, rows.stop))
        return 2 * columns.part("x", rows)

    columns = TaskColumns(10, chunk=4)
    columns.add(stored={"x": np.arange(10)}, derived={"twice": doubled, "one": Constant(1.0, np.float32)})
    assert list(columns) == ["x", "twice", "one"]
    assert "twice" in columns
    assert len(columns) == 3
    np.testing.assert_array_equal(columns["twice"], 2 * np.arange(10))
    assert calls == [(0, 4), (4, 8), (8, 10)]
    np.testing.assert_array_equal(columns.select("twice", np.arange(10) % 3 == 0), [0, 6, 12, 18])
    assert columns["one"].dtype == np.float32
    assert columns["one"].tolist() == [1.0] * 10
    empty = TaskColumns(0)
    empty.add(derived={"one": Constant(1, np.int8)})
    assert empty["one"].dtype == np.int8
    assert empty["one"].size == 0
    with pytest.raises(ValueError, match="already there"):
        columns.add(derived={"x": doubled})
    with pytest.raises(ValueError, match="rows"):
        columns.add(stored={"short": np.zeros(3)})


def test_charges_folded_in_batches_sum_to_the_same_bits_as_once_at_the_end():
    rng = np.random.default_rng(5)
    tasks = 50
    owners = np.concatenate([rng.integers(0, tasks // 2, 1_000), rng.integers(0, tasks, 1_000)])
    tiled = rng.random(2_000) < 0.3
    jobs = [tile_job(int(t), 2, 3) if tile else int(t) for t, tile in zip(owners, tiled, strict=True)]
    jobs[::97] = [BACKGROUND_BASE + 5] * len(jobs[::97])  # no task's: dropped
    joules = rng.lognormal(0.0, 3.0, len(jobs))  # spread magnitudes: the order of the additions shows
    once, folded = Charges(), Charges()
    for k, (job, j) in enumerate(zip(jobs, joules.tolist(), strict=True)):
        once.add(job, j)
        folded.add(job, j)
        if k % 333 == 0:
            folded.fold(tasks // 2 if k < 1_000 else tasks)  # room for the tasks seen so far: it grows
    expected = np.zeros(tasks)
    kept = np.array([job < BACKGROUND_BASE for job in jobs])
    np.add.at(expected, owners[kept], joules[kept])
    np.testing.assert_array_equal(once.by_task(tasks), expected)
    np.testing.assert_array_equal(folded.by_task(tasks), expected)
    assert folded.arrays()[0].size == 0  # folded charges are forgotten
