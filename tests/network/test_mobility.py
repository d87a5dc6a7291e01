"""Mobility models stay in their area, honour their parameters and are reproducible."""

import numpy as np
import pytest

from mcfn.network.mobility import Area, GaussMarkov, RandomWaypoint, TraceMobility

AREA = Area(width_m=500.0, height_m=300.0)


def _inside(xy, area=AREA):
    return np.all((xy[:, 0] >= area.x0_m - 1e-9) & (xy[:, 0] <= area.x0_m + area.width_m + 1e-9)) and np.all(
        (xy[:, 1] >= area.y0_m - 1e-9) & (xy[:, 1] <= area.y0_m + area.height_m + 1e-9)
    )


def test_random_waypoint_moves_within_speed_bounds_and_area():
    model = RandomWaypoint(n=200, area=AREA, rng=np.random.default_rng(0), speed_mps=(1.0, 2.0), pause_s=5.0)
    previous = model.positions_m.copy()
    paused_seen = False
    for _ in range(600):
        xy = model.advance(1.0)
        step = np.hypot(*(xy - previous).T)
        assert np.all(step <= 2.0 + 1e-9)
        paused_seen |= bool(np.any(step == 0))
        assert _inside(xy)
        previous = xy.copy()
    assert paused_seen


def test_random_waypoint_is_reproducible():
    runs = []
    for _ in range(2):
        model = RandomWaypoint(n=10, area=AREA, rng=np.random.default_rng(3))
        for _ in range(50):
            model.advance(0.5)
        runs.append(model.positions_m.copy())
    np.testing.assert_array_equal(*runs)


def test_gauss_markov_reverts_to_the_mean_speed_and_stays_inside():
    model = GaussMarkov(n=500, area=AREA, rng=np.random.default_rng(1), mean_speed_mps=3.0, alpha=0.8)
    speeds = []
    for _ in range(400):
        assert _inside(model.advance(1.0))
        speeds.append(model.speeds_mps.mean())
    assert np.mean(speeds[100:]) == pytest.approx(3.0, rel=0.05)


def test_gauss_markov_with_full_memory_moves_straight():
    model = GaussMarkov(n=1, area=Area(1e6, 1e6, -5e5, -5e5), rng=np.random.default_rng(2), alpha=1.0)
    start = model.positions_m.copy()
    for _ in range(10):
        model.advance(1.0)
    assert np.hypot(*(model.positions_m - start)[0]) == pytest.approx(10.0)


def test_trace_is_interpolated_and_held(tmp_path):
    path = tmp_path / "trace.csv"
    path.write_text("terminal,t,x,y\na,0,0,0\na,10,100,0\nb,0,5,5\nb,4,5,45\n")
    model = TraceMobility.from_csv(path)
    np.testing.assert_allclose(model.advance(2.0), [[20, 0], [5, 25]])
    np.testing.assert_allclose(model.advance(20.0), [[100, 0], [5, 45]])


@pytest.mark.parametrize(
    ("text", "message"),
    [("t,x\n0,1\n", "columns t,x,y"), ("t,x,y\n0,1,oops\n", "must be numbers"), ("t,x,y\n1,0,0\n0,1,1\n", "increase")],
)
def test_bad_traces_are_named(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        TraceMobility.from_csv(path)
