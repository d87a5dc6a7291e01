"""Shared conic-modelling pieces for the allocation methods: the rate expression and robust solving.

Solvers are tried in order (Clarabel, then ECOS, then SCS); a solver that raises or returns no optimal point
hands the problem to the next, and the one that succeeded is reported.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from mcfn.network.radio import FloatArray

SOLVER_ORDER: tuple[str, ...] = ("CLARABEL", "ECOS", "SCS")
#: Tolerances tighter than a solver's defaults, for the exact method's optimum: ECOS's defaults, on a problem that
#: Clarabel could not finish, left the utility 5e-6 (relative) short of it. (Not for phase I, whose points SCA
#: starts from: a point that tight lies on the boundary, where SCA's first surrogate has no interior.)
PRECISE_OPTIONS: dict[str, dict[str, float]] = {"ECOS": {"abstol": 1e-10, "reltol": 1e-10, "feastol": 1e-10}}
LN2 = math.log(2.0)


class AllSolversFailedError(RuntimeError):
    """Every solver failed on a problem; the message lists what each one said."""


class InfeasibleProblemError(RuntimeError):
    """A solver proved the convex problem infeasible."""


@dataclass(frozen=True, eq=False)
class RawSolution:
    """Variables a method returns, in solver units, before evaluation."""

    data_mbit: FloatArray
    bandwidth_mhz: FloatArray
    compute_g: FloatArray
    iterations: int
    solver: str
    history: tuple[float, ...] = ()


def rate_mbps(bandwidth_mhz: cp.Expression, snr_mhz: FloatArray) -> cp.Expression:
    """Concave Shannon rate ``b log2(1 + s / b)`` as ``-rel_entr(b, b + s) / ln 2`` (exponential cone)."""
    return -cp.rel_entr(bandwidth_mhz, bandwidth_mhz + snr_mhz) / LN2


def solve(problem: cp.Problem, *, precise: bool = False) -> str:
    """Solve ``problem`` with the first solver that reaches an optimal point; return its name.

    A solver that reports an *inaccurate* optimum passes the problem on; if no solver does better, the first
    inaccurate answer is taken and the returned name says so. Raises :class:`InfeasibleProblemError` when a solver
    proves infeasibility and :class:`AllSolversFailedError` when no solver produces a point. ``precise`` passes
    :data:`PRECISE_OPTIONS`.
    """
    installed = set(cp.installed_solvers())
    options = PRECISE_OPTIONS if precise else {}
    failures: list[str] = []
    inaccurate: list[str] = []
    for name in (s for s in SOLVER_ORDER if s in installed):
        status = _try(problem, name, failures, options.get(name, {}))
        if status == cp.OPTIMAL:
            return name
        if status == cp.INFEASIBLE:
            raise InfeasibleProblemError(f"{name} proved the problem infeasible")
        if status == cp.OPTIMAL_INACCURATE:
            inaccurate.append(name)
    if inaccurate and _try(problem, inaccurate[0], failures, options.get(inaccurate[0], {})) == cp.OPTIMAL_INACCURATE:
        return f"{inaccurate[0]} (inaccurate)"
    raise AllSolversFailedError("; ".join(failures) or "no conic solver installed")


def _try(problem: cp.Problem, solver: str, failures: list[str], options: dict[str, float]) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            problem.solve(solver=solver, **options)
        except cp.error.SolverError as exc:
            failures.append(f"{solver}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            return None
    if problem.status not in (cp.OPTIMAL, cp.INFEASIBLE):
        failures.append(f"{solver}: status {problem.status}")
    return str(problem.status)


def value(expr: cp.Expression | FloatArray) -> FloatArray:
    """Numeric value of a cvxpy expression (or a constant array) as a float array."""
    if isinstance(expr, cp.Expression):
        return np.asarray(expr.value, dtype=float)
    return np.asarray(expr, dtype=float)
