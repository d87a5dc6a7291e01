"""Strongest-signal handover with hysteresis and time-to-trigger."""

import numpy as np

from mcfn.network.handover import HandoverController

STATIONS = np.array([[0.0, 0.0], [1000.0, 0.0]])


def test_attach_picks_the_strongest_station():
    controller = HandoverController(stations_m=STATIONS)
    np.testing.assert_array_equal(controller.attach(np.array([[100.0, 0.0], [900.0, 10.0]])), [0, 1])


def test_hysteresis_prevents_ping_pong_at_the_cell_edge():
    controller = HandoverController(stations_m=STATIONS, hysteresis_db=3.0)
    controller.attach(np.array([[400.0, 0.0]]))
    # Oscillating around the midpoint never beats the serving cell by 3 dB.
    for t, x in enumerate([490.0, 510.0, 495.0, 505.0, 520.0]):
        assert not controller.measure(np.array([[x, 0.0]]), float(t)).handed_over[0]
    decision = controller.measure(np.array([[600.0, 0.0]]), 10.0)
    assert decision.handed_over[0]
    assert decision.serving[0] == 1


def test_time_to_trigger_delays_the_handover():
    controller = HandoverController(stations_m=STATIONS, hysteresis_db=1.0, time_to_trigger_s=2.0)
    controller.attach(np.array([[100.0, 0.0]]))
    far = np.array([[800.0, 0.0]])
    assert not controller.measure(far, 0.0).handed_over[0]
    assert not controller.measure(far, 1.0).handed_over[0]
    assert controller.measure(far, 2.0).handed_over[0]
    # Leaving the condition resets the timer.
    assert not controller.measure(np.array([[100.0, 0.0]]), 3.0).handed_over[0]
