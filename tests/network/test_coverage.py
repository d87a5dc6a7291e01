"""At country scale: handover reads only the nearest stations yet decides as the all-stations computation does,
and no terminal outside coverage is served (at the seconds-long uploads its SNR would give)."""

from __future__ import annotations

import numpy as np

from mcfn.network import radio
from mcfn.network.handover import HandoverController, StationIndex, received_power_dbm
from mcfn.network.mobility import Area, CoveredArea, GaussMarkov, RandomWaypoint
from mcfn.network.topology import HexSpec, Role, hex_topology
from mcfn.sim.access import NO_SERVICE, NO_SERVICE_REASON, RadioAccess
from mcfn.sim.engine import Simulator
from mcfn.sim.run import simulate
from tests.sim.conftest import small_scenario

RADIUS_M = 500.0
HYSTERESIS_DB = 3.0


def _all_stations_a3(rx: np.ndarray, serving: np.ndarray, hysteresis_db: float) -> np.ndarray:
    """The reference: A3 (no time-to-trigger) over the full (terminals, stations) received-power matrix."""
    rows = np.arange(len(rx))
    best = np.argmax(rx, axis=1)
    return np.where(rx[rows, best] > rx[rows, serving] + hysteresis_db, best, serving)


def test_handover_on_a_large_random_layout_equals_the_all_stations_computation():
    rng = np.random.default_rng(18)
    stations = rng.uniform(0.0, 20_000.0, size=(400, 2))
    terminals = rng.uniform(-1_000.0, 21_000.0, size=(3_000, 2))
    controller = HandoverController(stations_m=stations, hysteresis_db=HYSTERESIS_DB)
    serving = controller.attach(terminals)
    np.testing.assert_array_equal(serving, np.argmax(received_power_dbm(terminals, stations, 46.0), axis=1))
    for step in range(5):
        terminals = terminals + rng.normal(0.0, 300.0, size=terminals.shape)
        expected = _all_stations_a3(received_power_dbm(terminals, stations, 46.0), serving, HYSTERESIS_DB)
        decision = controller.measure(terminals, float(step))
        np.testing.assert_array_equal(decision.serving, expected)
        np.testing.assert_array_equal(decision.handed_over, expected != serving)
        serving = expected
    assert np.any(decision.handed_over)


def test_a_measurement_asks_the_tree_only_about_terminals_that_may_have_a_new_nearest_station():
    stations = _hex_stations(4)
    rng = np.random.default_rng(7)
    terminals = stations[rng.integers(len(stations), size=2_000)] + rng.uniform(-RADIUS_M, RADIUS_M, (2_000, 2))
    controller = HandoverController(stations_m=stations, hysteresis_db=HYSTERESIS_DB)
    asked = []
    nearest = controller.index.nearest
    controller.index.nearest = lambda points, k=1: asked.append(len(points)) or nearest(points, k)
    serving = controller.attach(terminals)
    for step in range(20):  # a few metres a step, and now and then a jump across the layout
        terminals = terminals + rng.normal(0.0, 15.0, size=terminals.shape)
        terminals[rng.integers(len(terminals), size=20)] = rng.uniform(-2_000.0, 2_000.0, (20, 2))
        expected = _all_stations_a3(received_power_dbm(terminals, stations, 46.0), serving, HYSTERESIS_DB)
        decision = controller.measure(terminals, float(step))
        np.testing.assert_array_equal(decision.serving, expected)
        serving = expected
    assert asked[0] == len(terminals)  # the attachment asks about every terminal
    assert max(asked[1:]) < len(terminals) / 4  # a measurement, about the few near a cell's edge or that jumped


def _hex_stations(rings: int) -> np.ndarray:
    topology = hex_topology(HexSpec(rings=rings, cell_radius_m=RADIUS_M))
    return np.array([topology.positions_m[s] for s in topology.nodes_with_role(Role.BASE_STATION)])


def test_mobility_in_covered_area_keeps_terminals_in_coverage():
    stations = _hex_stations(6)
    index = StationIndex(stations)
    low, high = stations.min(axis=0) - RADIUS_M, stations.max(axis=0) + RADIUS_M
    bounds = Area(width_m=high[0] - low[0], height_m=high[1] - low[1], x0_m=low[0], y0_m=low[1])
    area = CoveredArea(bounds, lambda xy: index.within(xy, RADIUS_M))
    assert not np.all(index.within(bounds.uniform(2_000, np.random.default_rng(0)), RADIUS_M))  # corners exist
    model = GaussMarkov(n=2_000, area=area, rng=np.random.default_rng(1), mean_speed_mps=30.0, alpha=0.9)
    for _ in range(50):
        assert np.all(index.within(model.advance(1.0), RADIUS_M))
    waypoints = RandomWaypoint(n=2_000, area=area, rng=np.random.default_rng(2), speed_mps=(10.0, 30.0))
    assert np.all(index.within(waypoints.positions_m, RADIUS_M))


def test_a_large_layout_serves_no_terminal_outside_coverage_and_none_at_an_absurd_rate():
    scenario = small_scenario(
        network={"rings": 6, "cell_radius_m": RADIUS_M},
        radio={"hysteresis_db": HYSTERESIS_DB, "uplink_policy": "equal-bandwidth"},
        terminals={"count": 4_000, "mobility": {"model": "random-waypoint", "speed_mps": [10, 30]}},
    )
    stations = _hex_stations(6)
    sim = Simulator(seed=4)
    access = RadioAccess(sim, scenario, station_xy_m=stations, on_uploaded=lambda task, sent_s: None)
    # Served by a station at most 10^(hysteresis / slope) times farther than the nearest, itself within the radius.
    farthest_m = RADIUS_M * 10 ** (HYSTERESIS_DB / radio.PATH_LOSS_SLOPE_DB)
    r = scenario.radio
    floor_hz = radio.snr_bandwidth_hz(
        radio.dbm_to_watt(r.terminal_tx_power_dbm),
        radio.channel_gain(farthest_m),
        radio.noise_psd_w_per_hz(r.noise_psd_dbm_hz),
    )
    floor_bps = radio.shannon_rate_bps(r.bandwidth_hz, 1.0, floor_hz, 1.0)
    index = StationIndex(stations)
    for step in range(1, 20):
        sim.run(until_s=step * scenario.terminals.step_s)
        serving = np.array(access.serving)
        covered = index.within(access.positions_m, RADIUS_M)
        assert np.all((serving == NO_SERVICE) == ~covered)
        whole_band_bps = np.array([access.uplink_key(t).rate_bps(1) for t in np.flatnonzero(covered)])
        assert whole_band_bps.min() >= floor_bps * (1 - 1e-9)


def test_tasks_of_a_terminal_outside_coverage_fail_with_that_reason(tmp_path):
    trace = tmp_path / "trace.csv"
    trace.write_text("terminal,t,x,y\n0,0,10,10\n0,100,20,20\n1,0,5000,5000\n1,100,5000,5000\n", encoding="utf-8")
    scenario = small_scenario(duration_s=10, terminals={"count": 2, "mobility": {"model": "trace", "path": str(trace)}})
    run = simulate(scenario, "nearest-edge")
    terminal, status = run.columns["terminal"], run.columns["status"]
    reasons = np.array([run.reasons[r] if r >= 0 else "" for r in run.columns["reason"].tolist()])
    outside = terminal == 1
    assert outside.any()
    assert (~outside).any()
    assert np.all(reasons[outside] == NO_SERVICE_REASON)
    assert not np.any(reasons[~outside] == NO_SERVICE_REASON)
    assert run.summary["outside_coverage_share"] > 0.49
    assert status[~outside].max() == 1  # the covered terminal's tasks are served
