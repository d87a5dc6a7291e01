"""A :class:`~mcfn.allocation.barrier.Barrier` kept from one problem to the next (as the simulator's joint allocation
keeps one) solves each as a fresh one does, to the last bit: what it keeps between points of a solve (the
exponentials of a task's data, which a task with fixed data keeps through it) does not leak into the next problem.
For a task whose data is fixed, ``e^(-r a)`` enters only the objective (not a derivative in ``b`` or ``f``), so the
objective is compared too: the next problem changes ``r``, and a kept ``e^(-r a)`` of the last one would show
there."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcfn.allocation import AccuracyCurve, Scheme
from mcfn.allocation.barrier import Barrier
from mcfn.allocation.fast import FastSolverError, optimum
from mcfn.allocation.schemes import formulate
from tests.allocation.test_fast import instances


def _solved(barrier: Barrier, form) -> object:
    """The point ``barrier`` reaches on ``form``, its objective there and its Newton steps, or what stopped it."""
    barrier.pose(form)
    try:
        if not optimum(barrier, form.tasks.weight * float(np.add.reduce(form.tasks.p))):
            return "infeasible"
    except FastSolverError as exc:
        return str(exc)
    return [column.tolist() for column in barrier.point()], barrier.objective, barrier.newton_steps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(list(Scheme)), st.sampled_from([0.05, 0.5, 2.0, 20.0]))
def test_a_barrier_solves_a_problem_after_another_as_a_fresh_one(instance, scheme, steeper):
    # the next problem: the same tasks (the same data, so the same starting points) on steeper or flatter curves
    tasks = tuple(
        dataclasses.replace(t, accuracy=AccuracyCurve(t.accuracy.p, t.accuracy.q, t.accuracy.r * steeper))
        for t in instance.tasks
    )
    first = formulate(scheme, instance.scaled())
    then = formulate(scheme, dataclasses.replace(instance, tasks=tasks).scaled())
    kept = Barrier()
    _solved(kept, first)
    assert _solved(kept, then) == _solved(Barrier(), then)
