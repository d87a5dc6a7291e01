"""The fast method against the conic reference: same statuses, same admissions, the same optimum.

Instances are drawn by hypothesis over the whole class the solver claims: one to twelve tasks, every scheme,
bandwidth, edge capacity and VM caps from scarce to plentiful, deadlines from binding to slack, accuracy floors
from absent to binding to out of reach, weights from 0 to 1, and sets that need admission or are infeasible.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mcfn.allocation import (
    AccuracyCurve,
    Instance,
    InstanceSpec,
    Method,
    Scheme,
    Task,
    allocate,
    evaluate,
    generate_instance,
    random_station,
)
from mcfn.allocation.admission import admit, conic_feasible
from mcfn.allocation.evaluation import utility_scale
from mcfn.allocation.fast import feasible
from mcfn.allocation.schemes import formulate

#: The fast method's utility must equal the conic solve's within this, relative to the utility or, where that is
#: near zero (a sum of terms of both signs), to a task's own scale (``utility_scale``).
RELATIVE = 1e-6


def instances() -> st.SearchStrategy[Instance]:
    """A random station (:func:`mcfn.allocation.random_station`) of a hypothesis-drawn seed."""
    return st.integers(0, 2**32 - 1).map(lambda seed: random_station(np.random.default_rng(seed)))


def assert_same(fast, exact, instance) -> None:
    assert fast.status == exact.status, (fast.reason, exact.reason)
    assert [t.admitted for t in fast.tasks] == [t.admitted for t in exact.tasks]
    assert fast.reason == exact.reason
    gap = abs(fast.utility - exact.utility)
    assert gap <= RELATIVE * utility_scale(instance, exact.utility), (fast.utility, exact.utility)


@settings(max_examples=160, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(list(Scheme)))
#: The conic reference's solution breaks a deadline here (reported as an error): the fast one's must still hold.
@example(random_station(np.random.default_rng(3758382)), Scheme.WCR)
def test_fast_equals_the_conic_optimum_with_admission(instance, scheme):
    fast = allocate(instance, scheme=scheme, method=Method.FAST)
    exact = allocate(instance, scheme=scheme, method=Method.EXACT)
    if exact.status != "error":  # else the reference has nothing to compare with: the fast solution is checked below
        assert_same(fast, exact, instance)
    if fast.status == "optimal":
        ev = evaluate(
            instance,
            bandwidth_hz=[t.bandwidth_hz for t in fast.tasks],
            compute_hz=[t.compute_hz for t in fast.tasks],
            compression=[t.compression for t in fast.tasks],
            admitted=[t.admitted for t in fast.tasks],
        )
        assert ev.feasible
        assert ev.utility == pytest.approx(fast.utility, rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(list(Scheme)))
def test_fast_reports_infeasible_sets_as_the_reference_does(instance, scheme):
    fast = allocate(instance, scheme=scheme, method=Method.FAST, admission=False)
    exact = allocate(instance, scheme=scheme, method=Method.EXACT, admission=False)
    assert_same(fast, exact, instance)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(list(Scheme)))
def test_fast_phase_one_decides_as_the_conic_one(instance, scheme):
    form = formulate(scheme, instance.scaled())
    if np.all(np.isfinite(form.data_min_mbit)):
        assert feasible(form) == conic_feasible(form)
    assert admit(instance, scheme, feasible) == admit(instance, scheme, conic_feasible)


def test_spec_defaults_every_scheme_and_the_figures_ranges():
    """The spec's figure instances (N = 20, B in {10, 50} MHz, F from 25 to 300 Gcycle/s, d from 0 to 2)."""
    for seed, bandwidth, capacity, degradation in [(0, 10, 25, 0.1), (1, 50, 300, 0.1), (2, 10, 100, 2.0)]:
        spec = InstanceSpec(bandwidth_mhz=bandwidth, capacity_gcycles=capacity, degradation=degradation)
        instance = generate_instance(spec, np.random.default_rng(seed))
        for scheme in Scheme:
            exact = allocate(instance, scheme=scheme, method=Method.EXACT)
            assert_same(allocate(instance, scheme=scheme), exact, instance)


def test_a_lone_task_at_its_deadline_and_floor_at_once():
    """A feasible set with no interior (the least data meets the deadline exactly) is solved, not refused."""
    curve = AccuracyCurve(p=0.9, q=0.1, r=0.5)
    task = Task("t", "u", 2e6, 1000.0, curve, 0.0, 1.0, 0.1, 1e-12, 1)
    loose = Instance(1e7, -174.0, 1e10, 1e10, 0.0, 0.5, 0.5, (task,))
    alone = allocate(loose, method=Method.FAST)
    least = alone.tasks[0].latency_s * 0.5 / alone.tasks[0].compression  # latency at half the data, all resources
    tight = loose.replace(tasks=(Task("t", "u", 2e6, 1000.0, curve, 0.0, least, 0.1, 1e-12, 1),))
    fast, exact = allocate(tight, method=Method.FAST), allocate(tight, method=Method.EXACT)
    assert fast.status == exact.status == "optimal"
    assert fast.tasks[0].compression == pytest.approx(0.5, rel=1e-6)
    assert math.isclose(fast.utility, exact.utility, rel_tol=RELATIVE)


def test_compiled_solver_matches_its_python_source_bit_for_bit():
    from tests.sim.test_accelerated import in_pure_python

    code = (
        "import json, numpy as np; from mcfn.allocation import InstanceSpec, generate_instance, allocate; "
        "r = [allocate(generate_instance(InstanceSpec(terminals=4, capacity_gcycles=30.0), np.random.default_rng(s)),"
        " scheme=k) for s in range(2) for k in ('proposed', 'wcr')]; "
        "print(json.dumps([[x.utility, x.iterations, [t.bandwidth_hz for t in x.tasks]] for x in r]))"
    )
    python = json.loads(in_pure_python(code))
    ours = [
        allocate(
            generate_instance(InstanceSpec(terminals=4, capacity_gcycles=30.0), np.random.default_rng(s)), scheme=k
        )
        for s in range(2)
        for k in ("proposed", "wcr")
    ]
    assert [[x.utility, x.iterations, [t.bandwidth_hz for t in x.tasks]] for x in ours] == python


def test_a_numerical_failure_falls_back_to_the_conic_solve(monkeypatch):
    from mcfn.allocation import solve
    from mcfn.allocation.fast import FastSolverError

    def fails(form):
        raise FastSolverError("simulated")

    monkeypatch.setattr(solve, "solve_fast", fails)
    instance = generate_instance(InstanceSpec(), np.random.default_rng(0))
    result = allocate(instance)
    assert result.status == "optimal"
    assert result.solver.endswith("(fallback: simulated)")
    assert result.utility == pytest.approx(allocate(instance, method=Method.EXACT).utility, rel=1e-9)


def test_the_lean_entry_gives_the_optimum_allocate_reports():
    from mcfn.allocation import solve_formulation
    from mcfn.allocation.schemes import formulate

    instance = generate_instance(InstanceSpec(terminals=3), np.random.default_rng(4))
    raw = solve_formulation(formulate(Scheme.PROPOSED, instance.scaled()))
    result = allocate(instance)
    np.testing.assert_allclose(raw.bandwidth_mhz * 1e6, [t.bandwidth_hz for t in result.tasks], rtol=1e-9)
    tight = instance.replace(bandwidth_hz=1e3)
    assert solve_formulation(formulate(Scheme.PROPOSED, tight.scaled())) is None


def test_a_utility_near_zero_is_compared_at_a_tasks_scale():
    """Accuracy and latency terms that nearly cancel (utility 0.0019): both solvers are accurate to a share of the
    terms, 1e-8 here, not of their difference; the fast method's answer is the better of the two."""
    curve = AccuracyCurve(p=0.9698999969412989, q=0.28251733670454104, r=0.4775542290041423)
    task = Task("t0", "u0", 1234266.9731040741, 4647.828539963382, curve, 0.6254811180145602, 1.1565876691885641,
                0.18149642036258362, 3.120944657439703e-09, 1)  # fmt: skip
    instance = Instance(5e7, -174.0, 1e11, 4e10, 0.0, 0.1, 0.01, (task,))
    fast, exact = allocate(instance), allocate(instance, method=Method.EXACT)
    assert abs(exact.utility) < 0.002
    assert fast.utility >= exact.utility - 1e-12
    assert_same(fast, exact, instance)


def test_a_reused_barrier_solves_as_a_new_one():
    """Every thread's solves share one Barrier's arrays, grown for larger problems: a problem solved after a larger
    one, or in another thread, comes out bit for bit the same."""
    import threading

    from mcfn.allocation.fast import solve_fast

    def form(terminals: int, seed: int):
        instance = generate_instance(InstanceSpec(terminals=terminals), np.random.default_rng(seed))
        return formulate(Scheme.PROPOSED, instance.scaled())

    small, large = form(3, 1), form(40, 2)
    first = solve_fast(small)
    solve_fast(large)
    again = solve_fast(small)
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(solve_fast(small)))
    thread.start()
    thread.join()
    for other in (again, elsewhere[0]):
        np.testing.assert_array_equal(first.data_mbit, other.data_mbit)
        np.testing.assert_array_equal(first.bandwidth_mhz, other.bandwidth_mhz)
        np.testing.assert_array_equal(first.compute_g, other.compute_g)
        assert first.iterations == other.iterations


@pytest.mark.parametrize("method", ["fast", "exact", "sca"])
@pytest.mark.parametrize("scheme", ["proposed", "wcr"])
def test_a_task_of_absurd_size_is_turned_away_by_every_method(method, scheme):
    """A task of 1e16 bits (its upload alone takes years): every method rejects it and serves the other, though the
    conic solvers' accuracy is lost at that magnitude (they used to raise)."""
    import dataclasses

    instance = generate_instance(InstanceSpec(terminals=2, tasks_per_terminal=1), np.random.default_rng(0))
    huge = dataclasses.replace(instance.tasks[0], data_bits=1e16)
    result = allocate(instance.replace(tasks=(huge, instance.tasks[1])), method=method, scheme=scheme)
    assert result.status == "optimal"
    assert [t.admitted for t in result.tasks] == [False, True]
