"""The ``fast`` method: the global optimum of the allocation problem by its own interior-point method.

Same problem and same optimum as :mod:`mcfn.allocation.exact` (the tests hold the two to each other), without a
modelling layer or a generic conic solver: :class:`~mcfn.allocation.barrier.Barrier` works on the problem's own
block-structured Newton systems, ``O(N)`` per step (see its docstring for the convexity argument and the method).

Phase I runs with every task at its least data; it decides feasibility with the tolerance of
:data:`mcfn.allocation.feasibility.FEASIBILITY_TOLERANCE` (deadlines may be missed by that relative margin, as with
the conic phase I) and gives phase II a strictly feasible start. When the least slack lies within ``RELAX`` of zero
the feasible set has (almost) no interior: the deadlines are then relaxed by that margin, which moves the optimum by
less than the tolerance the results are checked with.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from mcfn.allocation._conic import RawSolution
from mcfn.allocation.barrier import Barrier, BarrierError
from mcfn.allocation.feasibility import FEASIBILITY_TOLERANCE
from mcfn.allocation.schemes import Formulation

#: Least-slack margin (log scale) under which phase II runs on deadlines relaxed by it.
RELAX = 1e-8
#: Phase II stops when the duality gap is below this share of the magnitude of the utility's terms (the tests
#: hold the utility to the conic solve's within 1e-6, relative; rounding stalls the gap near 1e-8 of that
#: magnitude) ...
RELATIVE_GAP = 1e-9
#: ... or below this, per task (a utility of zero has no relative precision).
LEAST_GAP_PER_TASK = 1e-10
SOLVER = "mcfn interior point"
#: Phase I's tolerance on the log-slack: deadlines may be missed by FEASIBILITY_TOLERANCE, relative.
SLACK_TOLERANCE = math.log1p(FEASIBILITY_TOLERANCE)


class FastSolverError(RuntimeError):
    """The interior-point method failed numerically; ``allocate`` reports status ``error`` with this message."""


#: Each thread's :class:`~mcfn.allocation.barrier.Barrier`, whose work arrays every solve of the thread reuses.
_workspace = threading.local()


def feasible(form: Formulation) -> bool:
    """Phase I of ``form``: can every task meet its deadline at its least data? ``O(N)`` per Newton step."""
    return _phase_one(_posed(form)) <= SLACK_TOLERANCE


def solve_fast(form: Formulation) -> RawSolution | None:
    """Globally optimal bandwidth, compute and data for ``form``, or None where phase I finds its tasks cannot all
    meet their deadlines (:func:`feasible`). Raises :class:`FastSolverError` if Newton's method fails."""
    barrier = _posed(form)
    if not optimum(barrier, form.tasks.weight * float(np.add.reduce(form.tasks.p))):
        return None
    data, bandwidth, compute = barrier.point()
    return RawSolution(
        data_mbit=data,
        bandwidth_mhz=bandwidth,
        compute_g=compute,
        iterations=barrier.newton_steps,
        solver=SOLVER,
    )


def optimum(barrier: Barrier, constant: float) -> bool:
    """Phase I, then phase II to the optimum, of the problem posed in ``barrier``, whose accuracies' constant is
    ``constant`` (``w Σ p``, :meth:`~mcfn.allocation.barrier.Barrier.optimise`); False where phase I finds its tasks
    cannot all meet their deadlines. The point is left in ``barrier``."""
    slack = _phase_one(barrier)
    if slack > SLACK_TOLERANCE:
        return False
    if slack > -RELAX:
        barrier.relax_deadlines(max(slack, 0.0) + RELAX)
    try:
        barrier.optimise(RELATIVE_GAP, LEAST_GAP_PER_TASK * barrier.n, constant)
    except BarrierError as exc:
        raise FastSolverError(str(exc)) from exc
    return True


def _posed(form: Formulation) -> Barrier:
    """This thread's barrier (made on first use), posed with ``form``."""
    barrier = getattr(_workspace, "barrier", None)
    if barrier is None:
        barrier = _workspace.barrier = Barrier()
    barrier.pose(form)
    return barrier


def _phase_one(barrier: Barrier) -> float:
    try:
        return barrier.least_slack(SLACK_TOLERANCE)
    except BarrierError as exc:
        raise FastSolverError(str(exc)) from exc
