"""The rate-sharing station: processor sharing, the seed's parallel slowdown, FIFO slots, drops, one pending event."""

import numpy as np
import pytest

from mcfn.network.radio import shannon_rate_bps
from mcfn.network.uplink import UPLINK_POLICIES, share_uplink
from mcfn.sim.access import EQUAL_SHARES_TABULATED, uplink_keys, uplink_rule
from mcfn.sim.engine import Simulator
from mcfn.sim.sharing import EqualSharing, PolicySharing, equal_share, slowed_by_parallelism


def as_rule(rate):
    """The per-job form of an equal rate, so both station kinds run the same model."""
    return lambda keys, remaining: [rate(len(keys))] * len(keys)


@pytest.fixture(params=["equal", "policy"])
def run_jobs(request):
    def run(rate, jobs, slots=None):
        """Submit ``(at_s, job, work)``; returns job -> finish time, and the station."""
        sim = Simulator()
        finished = {}

        def done(job):
            finished[job] = sim.now

        if request.param == "equal":
            station = EqualSharing(sim, rate=rate, on_finish=done, slots=slots)
        else:
            station = PolicySharing(sim, rule=as_rule(rate), on_finish=done, slots=slots)
        for at_s, job, work in jobs:
            sim.schedule_at(at_s, station.submit, job, work)
        sim.run()
        return finished, station

    return run


def test_processor_sharing_divides_capacity_equally(run_jobs):
    finished, station = run_jobs(equal_share(1.0), [(0.0, 1, 1.0), (0.0, 2, 2.0)])
    assert finished == pytest.approx({1: 2.0, 2: 3.0})
    assert station.busy_area == pytest.approx(3.0)
    assert station.work_done == pytest.approx(3.0)


def test_late_arrival_slows_the_job_in_service(run_jobs):
    finished, _ = run_jobs(equal_share(2.0), [(0.0, 1, 2.0), (0.5, 2, 1.0)])
    # job 1 alone for 0.5 s (1 unit done), then both at rate 1: job 2 ends at 1.5, job 1 at 1.5 too
    assert finished == pytest.approx({1: 1.5, 2: 1.5})


def test_parallel_slowdown_applies_to_every_task_in_service_as_i_changes(run_jobs):
    # seed eq. 2 with d = 0.5: two tasks each run 1.5x slower; when one leaves the other speeds up
    finished, station = run_jobs(slowed_by_parallelism([1.0, 1.5]), [(0.0, 1, 1.0), (0.0, 2, 2.0)], slots=2)
    assert finished == pytest.approx({1: 1.5, 2: 2.5})
    assert station.in_service_area == pytest.approx(2 * 1.5 + 1.0)


def test_jobs_beyond_the_slots_wait_fifo(run_jobs):
    finished, _ = run_jobs(slowed_by_parallelism([1.0]), [(0.0, 1, 1.0), (0.1, 2, 1.0), (0.2, 3, 1.0)], slots=1)
    assert finished == pytest.approx({1: 1.0, 2: 2.0, 3: 3.0})


@pytest.mark.parametrize("kind", ["equal", "policy"])
def test_drop_all_cancels_the_pending_completion(kind):
    sim = Simulator()
    finished = []
    if kind == "equal":
        station = EqualSharing(sim, rate=equal_share(1.0), on_finish=finished.append, slots=1)
    else:
        station = PolicySharing(sim, rule=as_rule(equal_share(1.0)), on_finish=finished.append, slots=1)
    station.submit(1, 5.0)
    station.submit(2, 1.0)
    sim.schedule(1.0, lambda: finished.extend(sorted(station.drop_all())))
    sim.run()
    assert finished == [1, 2]
    assert station.in_service == station.queued == 0


def test_uplink_rule_gives_shannon_rates_of_the_policy_shares():
    rule = uplink_rule("equal-bandwidth", 20e6)
    snr = [1e8, 4e8]
    keys = uplink_keys(np.array(snr), 20e6)
    rates = rule(keys, [1e6, 2e6])
    assert rates == pytest.approx([float(shannon_rate_bps(10e6, 1.0, s, 1.0)) for s in snr])
    assert rule(keys[:1], [1e6]) == [float(shannon_rate_bps(20e6, 1.0, snr[0], 1.0))]
    shares = uplink_rule("min-total-time", 20e6)(keys, [1e6, 2e6])
    assert shares != pytest.approx(rates)  # another policy, other rates


@pytest.mark.parametrize("policy", sorted(UPLINK_POLICIES))
def test_rates_read_from_the_keys_are_exactly_the_computed_ones(policy):
    """The tabulated equal shares (and a lone upload's whole band) are bit-for-bit what the policy computes."""
    bandwidth_hz = 20e6
    rng = np.random.default_rng(7)
    rule = uplink_rule(policy, bandwidth_hz)
    for n in range(1, EQUAL_SHARES_TABULATED + 4):
        snr = rng.uniform(1e5, 1e11, n)
        remaining = rng.uniform(1e3, 1e7, n)
        computed = shannon_rate_bps(share_uplink(policy, bandwidth_hz, snr, remaining), 1.0, snr, 1.0)
        assert rule(uplink_keys(snr, bandwidth_hz), remaining.tolist()) == computed.tolist()
