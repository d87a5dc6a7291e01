import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcfn.awareness import Advert, AwareView
from mcfn.compute import ComputeNode, Fleet, ServiceCatalog, UnknownIdError, Work
from mcfn.routing import POLICIES, Request, Router, SplitRequest, Stage, make_policy
from mcfn.routing.costs import Demand, Instances, Transfers, predict
from mcfn.routing.policies import TIE_S, _argmin_within


def request(**kw) -> Request:
    args = {"service_id": "svc", "ingress": "bs0", "data_bits": 1e6, "work": Work(1e9), "deadline_s": 0.05}
    return Request(**(args | kw))


def test_known_answer_fresh_idle_view(line, make_router):
    router = make_router(*line)
    costs, route = router.explain(request(), make_policy("compute-aware"), now_s=0.0)
    # network = propagation + 1 Mbit at 1 Gb/s; compute = 1 GFLOP at 1 TFLOP/s (edges) or 100 TFLOP/s (cloud)
    np.testing.assert_allclose(costs.network_s, [1e-3 + 1e-3, 3e-3 + 1e-3, 21e-3 + 1e-3])
    np.testing.assert_allclose(costs.compute_s, [1e-3, 1e-3, 1e-5])
    np.testing.assert_allclose(costs.queue_s, 0.0)
    assert route.node_id == "edge0"
    assert route.path == ("bs0", "edge0")
    assert route.latency_s == pytest.approx(3e-3)
    assert route.meets_deadline
    assert not route.cloud_fallback
    assert route.reason is None


def test_a_queue_and_busy_vms_move_the_choice_to_the_next_edge(line, make_router):
    topology, fleet = line
    view = AwareView(fleet)
    view.receive(Advert(node_id="edge0", sent_s=0.0, queue_flops=1e10, busy_vms=2, speed_flops_per_s=1e12))
    router = make_router(topology, fleet, view)
    costs, route = router.explain(request(), make_policy("compute-aware"), now_s=0.0)
    assert costs.queue_s[0] == pytest.approx(0.01 - 0.002)  # the backlog drains while the input travels (2 ms)
    assert route.node_id == "edge1"
    assert route.path == ("bs0", "agg", "bs1", "edge1")
    assert router.route(request(), make_policy("nearest-edge"), now_s=0.0).node_id == "edge0"
    assert router.route(request(), make_policy("least-loaded"), now_s=0.0).node_id == "edge1"


def test_parallel_slowdown_enters_the_compute_time(make_line, make_router):
    topology, fleet = make_line(slots=4, degradation=0.5)
    busy = AwareView(fleet)
    busy.place(0, -1.0, 0.02)  # tasks of 20 ms: the advert's busy VMs hold their slots 10 ms after it
    busy.receive(Advert(node_id="edge0", sent_s=0.0, queue_flops=0, busy_vms=2, speed_flops_per_s=1e12))
    costs, _ = make_router(topology, fleet, busy).explain(request(), make_policy("compute-aware"), now_s=0.0)
    assert costs.compute_s[0] == pytest.approx(1e-3 * 1.5**2)  # third VM on the node: (1 + d)^(3 - 1)


@pytest.mark.parametrize("deadline_s", [2.5e-3, 3e-3, 4.9e-3, 5e-3, 10e-3, 0.0221, 0.03])
def test_cloud_fallback_exactly_when_no_edge_but_the_cloud_meets_the_deadline(make_line, make_router, deadline_s):
    topology, fleet = make_line(edge_flops=(1e12, 1e12))
    route = make_router(topology, fleet).route(request(deadline_s=deadline_s), make_policy("compute-aware"), now_s=0)
    assert route.node_id == "edge0"  # within the budget, or the fastest when nothing meets it
    assert not route.cloud_fallback  # the cloud (22 ms) meets no budget that no edge (3 ms) meets
    assert route.meets_deadline is (deadline_s >= 3e-3)


@pytest.mark.parametrize("deadline_s", [0.03, 0.5])
def test_the_cloud_serves_what_only_it_can_meet(make_line, make_router, deadline_s):
    topology, fleet = make_line(edge_flops=(1e10, 1e10))  # 102 ms on edge0, 22 ms in the cloud
    route = make_router(topology, fleet).route(request(deadline_s=deadline_s), make_policy("compute-aware"), now_s=0)
    assert route.node_id == "cloud"  # the fastest that meets the budget
    assert route.meets_deadline
    assert route.cloud_fallback is (deadline_s < 0.102)
    expected = "no edge instance meets" if route.cloud_fallback else "the cloud is predicted faster"
    assert expected in route.reason


def test_changing_a_link_changes_the_route(line, make_router):
    topology, fleet = line
    router = make_router(topology, fleet)
    assert router.route(request(), make_policy("compute-aware"), now_s=0).node_id == "edge0"
    topology.update_link("bs0", "edge0", bandwidth_bps=1e6)  # 1 s to upload 1 Mbit
    assert router.route(request(), make_policy("compute-aware"), now_s=0).node_id == "edge1"


# --- every policy through the same invariants (conformance) --------------------------------------------------
@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("now_s", [0.0, 1e6])
def test_every_policy_returns_a_hosted_node_on_a_real_path(line, make_router, name, now_s):
    topology, fleet = line
    view = AwareView(fleet)
    view.receive(Advert(node_id="edge1", sent_s=0.0, queue_flops=1e12, busy_vms=2, speed_flops_per_s=1e11))
    router = make_router(topology, fleet, view)
    policy = make_policy(name, np.random.default_rng(1))
    for _ in range(5):
        route = router.route(request(), policy, now_s=now_s)  # now_s = 1e6: a very stale view
        assert route.node_id in fleet.node_ids
        assert route.path[0] == "bs0"
        assert route.path[-1] == route.node_id
        for a, b in zip(route.path, route.path[1:], strict=False):
            assert b in topology.neighbours(a)
        assert np.isfinite(route.latency_s)
        assert route.latency_s == pytest.approx(route.network_s + route.queue_s + route.compute_s)
        assert (route.reason is not None) is (route.node_id == "cloud")


def test_round_robin_and_random_spread_requests(line, make_router):
    router = make_router(*line)
    rr = make_policy("round-robin")
    assert [router.route(request(), rr, now_s=0).node_id for _ in range(4)] == ["edge0", "edge1", "cloud", "edge0"]
    picks = {
        router.route(request(), make_policy("random", np.random.default_rng(s)), now_s=0).node_id for s in range(30)
    }
    assert picks == {"edge0", "edge1", "cloud"}
    assert router.route(request(), make_policy("cloud-only"), now_s=0).node_id == "cloud"


# --- the compute-aware property: never worse than another feasible node under a fresh view ------------------
@settings(max_examples=150, deadline=None)
@given(
    edge_flops=st.tuples(*[st.floats(1e10, 1e13)] * 2),
    queues=st.tuples(*[st.floats(0, 1e12)] * 3),
    busy=st.tuples(*[st.integers(0, 3)] * 3),
    flops=st.floats(1e6, 1e12),
    data_bits=st.floats(0, 1e8),
    deadline_s=st.floats(1e-3, 2.0),
    ingress=st.sampled_from(["bs0", "bs1"]),
)
def test_compute_aware_is_optimal_among_feasible_nodes(
    make_line, make_router, edge_flops, queues, busy, flops, data_bits, deadline_s, ingress
):
    topology, fleet = make_line(edge_flops=edge_flops)
    view = AwareView(fleet)
    for node, q, b in zip(fleet.node_ids, queues, busy, strict=True):
        view.receive(Advert(node_id=node, sent_s=5.0, queue_flops=q, busy_vms=b, speed_flops_per_s=1e12))
    router = make_router(topology, fleet, view)
    req = request(ingress=ingress, data_bits=data_bits, work=Work(flops), deadline_s=deadline_s)
    costs, route = router.explain(req, make_policy("compute-aware"), now_s=5.0)
    chosen = fleet.node_ids.index(route.node_id)
    assert route.latency_s == pytest.approx(costs.total_s[chosen])
    if costs.feasible.any():
        assert route.latency_s <= costs.total_s[costs.feasible].min() * (1 + 1e-12) + TIE_S
    edge_feasible = bool((costs.feasible & ~costs.is_cloud).any())
    assert route.cloud_fallback is (not edge_feasible and bool(costs.is_cloud[chosen]))
    if not costs.feasible.any():  # nothing meets the budget: the fastest of all
        assert route.latency_s <= costs.total_s.min() * (1 + 1e-12) + TIE_S
    if edge_feasible:
        assert route.meets_deadline
        assert route.latency_s == pytest.approx(costs.total_s[costs.feasible].min(), abs=TIE_S)


# --- split requests --------------------------------------------------------------------------------------------
def test_split_request_routes_each_stage_and_moves_data_on_real_paths(line):
    topology, fleet = line
    catalog = ServiceCatalog({"head": ["edge0"], "tail": ["edge1", "cloud"]})
    router = Router(topology=topology, catalog=catalog, view=AwareView(fleet))
    split = SplitRequest(
        ingress="bs0",
        data_bits=1e6,
        stages=(
            Stage(service_id="head", work=Work(1e9), output_bits=2e6),
            Stage(service_id="tail", work=Work(1e9), output_bits=1e3),
        ),
        deadline_s=0.05,
    )
    staged = router.route_stages(split, make_policy("compute-aware"), now_s=0)
    head, tail = staged.stages
    assert head.node_id == "edge0"
    assert tail.node_id == "edge1"
    assert tail.path == ("edge0", "bs0", "agg", "bs1", "edge1")
    assert staged.return_path == ("edge1", "bs1", "agg", "bs0")
    assert head.network_s == pytest.approx(2e-3)
    assert tail.network_s == pytest.approx((4e-3 + 2e6 / 1e9) + (3e-3 + 1e3 / 1e9))
    assert tail.budget_s == pytest.approx(0.05 - head.latency_s)
    assert staged.latency_s == pytest.approx(head.latency_s + tail.latency_s)
    assert staged.meets_deadline


# --- bad input -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data_bits": -1.0}, "data_bits must be finite and >= 0"),
        ({"deadline_s": 0.0}, "deadline_s must be positive"),
        ({"result_bits": float("inf")}, "result_bits"),
    ],
)
def test_bad_requests_are_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        request(**change)


def test_bad_routing_input_names_the_problem(line, make_router):
    router = make_router(*line)
    with pytest.raises(UnknownIdError, match="unknown service 'nope'; known: svc"):
        router.route(request(service_id="nope"), make_policy("compute-aware"), now_s=0)
    with pytest.raises(ValueError, match="ingress 'edge0' is not a base station"):
        router.route(request(ingress="edge0"), make_policy("compute-aware"), now_s=0)
    with pytest.raises(UnknownIdError, match="unknown routing policy 'best'"):
        make_policy("best")
    with pytest.raises(ValueError, match="stage"):
        SplitRequest(ingress="bs0", data_bits=1.0, stages=(), deadline_s=1.0)


# --- stale views: worse decisions, never a crash -------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(
    true_queues=st.tuples(*[st.floats(0, 1e11)] * 3),
    old_queues=st.tuples(*[st.floats(0, 1e11)] * 3),
    heard=st.tuples(*[st.booleans()] * 3),
    age_s=st.floats(0, 1e4),
    deadline_s=st.floats(1e-3, 0.5),
)
def test_a_stale_view_never_beats_a_fresh_one_and_never_crashes(
    make_line, make_router, true_queues, old_queues, heard, age_s, deadline_s
):
    topology, fleet = make_line()
    fresh, stale = AwareView(fleet), AwareView(fleet)
    for node, q_now, q_old, known in zip(fleet.node_ids, true_queues, old_queues, heard, strict=True):
        fresh.receive(Advert(node_id=node, sent_s=age_s, queue_flops=q_now, busy_vms=0, speed_flops_per_s=1e12))
        if known:
            stale.receive(Advert(node_id=node, sent_s=0.0, queue_flops=q_old, busy_vms=0, speed_flops_per_s=1e12))
    req = request(deadline_s=deadline_s)
    truth, best = make_router(topology, fleet, fresh).explain(req, make_policy("compute-aware"), now_s=age_s)
    guess = make_router(topology, fleet, stale).route(req, make_policy("compute-aware"), now_s=age_s)
    assert guess.node_id in fleet.node_ids
    assert np.isfinite(guess.latency_s)
    if truth.feasible.any():
        true_latency_of_guess = truth.total_s[fleet.node_ids.index(guess.node_id)]
        assert true_latency_of_guess >= truth.total_s[truth.feasible].min() * (1 - 1e-12)
        assert best.latency_s <= truth.total_s[truth.feasible].min() * (1 + 1e-12) + TIE_S


def test_predicted_compute_time_is_the_nodes_own(line, make_router):
    topology, fleet = line
    view = AwareView(fleet)
    view.receive(Advert(node_id="edge1", sent_s=0.0, queue_flops=0, busy_vms=1, speed_flops_per_s=1e12))
    work = Work({"conv": 3e9, "elementwise": 1e8})
    costs, _ = make_router(topology, fleet, view).explain(request(work=work), make_policy("random"), now_s=0.0)
    expected = [node.compute_time_s(work, parallel=b + 1) for node, b in zip(fleet.nodes, (0, 1, 0), strict=True)]
    np.testing.assert_allclose(costs.compute_s, expected)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 1.0, 2.0, np.inf, np.nan]) | st.floats(-1e3, 1e3), st.booleans()),
        min_size=1,
        max_size=10,
    )
)
def test_argmin_within_is_the_masked_argmin_ties_nan_and_inf_included(cells):
    values = np.array([v for v, _ in cells])
    mask = np.array([m for _, m in cells])
    expected = np.where(mask, values, np.inf).argmin() if mask.any() else values.argmin()
    assert _argmin_within(values, mask) == expected


#: Floats that round, overflow and propagate: NaN, ±inf, signed zeros, ties and huge magnitudes.
EDGE_FLOATS = st.sampled_from([0.0, -0.0, 1.0, 2.0, np.inf, -np.inf, np.nan]) | st.floats(-1e300, 1e300)


def bits(values: np.ndarray) -> np.ndarray:
    """The IEEE bit patterns of float64 ``values``, signed zeros included; every NaN as one (of two NaN operands, IEEE
    arithmetic may return either, and so may a C compiler's)."""
    return np.where(np.isnan(values), np.nan, values).view(np.uint64)


def random_view(data, fleet_size: int) -> AwareView:
    """A view of ``fleet_size`` nodes (1 to 6 VM slots, random degradation) after random adverts and placements."""
    slots = data.draw(st.lists(st.integers(1, 6), min_size=fleet_size, max_size=fleet_size))
    degradation = data.draw(st.lists(st.floats(0, 1), min_size=fleet_size, max_size=fleet_size))
    fleet = Fleet(
        ComputeNode.of_kind(
            node_id=f"n{j}", tier="edge", kind="cpu", peak_flops_per_s=1e12, memory_bytes=1e9, vm_slots=s, degradation=d
        )
        for j, (s, d) in enumerate(zip(slots, degradation, strict=True))
    )
    view = AwareView(fleet)
    times = st.floats(0, 10)
    for _ in range(data.draw(st.integers(0, 12))):
        j = data.draw(st.integers(0, fleet_size - 1))
        if data.draw(st.booleans()):
            view.store(
                j, data.draw(times), data.draw(st.sampled_from([0.0, 1e9, 3e11])), data.draw(st.integers(0, 6)), 1e12
            )
        else:
            view.place(j, data.draw(times), data.draw(st.floats(0, 1)))
    return view


def random_prediction(data) -> dict:
    """The inputs of one :func:`predict` over random candidates and a random view, NaN and inf included where a
    prediction may meet them (no path: an infinite transfer)."""
    fleet = data.draw(st.integers(1, 6))
    n = data.draw(st.integers(1, 8))
    nodes = np.array(data.draw(st.lists(st.integers(0, fleet - 1), min_size=n, max_size=n)), dtype=np.int64)
    column = st.lists(EDGE_FLOATS, min_size=n, max_size=n).map(np.array)
    transfer = st.lists(st.floats(0, 1) | st.just(np.inf), min_size=n, max_size=n).map(np.array)
    flags = st.lists(st.booleans(), min_size=n, max_size=n).map(np.array)
    network, delay, ahead, alone, fits, cloud = (data.draw(s) for s in (column, column, column, column, flags, flags))
    return {
        "instances": Instances(nodes, nodes, alone[:, None], np.ones(n), np.zeros(n), np.ones(n), cloud, ~cloud),
        "transfers": Transfers(network, data.draw(transfer), delay, ahead),
        "demand": Demand(alone, fits),
        "view": random_view(data, fleet),
        "start_s": data.draw(st.floats(0, 10)),
        "budget_s": data.draw(EDGE_FLOATS),
    }


def reference_prediction(inputs: dict) -> tuple[np.ndarray, ...]:
    """Queue, compute, total seconds and busy share of :func:`predict`'s formula, candidate by candidate."""
    view, transfers, demand = inputs["view"], inputs["transfers"], inputs["demand"]
    queue, compute, total, busy_share = [], [], [], []
    for i, j in enumerate(inputs["instances"].nodes):
        slots = int(view.vm_slots[j])
        free = view.slot_free_s[j, :slots]
        arrival_s = inputs["start_s"] + transfers.in_s[i]
        wait_s = free.min() - arrival_s
        begin_s = free.min() if wait_s > 0 else arrival_s
        busy = int(np.count_nonzero(free > begin_s))
        queue.append(wait_s if wait_s > 0 else 0.0)
        compute.append(demand.alone_s[i] * view.slowdown[j, min(busy + 1, slots) - 1])
        total.append(transfers.network_s[i] + queue[-1] + compute[-1] + transfers.ahead_s[i])
        busy_share.append(min(busy, slots) / slots)
    return tuple(np.array(values, dtype=float) for values in (queue, compute, total, busy_share))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_predictions_are_the_formula_bit_for_bit_nan_and_inf_included(data):
    """Compiled, :class:`CandidateCosts` predicts in one typed loop, in Python with NumPy: both must round exactly as
    the formula does, candidate by candidate."""
    inputs = random_prediction(data)
    with np.errstate(all="ignore"):  # NaN and inf on purpose
        costs = predict(**inputs)
        queue, compute, total, busy_share = reference_prediction(inputs)
    np.testing.assert_array_equal(bits(costs.queue_s), bits(queue))
    np.testing.assert_array_equal(bits(costs.compute_s), bits(compute))
    np.testing.assert_array_equal(bits(costs.total_s), bits(total))
    np.testing.assert_array_equal(bits(costs.busy_share), bits(busy_share))
    np.testing.assert_array_equal(costs.feasible, (total <= inputs["budget_s"]) & inputs["demand"].fits)
    assert costs.edge_feasible() == bool(np.count_nonzero(costs.feasible & costs.is_edge))


def test_the_views_slowdown_table_is_seed_eq_2(make_line):
    fleet = make_line(slots=3, degradation=0.25)[1]
    view = AwareView(fleet)
    np.testing.assert_array_equal(view.slowdown[0, :3], np.power(1.25, np.arange(3.0)))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_prediction_into_earlier_costs_is_the_fresh_prediction(data):
    """``predict(into=...)`` overwrites an earlier decision's costs (compiled, its arrays): nothing of that decision
    may remain, whether the later one has as many candidates or not."""
    with np.errstate(all="ignore"):
        earlier = predict(**random_prediction(data))
        later = random_prediction(data)
        fresh = predict(**later)
        reused = predict(**later, into=earlier)
    assert reused is earlier
    for field in ("nodes", "network_s", "queue_s", "compute_s", "total_s", "path_delay_s", "busy_share"):
        np.testing.assert_array_equal(bits(getattr(reused, field)), bits(getattr(fresh, field)), err_msg=field)
    for field in ("is_cloud", "is_edge", "feasible"):
        np.testing.assert_array_equal(getattr(reused, field), getattr(fresh, field), err_msg=field)
    assert bits(np.array([reused.budget_s])) == bits(np.array([fresh.budget_s]))
    assert reused.edge_feasible() == fresh.edge_feasible()


def test_a_route_keeps_its_reason_when_later_decisions_reuse_the_costs(line, make_router):
    """``route_stages`` predicts each decision into the costs of the service's previous one: the reason of a route
    must hold the facts of its own decision."""
    router = make_router(*line)

    def routed(deadline_s: float, policy: str):
        stage = Stage(service_id="svc", work=Work(1e9), output_bits=0.0)
        split = SplitRequest(ingress="bs0", data_bits=1e6, stages=(stage,), deadline_s=deadline_s)
        return router.route_stages(split, make_policy(policy), now_s=0.0).stages[0]

    tight = routed(2.5e-3, "cloud-only")  # edge0 needs 3 ms: no edge meets the budget, nor the cloud (22 ms)
    chosen = routed(0.05, "cloud-only")  # edge0 meets this budget, but the policy takes the cloud
    for later in (0.05, 1e-3, 0.5):
        assert routed(later, "compute-aware").node_id == "edge0"  # within the budget, or the fastest
    assert tight.reason == "no edge instance meets the 0.0025 s budget (best edge 0.003 s)"
    assert tight.cloud_fallback
    assert chosen.reason == "the policy chose the cloud although an edge instance meets the budget"
    assert not chosen.cloud_fallback
