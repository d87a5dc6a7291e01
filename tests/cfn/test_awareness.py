import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcfn.awareness import ADVERT_BYTES, PROBE_REQUEST_BYTES, Advert, AdvertPolicy, AwareView
from mcfn.awareness.view import _extrapolated, _settled_from_s
from mcfn.compute import UnknownIdError


def test_emissions_follow_the_period_with_jitter_and_loss():
    policy = AdvertPolicy(period_s=0.1, jitter_s=0.01, loss_probability=0.2)
    sent = policy.emissions(nodes=50, start_s=0.0, end_s=10.0, rng=np.random.default_rng(0))
    assert np.all(np.diff(sent.sent_s) >= 0)
    assert np.all((sent.sent_s >= 0) & (sent.sent_s < 10.0))
    per_node = np.bincount(sent.node, minlength=50)
    assert np.all((per_node >= 99) & (per_node <= 101))
    for j in range(3):
        gaps = np.diff(sent.sent_s[sent.node == j])
        assert np.all((gaps >= 0.08 - 1e-12) & (gaps <= 0.12 + 1e-12))
    assert 0.15 < 1 - sent.delivered.mean() < 0.25
    assert sent.bytes_sent == sent.node.size * ADVERT_BYTES


def test_emissions_are_reproducible_for_a_seed():
    policy = AdvertPolicy(period_s=1.0, jitter_s=0.1, loss_probability=0.5)
    a = policy.emissions(nodes=5, start_s=0.0, end_s=5.0, rng=np.random.default_rng(3))
    b = policy.emissions(nodes=5, start_s=0.0, end_s=5.0, rng=np.random.default_rng(3))
    assert np.array_equal(a.sent_s, b.sent_s)
    assert np.array_equal(a.delivered, b.delivered)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period_s": 0}, "period_s"),
        ({"period_s": 1, "jitter_s": 0.6}, "jitter_s"),
        ({"period_s": 1, "loss_probability": 1.5}, "loss_probability"),
    ],
)
def test_bad_policies(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AdvertPolicy(**kwargs)


def test_view_keeps_the_latest_advert_its_age_and_the_bytes(line):
    _, fleet = line
    view = AwareView(fleet)
    assert np.isinf(view.age_s(5.0)).all()
    assert view.receive(Advert(node_id="edge0", sent_s=2.0, queue_flops=1e9, busy_vms=1, speed_flops_per_s=1e12))
    assert not view.receive(Advert(node_id="edge0", sent_s=1.0, queue_flops=0, busy_vms=0, speed_flops_per_s=1e12))
    assert view.busy_vms[0] == 1
    assert view.age_s(5.0)[0] == pytest.approx(3.0)
    assert view.bytes_received == 2 * ADVERT_BYTES
    view.receive(Advert(node_id="edge1", sent_s=4.0, queue_flops=0, busy_vms=0, speed_flops_per_s=1e12), probe=True)
    assert view.probes == 1
    assert view.bytes_received == 3 * ADVERT_BYTES + PROBE_REQUEST_BYTES
    assert view.stale(5.0, max_age_s=2.0).tolist() == [0, 2]
    with pytest.raises(UnknownIdError, match="unknown compute node 'nope'"):
        view.receive(Advert(node_id="nope", sent_s=1.0, queue_flops=0, busy_vms=0, speed_flops_per_s=1.0))


def test_estimate_extrapolates_the_queue_from_a_stale_advert(line):
    _, fleet = line
    view = AwareView(fleet)
    view.receive(
        Advert(
            node_id="edge0",
            sent_s=1.0,
            queue_flops=1e12,
            busy_vms=2,
            speed_flops_per_s=2e12,
            arrival_flops_per_s=3e12,
        )
    )
    view.receive(Advert(node_id="edge1", sent_s=1.0, queue_flops=1e12, busy_vms=2, speed_flops_per_s=2e12))
    est = view.estimate(3.0, np.array([0, 1, 2]))
    assert est.queue_flops[0] == pytest.approx(1e12 + 2 * 1e12)  # grows at 1 TFLOP/s for 2 s
    assert est.queue_flops[1] == 0.0  # drains at 2 TFLOP/s: empty after 0.5 s, never negative
    assert est.queue_flops[2] == 0.0
    assert np.isinf(est.age_s[2])
    assert est.speed_flops_per_s[2] == pytest.approx(view.nominal_flops_per_s[2])


def test_the_estimates_settle_when_every_backlog_drains(line):
    _, fleet = line
    view = AwareView(fleet)
    assert view.steady_from_s() == -np.inf  # nothing heard: every backlog is 0 at all times
    view.receive(Advert(node_id="edge0", sent_s=1.0, queue_flops=1e12, busy_vms=1, speed_flops_per_s=2e12))
    assert view.steady_from_s() == pytest.approx(1.5)  # drains at 2 TFLOP/s
    assert view.estimate(view.steady_from_s()).queue_flops[0] == 0.0
    assert view.estimate(1.49).queue_flops[0] > 0.0
    grows = Advert(
        node_id="edge1", sent_s=1.0, queue_flops=0, busy_vms=1, speed_flops_per_s=1e12, arrival_flops_per_s=2e12
    )
    view.receive(grows)
    assert view.steady_from_s() == np.inf


#: Adverts as ``(node, sent_s, queue_flops, speed_flops_per_s, arrival_flops_per_s)``: backlogs that grow, drain or
#: stay, nodes never heard from, and adverts older than the view's.
ADVERTS = st.lists(
    st.tuples(
        st.sampled_from(["edge0", "edge1", "cloud"]),
        st.floats(0, 100),
        st.sampled_from([0.0, 1e9, 3.3e11, 7e12]),
        st.floats(0, 3e12),
        st.sampled_from([0.0, 1e12, 2.5e12]),
    ),
    max_size=6,
)


def view_after(fleet, adverts: list[tuple]) -> AwareView:
    """A view of ``fleet`` that has received ``adverts`` (:data:`ADVERTS`), in order."""
    view = AwareView(fleet)
    for node, sent_s, queue, speed, arrival in adverts:
        advert = Advert(
            node_id=node,
            sent_s=sent_s,
            queue_flops=queue,
            busy_vms=0,
            speed_flops_per_s=speed,
            arrival_flops_per_s=arrival,
        )
        view.receive(advert)
    return view


@settings(max_examples=200, deadline=None)
@given(
    adverts=ADVERTS,
    later_s=st.lists(st.floats(0, 1e6), min_size=1, max_size=5),
)
def test_after_steady_from_the_estimate_never_changes(make_line, adverts, later_s):
    view = view_after(make_line()[1], adverts)
    steady_s = view.steady_from_s()
    if steady_s == np.inf:  # a backlog grows, or drains too slowly to reach 0 in a finite float time
        drift = view.arrival_flops_per_s - view.speed_flops_per_s
        with np.errstate(divide="ignore", over="ignore"):
            endless = np.isinf(view.sent_s + view.queue_flops / -drift) & (view.queue_flops > 0) & (drift < 0)
        assert (drift > 0).any() or endless.any()
        return
    settled = view.estimate(max(steady_s, 0.0)).queue_flops
    for extra_s in later_s:
        np.testing.assert_array_equal(view.estimate(max(steady_s, 0.0) + extra_s).queue_flops, settled)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_extrapolation_is_the_numpy_expression_bit_for_bit_nan_and_inf_included(data):
    """Compiled, the view extrapolates in one typed loop: it must round exactly as the NumPy expression."""
    n = data.draw(st.integers(1, 8))
    edge = st.sampled_from([0.0, -0.0, 1.0, np.inf, -np.inf, np.nan]) | st.floats(-1e300, 1e300)
    queue, drift, sent = (np.array(data.draw(st.lists(edge, min_size=n, max_size=n))) for _ in range(3))
    now_s = data.draw(edge)
    with np.errstate(all="ignore"):  # NaN and inf on purpose
        age, backlog = _extrapolated(queue, drift, sent, now_s)
        expected_age = np.maximum(now_s - sent, 0.0)
        expected = np.maximum(queue + drift * expected_age, 0.0)
    for got, want in ((age, expected_age), (backlog, expected)):  # bit patterns, signed zeros included; NaN as one
        np.testing.assert_array_equal(*(np.where(np.isnan(v), np.nan, v).view(np.uint64) for v in (got, want)))


def numpy_settled_from_s(queue: np.ndarray, drift: np.ndarray, sent: np.ndarray) -> float:
    """:func:`_settled_from_s` as NumPy expressions (its Python form), the reference of the compiled loop."""
    if (drift > 0.0).any():
        return np.inf
    draining = (queue > 0.0) & (drift < 0.0)
    if not draining.any():
        return -np.inf
    queue, rate, sent = queue[draining], drift[draining], sent[draining]
    at_s = float(np.max(sent + queue / -rate))
    for _ in range(4):
        if not np.maximum(queue + rate * np.maximum(at_s - sent, 0.0), 0.0).any():
            return at_s
        at_s += abs(at_s) * 1e-12 + 1e-12
    return np.inf


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_settling_time_is_the_numpy_expression_bit_for_bit_nan_and_inf_included(data):
    """Compiled, the view finds when its estimates settle in typed loops: they must round as the NumPy expressions."""
    n = data.draw(st.integers(1, 8))

    def column(values: st.SearchStrategy[float]) -> np.ndarray:
        return np.array(data.draw(st.lists(values, min_size=n, max_size=n)))

    if data.draw(st.booleans()):  # any floats: NaN, inf, signed zeros, overflow
        edge = st.sampled_from([0.0, -0.0, 1.0, 1e-300, np.inf, -np.inf, np.nan]) | st.floats(-1e300, 1e300)
        queue, drift, sent = column(edge), column(edge), column(edge)
    else:  # as adverts make them: backlogs that drain, so that most settle at a finite time
        queue, drift, sent = column(st.floats(0.0, 1e13)), -column(st.floats(0.0, 1e13)), column(st.floats(0.0, 1e4))
    with np.errstate(all="ignore"):  # NaN, inf and overflow on purpose
        got, want = _settled_from_s(queue, drift, sent), numpy_settled_from_s(queue, drift, sent)
    assert np.array([got]).view(np.uint64) == np.array([want]).view(np.uint64) or (np.isnan(got) and np.isnan(want))


@settings(max_examples=200, deadline=None)
@given(
    adverts=ADVERTS,
    now_s=st.floats(0, 1e6) | st.sampled_from([np.inf, np.nan]),
)
def test_queue_seconds_are_the_estimate_over_its_speed_bit_for_bit(make_line, adverts, now_s):
    """:meth:`AwareView.queue_s` skips building the estimate (compiled, one typed loop): same numbers, bit for bit."""
    view = view_after(make_line()[1], adverts)
    with np.errstate(all="ignore"):  # a never-heard node: its age is inf, its drift -inf
        estimate = view.estimate(now_s)
        expected = estimate.queue_flops / estimate.speed_flops_per_s
        got = view.queue_s(now_s)
    np.testing.assert_array_equal(*(np.where(np.isnan(v), np.nan, v).view(np.uint64) for v in (got, expected)))


def test_storing_an_adverts_fields_is_receiving_it(line):
    _, fleet = line
    received, stored = AwareView(fleet), AwareView(fleet)
    for node, sent_s, speed in [("edge1", 2.0, 3e12), ("edge1", 1.0, 5e12), ("cloud", 4.0, 0.0)]:
        advert = Advert(node_id=node, sent_s=sent_s, queue_flops=7e11, busy_vms=3, speed_flops_per_s=speed)
        assert received.receive(advert) == stored.store(fleet.index[node], sent_s, 7e11, 3, speed)
    for name in ("sent_s", "queue_flops", "busy_vms", "speed_flops_per_s", "arrival_flops_per_s"):
        np.testing.assert_array_equal(getattr(stored, name), getattr(received, name), err_msg=name)
    assert (stored.version, stored.adverts_received, stored.bytes_received) == (2, 3, 3 * ADVERT_BYTES)
    assert (received.version, received.adverts_received, received.bytes_received) == (2, 3, 3 * ADVERT_BYTES)
