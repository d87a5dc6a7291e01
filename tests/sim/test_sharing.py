"""The rate-sharing station: processor sharing, the seed's parallel slowdown, FIFO slots, drops, one pending event."""

import heapq

import numpy as np
import pytest

from mcfn.network.radio import shannon_rate_bps
from mcfn.network.uplink import UPLINK_POLICIES, share_uplink
from mcfn.sim.access import EQUAL_SHARES_TABULATED, RadioAccess, uplink_keys, uplink_rule
from mcfn.sim.engine import Simulator
from mcfn.sim.sharing import EqualSharing, PolicySharing, equal_share, slowed_by_parallelism
from mcfn.sim.world import build_world
from tests.sim.conftest import small_scenario


def as_rule(rate):
    """The per-job form of an equal rate, so both station kinds run the same model."""
    return lambda keys, remaining: [rate(len(keys))] * len(keys)


def station_of(kind, sim, rate, on_finish, **options):
    """A station of ``kind`` (equal or per-job rates) running the same equal-rate model."""
    if kind == "equal":
        return EqualSharing(sim, rate=rate, on_finish=on_finish, **options)
    return PolicySharing(sim, rule=as_rule(rate), on_finish=on_finish, **options)


@pytest.fixture(params=["equal", "policy"])
def run_jobs(request):
    def run(rate, jobs, slots=None, delay_s=0.0):
        """Submit ``(at_s, job, work)``; returns job -> (time it left, time its service ended), and the station."""
        sim = Simulator()
        finished = {}

        def done(job, served_s):
            finished[job] = (sim.now, served_s)

        station = station_of(request.param, sim, rate, done, slots=slots, delay_s=delay_s)
        for at_s, job, work in jobs:
            sim.schedule_at(at_s, station.submit, job, work)
        sim.run()
        return finished, station

    return run


def left_at(finished):
    return {job: left_s for job, (left_s, _) in finished.items()}


def served_at(finished):
    return {job: served_s for job, (_, served_s) in finished.items()}


def test_processor_sharing_divides_capacity_equally(run_jobs):
    finished, station = run_jobs(equal_share(1.0), [(0.0, 1, 1.0), (0.0, 2, 2.0)])
    assert left_at(finished) == served_at(finished) == pytest.approx({1: 2.0, 2: 3.0})
    assert station.busy_area == pytest.approx(3.0)
    assert station.work_done == pytest.approx(3.0)


def test_late_arrival_slows_the_job_in_service(run_jobs):
    finished, _ = run_jobs(equal_share(2.0), [(0.0, 1, 2.0), (0.5, 2, 1.0)])
    # job 1 alone for 0.5 s (1 unit done), then both at rate 1: job 2 ends at 1.5, job 1 at 1.5 too
    assert left_at(finished) == pytest.approx({1: 1.5, 2: 1.5})


def test_parallel_slowdown_applies_to_every_task_in_service_as_i_changes(run_jobs):
    # seed eq. 2 with d = 0.5: two tasks each run 1.5x slower; when one leaves the other speeds up
    finished, station = run_jobs(slowed_by_parallelism([1.0, 1.5]), [(0.0, 1, 1.0), (0.0, 2, 2.0)], slots=2)
    assert left_at(finished) == pytest.approx({1: 1.5, 2: 2.5})
    assert station.in_service_area == pytest.approx(2 * 1.5 + 1.0)


def test_jobs_beyond_the_slots_wait_fifo(run_jobs):
    finished, _ = run_jobs(slowed_by_parallelism([1.0]), [(0.0, 1, 1.0), (0.1, 2, 1.0), (0.2, 3, 1.0)], slots=1)
    assert left_at(finished) == pytest.approx({1: 1.0, 2: 2.0, 3: 3.0})


def test_a_job_leaves_its_delay_after_its_service_and_frees_its_share_at_once(run_jobs):
    # job 1 (1 unit) and job 2 (2 units) share rate 1: service ends at 2 and 3 as without a delay; they leave
    # 0.5 s later; job 3 arrives at 2.2, after job 1's service, so it shares only with job 2
    jobs = [(0.0, 1, 1.0), (0.0, 2, 2.0), (2.2, 3, 0.5)]
    finished, station = run_jobs(equal_share(1.0), jobs, delay_s=0.5)
    # job 2 has 0.8 left at 2.2; both at 0.5: job 3 ends at 3.2, then job 2 alone has 0.3 left, ends at 3.5
    assert served_at(finished) == pytest.approx({1: 2.0, 2: 3.5, 3: 3.2})
    assert left_at(finished) == pytest.approx({1: 2.5, 2: 4.0, 3: 3.7})
    assert station.busy_area == pytest.approx(3.5)
    assert station.work_done == pytest.approx(3.5)


def test_jobs_leave_in_the_order_their_service_ended_however_many_are_on_their_way(run_jobs):
    """A long delay keeps up to 7 jobs on their way at once while others arrive and leave (the compiled ring of
    leaving jobs grows and wraps round): each leaves ``delay_s`` after its service, in that order."""
    rate, delay_s = 1.0, 3.3
    jobs = [(0.4 * k, k, 0.1 + 0.05 * (k % 3)) for k in range(60)]  # served alone: ends at 0.4 k + work
    finished, _ = run_jobs(equal_share(rate), jobs, delay_s=delay_s)
    expected = {k: at_s + work / rate for at_s, k, work in jobs}
    assert served_at(finished) == pytest.approx(expected)
    assert left_at(finished) == pytest.approx({k: s + delay_s for k, s in expected.items()})
    assert list(finished) == [k for _, k, _ in jobs]  # dicts keep the order the jobs left in


@pytest.mark.parametrize("kind", ["equal", "policy"])
def test_drop_all_cancels_the_pending_completion(kind):
    sim = Simulator()
    finished = []
    station = station_of(kind, sim, equal_share(1.0), lambda job, _: finished.append(job), slots=1)
    station.submit(1, 5.0)
    station.submit(2, 1.0)
    sim.schedule(1.0, lambda: finished.extend(sorted(station.drop_all())))
    sim.run()
    assert finished == [1, 2]
    assert station.in_service == station.queued == 0


@pytest.mark.parametrize("kind", ["equal", "policy"])
def test_drop_all_keeps_the_jobs_already_served(kind):
    """A job whose service has ended is on its way (e.g. propagating): a failure of the station does not stop it."""
    sim = Simulator()
    left = []
    station = station_of(kind, sim, equal_share(1.0), lambda job, served_s: left.append((job, sim.now)), delay_s=1.0)
    station.submit(1, 1.0)
    station.submit(2, 4.0)
    dropped = []
    sim.schedule(2.5, lambda: dropped.extend(station.drop_all()))  # job 1 was served at 2.0 and leaves at 3.0
    sim.run()
    assert dropped == [2]
    assert left == [(1, pytest.approx(3.0))]
    assert station.in_service == 0


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


def test_an_uploads_key_keeps_the_rates_of_the_step_it_started_in():
    """An upload keeps its SNR (uploads last milliseconds, a step a second): its key reads the table of the step it
    started in, not the one the access refreshes at the next step."""
    scenario = small_scenario()
    sim = Simulator(seed=1)
    access = RadioAccess(
        sim, scenario, station_xy_m=build_world(scenario).station_xy_m, on_uploaded=lambda task, sent_s: None
    )
    terminals = range(scenario.terminals.count)
    keys = [access.uplink_key(t) for t in terminals]
    before = [(key.snr_hz(), key.rate_bps(1), key.rate_bps(EQUAL_SHARES_TABULATED)) for key in keys]
    sim.run(until_s=scenario.terminals.step_s)
    assert [(key.snr_hz(), key.rate_bps(1), key.rate_bps(EQUAL_SHARES_TABULATED)) for key in keys] == before
    assert [access.uplink_snr_hz(t) for t in terminals] != [snr_hz for snr_hz, _, _ in before]  # they moved


def test_an_equal_sharing_station_keeps_its_jobs_in_heapq_order():
    """Compiled, the station's heap is an array of C structs: the jobs finish, and a failure drops them, in the
    order of a ``heapq`` of ``(finish, job)`` tuples (ties by job id), which the Python form keeps."""
    sim = Simulator()
    finished: list[int] = []
    station = EqualSharing(sim, rate=equal_share(1.0), on_finish=lambda job, _served_s: finished.append(job))
    rng = np.random.default_rng(3)
    reference: list[tuple[float, int]] = []
    for job in rng.permutation(300).tolist():
        work = float(rng.integers(1, 40))  # few values: many ties
        station.submit(job, work)
        heapq.heappush(reference, (work, job))  # all start at 0: each finishes when the attained service is its work
    sim.run(until_s=4_000.0)
    assert finished == [heapq.heappop(reference)[1] for _ in finished]
    assert 50 < len(finished) < 250
    assert station.drop_all() == [job for _, job in reference]


def test_an_equal_sharing_station_asks_its_rate_once_per_count_of_jobs_in_service():
    """Compiled, ``rate(n)`` for few jobs is kept in the station's own C fields and for more in a list: both give
    processor sharing's finish times, and the rate is asked once per count however often that count recurs."""
    asked: list[int] = []

    def rate(n):
        asked.append(n)
        return 1.0 / n  # a unit of work per second, shared equally

    sim = Simulator()
    left: dict[int, float] = {}
    station = EqualSharing(sim, rate=rate, on_finish=lambda job, _served_s: left.__setitem__(job, sim.now))
    for round_s in (0.0, 100.0):  # 12 jobs at once, twice: every count from 12 down to 1 recurs
        for job in range(12):
            sim.schedule_at(round_s, station.submit, int(round_s) + job, float(job + 1))
    sim.run()
    # work k + 1 finishes when the k + 1 jobs of work up to it are through: sum of min(work, k + 1) over all jobs
    expected = {job: sum(min(w + 1, job + 1) for w in range(12)) for job in range(12)}
    for round_s in (0, 100):
        assert {job: left[round_s + job] - round_s for job in range(12)} == pytest.approx(expected, rel=1e-12)
    assert sorted(asked) == list(range(1, 13))


def test_a_rate_rule_reads_the_keys_and_the_work_left_of_the_jobs_in_service_in_order():
    """Compiled, the work left lives in the station's C array and the rule reads it through a sequence view: the
    same values, in arrival order, indexable from either end."""
    seen = []

    def rule(keys, remaining):
        seen.append((list(keys), list(remaining), remaining[-1], len(remaining)))
        return [1.0] * len(keys)  # one unit per second each, not shared

    sim = Simulator()
    station = PolicySharing(sim, rule=rule, on_finish=lambda _job, _served_s: None)
    sim.schedule_at(0.0, station.submit, 1, 4.0, "a")
    sim.schedule_at(1.0, station.submit, 2, 2.0, "b")
    sim.run()
    assert seen == [(["a"], [4.0], 4.0, 1), (["a", "b"], [3.0, 2.0], 2.0, 2), (["a"], [1.0], 1.0, 1)]
    assert sim.now == 4.0
