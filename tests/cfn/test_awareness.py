import numpy as np
import pytest

from mcfn.awareness import ADVERT_BYTES, PROBE_REQUEST_BYTES, Advert, AdvertPolicy, AwareView
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


def test_estimate_drains_the_queue_of_a_stale_advert(line):
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
    est = view.estimate(1.25, np.array([0, 1, 2]))
    # drains at 2 TFLOP/s; the arrival rate is not extrapolated (the router counts its own placements instead)
    np.testing.assert_allclose(est.queue_flops[:2], [5e11, 5e11])
    assert view.estimate(3.0).queue_flops[0] == 0.0  # empty after 0.5 s, never negative
    assert est.queue_flops[2] == 0.0
    assert np.isinf(est.age_s[2])
    assert est.speed_flops_per_s[2] == pytest.approx(view.nominal_flops_per_s[2])


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
