"""The event kernel: ordering, cancellation, clock, seeded streams."""

import gc
import math
import weakref

import numpy as np
import pytest

from mcfn.sim.engine import Simulator


def test_events_fire_by_time_then_priority_then_scheduling_order():
    sim = Simulator()
    fired = []
    sim.schedule(2.0, fired.append, "late")
    sim.schedule(1.0, fired.append, "b", priority=1)
    sim.schedule(1.0, fired.append, "a", priority=0)
    sim.schedule(1.0, fired.append, "c", priority=1)
    sim.schedule_at(0.5, fired.append, "first")
    assert sim.run() == 5
    assert fired == ["first", "a", "b", "c", "late"]
    assert sim.now == 2.0


def test_thousands_of_events_scheduled_while_others_fire_keep_the_order():
    """Many events at once (deep heaps: a large network keeps thousands waiting), on few distinct times and
    priorities (ties), some scheduled by events as they fire: the order is (time, priority, scheduling order)."""
    rng = np.random.default_rng(7)
    sim = Simulator()
    fired, expected = [], []

    def fire(key, spawn):
        fired.append(key)
        for _ in range(spawn):
            add(sim.now + float(rng.integers(1, 40)) / 8, 0)  # later than now: sorting them is the order

    def add(time_s, spawn):
        priority = int(rng.integers(-1, 2))
        key = (time_s, priority, len(expected))
        expected.append(key)
        sim.schedule_at(time_s, fire, key, spawn, priority=priority)

    for _ in range(3000):
        add(float(rng.integers(0, 200)) / 8, int(rng.integers(0, 2)))
    sim.run()
    assert len(fired) == len(expected) > 4000
    assert fired == sorted(expected)


def test_callbacks_can_schedule_and_cancel():
    sim = Simulator()
    fired = []

    def tick(n):
        fired.append((sim.now, n))
        if n < 3:
            sim.schedule(0.5, tick, n + 1)

    sim.schedule(0.0, tick, 0)
    doomed = sim.schedule(0.75, fired.append, "never")
    sim.cancel(doomed)
    sim.run()
    assert fired == [(0.0, 0), (0.5, 1), (1.0, 2), (1.5, 3)]


def test_cancels_of_handles_that_share_low_bits_cancel_exactly_those_events():
    """Compiled, cancelled handles are counted by their low bits: handles far apart by a multiple of the buckets,
    cancelled before, while or after they are pending, or never scheduled, cancel exactly their own events."""
    sim = Simulator()
    buckets = 1 << 14
    fired = []
    for k in range(3 * buckets):
        sim.schedule(float(k % 7), fired.append, k)
    doomed = set(range(5, 3 * buckets, 3 * buckets // 17)) | {7, 7 + buckets, 7 + 2 * buckets}
    for handle in doomed | {7 + 5 * buckets, 9 + 4 * buckets, -1}:  # and some never scheduled
        sim.cancel(handle)
    sim.cancel(7)  # twice: still one event
    sim.run(until_s=3.0)
    sim.cancel(1)  # already fired: a no-op
    sim.cancel(1 + buckets)  # pending (at 5 s), shares its low bits with the fired one
    sim.run()
    assert sorted(fired) == sorted(set(range(3 * buckets)) - doomed - {1 + buckets})


def test_run_until_stops_the_clock_at_the_bound_and_resumes():
    sim = Simulator()
    fired = []
    for t in (1.0, 2.0, 3.0):
        sim.schedule(t, fired.append, t)
    sim.run(until_s=2.5)
    assert fired == [1.0, 2.0]
    assert sim.now == 2.5
    sim.run(max_events=1)
    assert fired == [1.0, 2.0, 3.0]
    sim.run(until_s=10.0)
    assert sim.now == 10.0


def test_stop_returns_after_the_event_that_called_it_and_a_later_run_goes_on():
    sim = Simulator()
    fired = []

    def stopping(t):
        fired.append(t)
        sim.stop()

    sim.schedule(1.0, fired.append, 1.0)
    sim.schedule(2.0, stopping, 2.0)
    sim.schedule(2.0, fired.append, "same instant")
    sim.schedule(3.0, fired.append, 3.0)
    assert sim.run(until_s=10.0) == 2
    assert fired == [1.0, 2.0]
    assert sim.now == 2.0  # neither the next event's time nor the bound
    assert sim.run(until_s=10.0) == 2  # a stop does not outlive its run
    assert fired == [1.0, 2.0, "same instant", 3.0]
    assert sim.now == 10.0


@pytest.mark.parametrize("delay", [-1e-9, math.nan])
def test_scheduling_in_the_past_is_refused(delay):
    with pytest.raises(ValueError, match="past"):
        Simulator().schedule(delay, print)


def test_named_streams_are_reproducible_and_independent():
    a, b = Simulator(seed=7), Simulator(seed=7)
    np.testing.assert_array_equal(a.stream("x").random(5), b.stream("x").random(5))
    assert not np.array_equal(a.stream("x").random(5), a.stream("y").random(5))
    assert not np.array_equal(Simulator(seed=8).stream("x").random(5), b.stream("x").random(5))


def test_a_simulator_with_pending_events_is_garbage_collected():
    class Station:  # a model and its kernel refer to each other, through an event that never fires
        def __init__(self, sim: Simulator) -> None:
            self.sim = sim
            sim.schedule(1.0, self.tick)

        def tick(self) -> None:
            pass

    station = Station(Simulator())
    collected = weakref.ref(station)
    del station
    gc.collect()
    assert collected() is None
