"""The aware view's count of the router's own placements, its reconciliation with adverts, and tie-breaking."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.awareness import AwareView
from mcfn.compute import ComputeNode, Fleet, ServiceCatalog, Work
from mcfn.network.topology import Link, Topology
from mcfn.routing import Request, Router, make_policy
from mcfn.routing.policies import TIE_S, _nth_tied, _tied


def test_placements_take_the_slot_that_frees_first_and_queue_when_all_are_busy(make_line):
    view = AwareView(make_line(slots=2)[1])
    view.place(0, 1.0, 0.5)  # slot 0 busy [1.0, 1.5)
    view.place(0, 1.2, 0.5)  # slot 1 busy [1.2, 1.7)
    view.place(0, 1.3, 0.5)  # both busy: waits for slot 0, busy [1.5, 2.0)
    np.testing.assert_array_equal(view.slot_free_s[0], [2.0, 1.7])
    assert view.pending(0) == ((1.0, 0.5), (1.2, 0.5), (1.3, 0.5))
    assert view.pending(1) == ()


def test_the_next_decision_sees_the_last_one_queue_and_slow_down(make_line, make_router):
    topology, fleet = make_line(slots=2, degradation=0.5)
    router = make_router(topology, fleet, AwareView(fleet))
    ask = Request(service_id="svc", ingress="bs0", data_bits=1e6, work=Work(1e9), deadline_s=0.05)
    policy = make_policy("compute-aware")
    first_costs, first = router.explain(ask, policy, now_s=0.0)
    assert first.node_id == "edge0"  # input arrives at 2 ms, computes 1 ms alone
    second_costs, second = router.explain(ask, policy, now_s=0.0)
    assert second_costs.queue_s[0] == 0.0  # a second slot is free
    assert second_costs.compute_s[0] == pytest.approx(1.5 * first_costs.compute_s[0])  # beside the first: (1 + d)^1
    assert second.node_id == "edge0"  # its other slot: 2 + 1.5 + 1 ms beats edge1's 4 + 1 + 1 ms
    third_costs, _ = router.explain(ask, policy, now_s=0.0)
    assert third_costs.queue_s[0] == pytest.approx(1e-3)  # both slots busy: waits for the first to end at 3 ms


def test_an_advert_drops_the_placements_it_reflects_and_keeps_those_still_travelling(make_line):
    view = AwareView(make_line(slots=2)[1])
    view.place(0, 1.0, 0.5)  # arrived before the advert below was sent: in its state
    view.place(0, 2.0, 0.5)  # its input still on the way then: not in it
    assert view.store(0, 1.5, 0.0, 1, 1e12)
    assert view.pending(0) == ((2.0, 0.5),)
    # its busy VM holds a slot for half a task (0.25 s) after the advert; the travelling input (at 2.0) takes the
    # slot free by then that freed last (best fit): that one
    np.testing.assert_array_equal(view.slot_free_s[0], [2.5, 1.5])
    assert not view.store(0, 1.0, 5e12, 2, 1e12)  # an older advert changes nothing
    assert view.pending(0) == ((2.0, 0.5),)
    assert view.store(0, 2.5, 1e12, 2, 1e12)  # a newer one with a backlog of 1 s at its speed
    assert view.pending(0) == ()
    np.testing.assert_array_equal(view.slot_free_s[0], [3.75, 3.75])  # every slot busy, then half a task


def test_many_placements_out_of_order_are_kept_in_order_and_forgotten_as_adverts_reflect_them(make_line):
    """More placements on a node than it first has room for (compiled, a C array per node that doubles), arriving
    out of order: an advert forgets exactly those that arrived by its sending, the rest stay in placement order."""
    view = AwareView(make_line(slots=2)[1])
    arrivals = [float(a) for a in np.random.default_rng(5).permutation(40)]
    for arrival_s in arrivals:
        view.place(1, arrival_s, 0.25)
    assert view.pending(1) == tuple((a, 0.25) for a in arrivals)
    for sent_s in (9.5, 19.5, 39.5):
        assert view.store(1, sent_s, 0.0, 0, 1e12)
        assert view.pending(1) == tuple((a, 0.25) for a in arrivals if a > sent_s)
    assert view.pending(0) == ()
    view.place(1, 50.0, 1.0)  # after they were all forgotten: room reused
    assert view.pending(1) == ((50.0, 1.0),)


def test_a_placement_takes_the_slot_free_by_its_arrival_that_freed_last(make_line):
    view = AwareView(make_line(slots=3)[1])
    view.place(0, 1.0, 0.5)  # slot 0 busy until 1.5
    view.place(0, 1.2, 1.0)  # slot 1 until 2.2
    view.place(0, 3.0, 0.5)  # free by 3.0: slots 0 (1.5), 1 (2.2), 2 (never used); the latest is slot 1
    np.testing.assert_array_equal(view.slot_free_s[0], [1.5, 3.5, -np.inf])
    view.place(0, 1.6, 0.1)  # an input arriving earlier (a shorter upload) still finds slot 0 free
    np.testing.assert_allclose(view.slot_free_s[0], [1.7, 3.5, -np.inf])


def test_an_adverts_busy_vms_hold_their_slots_for_half_a_task_then_free_them(make_line):
    view = AwareView(make_line(slots=4)[1])
    assert view.store(0, 1.0, 0.0, 3, 1e12)  # no placement seen yet: no task length to go by
    np.testing.assert_array_equal(view.slot_free_s[0], [1.0, 1.0, 1.0, 1.0])
    view.place(0, 5.0, 0.2)
    view.place(0, 5.0, 0.4)  # a moving average: 0.2 + 0.05 (0.4 - 0.2)
    assert view.service_s[0] == pytest.approx(0.21)
    assert view.store(0, 6.0, 0.0, 3, 1e12)
    np.testing.assert_allclose(view.slot_free_s[0], [6.105, 6.105, 6.105, 6.0])


def symmetric_router(view_of) -> Router:
    """bs0 - agg, agg - bs1 - edge1 and agg - bs2 - edge2: two identical edges at equal distance."""
    links = [Link(a="bs0", b="agg", bandwidth_bps=1e9, delay_s=1e-3)]
    for i in (1, 2):
        links += [
            Link(a="agg", b=f"bs{i}", bandwidth_bps=1e9, delay_s=1e-3),
            Link(a=f"bs{i}", b=f"edge{i}", bandwidth_bps=1e9, delay_s=1e-3),
        ]
    roles = {"bs0": "base_station", "agg": "aggregation", "bs1": "base_station", "bs2": "base_station"}
    topology = Topology(roles=roles | {"edge1": "edge_server", "edge2": "edge_server"}, links=links)
    nodes = [
        ComputeNode.of_kind(node_id=f"edge{i}", tier="edge", kind="cpu", peak_flops_per_s=1e12, memory_bytes=1e9)
        for i in (1, 2)
    ]
    fleet = Fleet(nodes)
    return Router(topology=topology, catalog=ServiceCatalog({"svc": fleet.node_ids}), view=view_of(fleet))


def test_ties_are_broken_by_a_seeded_draw_not_by_the_first_index():
    router = symmetric_router(AwareView)
    costs = router.candidates(
        service_id="svc",
        source="bs0",
        in_bits=1e6,
        out_bits=0.0,
        work=Work(1e9),
        budget_s=1.0,
        memory_bytes=0.0,
        home="bs0",
        now_s=0.0,
    )
    assert costs.total_s[0] == costs.total_s[1]  # a prediction only: nothing placed, an exact tie every time

    def choices(seed: int) -> list[int]:
        policy = make_policy("compute-aware", np.random.default_rng(seed))
        return [policy.choose(costs) for _ in range(200)]

    assert choices(1) == choices(1)  # deterministic for a seed
    assert choices(1) != choices(2)
    assert 60 < sum(choices(1)) < 140  # both, about equally often


def test_tied_counts_the_candidates_within_the_tolerance_of_the_least():
    values = np.array([3.0, 1.0, 1.0 + TIE_S / 2, 1.0 + 2 * TIE_S, 1.0])
    mask = np.array([True, True, True, True, False])
    assert _tied(values, mask, 1, TIE_S) == 2
    assert [_nth_tied(values, mask, 1, TIE_S, n) for n in range(2)] == [1, 2]
    assert _tied(values, np.zeros(5, dtype=bool), 1, TIE_S) == 3  # an empty mask: every position
    assert _nth_tied(values, np.zeros(5, dtype=bool), 1, TIE_S, 2) == 4
