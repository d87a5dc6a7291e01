"""Stage times measured by the agents (:mod:`mcfn.runtime.stage_times`) and the work the router charges for them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mcfn.compute.node import OP_CLASSES, Work
from mcfn.runtime.stage_times import MIN_RUNS, WINDOW, StageTimes, cached_stage_times, calibrated_work

positive = st.floats(min_value=1e-6, max_value=1e3)


@given(
    mix=st.lists(st.floats(min_value=0, max_value=1e12), min_size=len(OP_CLASSES), max_size=len(OP_CLASSES)),
    speeds=st.lists(positive, min_size=len(OP_CLASSES), max_size=len(OP_CLASSES)),
    measured_s=positive,
)
@example(mix=[0.0] * (len(OP_CLASSES) - 1) + [2.2250738585e-313], speeds=[1.0] * len(OP_CLASSES), measured_s=1.0)
@example(mix=[0.0] * (len(OP_CLASSES) - 1) + [2.2250738585e-313], speeds=[91.0] * len(OP_CLASSES), measured_s=1.0)
def test_calibrated_work_makes_the_routers_prediction_the_measured_time_and_keeps_the_mix(mix, speeds, measured_s):
    work = Work(dict(zip(OP_CLASSES, mix, strict=True)))
    seconds_per_flop = 1.0 / np.array([speeds]) * 1e-9
    calibrated = calibrated_work(work, seconds_per_flop, [measured_s])
    if work.total_flops == 0:
        assert calibrated == work  # nothing to scale
        return
    assert float(seconds_per_flop[0] @ calibrated.per_op_flops) == pytest.approx(measured_s, rel=1e-9)
    assert np.allclose(np.array(calibrated.per_op_flops) * work.total_flops, np.array(mix) * calibrated.total_flops)


def test_calibrated_work_averages_the_hosts_ratios_and_keeps_the_plans_work_when_none_measured():
    work = Work({"conv": 2e9})
    seconds_per_flop = np.full((2, len(OP_CLASSES)), 1e-9)  # 2 s predicted on both hosts
    assert calibrated_work(work, seconds_per_flop, [1.0, 3.0]).total_flops == pytest.approx(2e9)
    assert calibrated_work(work, seconds_per_flop[:0], []) is work


def test_stage_times_turn_from_the_start_measurement_to_the_median_of_the_latest_runs():
    times = StageTimes({"m/0": 0.5})
    for seconds in [0.1] * (MIN_RUNS - 1):
        times.observe("m/0", seconds)
    assert times.current() == {"m/0": 0.5}
    times.observe("m/0", 0.2)
    assert times.current() == {"m/0": 0.1}
    for seconds in [9.0, *([0.3] * WINDOW)]:  # an outlier, then only the latest WINDOW runs count
        times.observe("m/0", seconds)
    assert times.current() == {"m/0": 0.3}
    times.observe("other", 1.0)  # not a stage it measured: ignored
    assert set(times.current()) == {"m/0"}
    times.track("m/1")  # loaded since the start: known from its runs
    for seconds in [0.4] * MIN_RUNS:
        assert set(times.current()) == {"m/0"}
        times.observe("m/1", seconds)
    assert times.current() == {"m/0": 0.3, "m/1": 0.4}


def test_stage_times_are_kept_by_key_and_measured_again_for_another(tmp_path):
    calls = []

    def measure():
        calls.append(1)
        return {"m/0": 0.25 * len(calls)}

    assert cached_stage_times(tmp_path, "cpu A|plan 1", measure) == {"m/0": 0.25}
    assert cached_stage_times(tmp_path, "cpu A|plan 1", measure) == {"m/0": 0.25}  # kept: not measured again
    assert cached_stage_times(tmp_path, "cpu B|plan 1", measure) == {"m/0": 0.5}
    assert cached_stage_times(None, "cpu A|plan 1", measure) == {"m/0": 0.75}  # no cache: always measured
    assert len(calls) == 3


def test_an_agents_stages_are_timed_within_the_budget_as_it_runs_them():
    pytest.importorskip("torch")
    import time

    from mcfn.runtime.models import TINY
    from mcfn.runtime.plan import build_parts, plan_balanced
    from mcfn.runtime.stage_times import measure_stage_times

    plan = plan_balanced(TINY, seed=0, stages=2)
    parts = build_parts(plan)
    stages = {stage.service_id: stage for stage in plan.stages}
    started = time.perf_counter()
    times = measure_stage_times(parts, stages, budget_s=0.0)  # one round only
    assert time.perf_counter() - started < 5.0
    assert set(times) == set(stages)
    assert all(0 < seconds < 1.0 for seconds in times.values())


def test_the_prediction_takes_the_placed_agents_time_and_the_learnt_hop_overhead():
    from types import SimpleNamespace

    from mcfn.runtime.prediction import HopOverhead, predict, total_s

    # the router charged 0.2 s on each placed node, 0.3 s of it with contention (factor 1.5) on the second
    placed = [
        SimpleNamespace(network_s=0.010, queue_s=0.0, compute_s=0.2),
        SimpleNamespace(network_s=0.020, queue_s=0.05, compute_s=0.3),
    ]
    route = SimpleNamespace(stages=placed)
    overhead = HopOverhead()
    for measured_s in (0.013, 0.012, 0.011):
        overhead.observe("m/1", measured_s, 0.010)  # the hop into m/1 took 1-3 ms more than its link figure
    overhead.observe("m/0", 0.5, 0.01)  # one run only: not yet used
    stages = ["m/0", "m/1"]
    prediction = predict(route, stages, charged_s=[0.2, 0.2], measured_s=[0.1, 0.4], overhead=overhead)
    assert [p.compute_s for p in prediction] == pytest.approx([0.1, 0.6])  # the agent's time, its contention kept
    assert [p.network_s for p in prediction] == pytest.approx([0.010, 0.022])
    assert total_s(prediction) == pytest.approx(0.1 + 0.6 + 0.010 + 0.022 + 0.05)
    unmeasured = predict(route, stages, charged_s=[0.2, 0.2], measured_s=[None, None], overhead=HopOverhead())
    assert [p.compute_s for p in unmeasured] == [0.2, 0.3]
