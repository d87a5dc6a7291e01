"""``allocate``: one entry point for every scheme and method, with admission and honest statuses."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from mcfn.allocation import kernels
from mcfn.allocation._conic import AllSolversFailedError, RawSolution
from mcfn.allocation.admission import Admission, FeasibilityTest, admit, conic_feasible
from mcfn.allocation.choices import Method, Scheme
from mcfn.allocation.evaluation import evaluate
from mcfn.allocation.exact import solve_exact
from mcfn.allocation.fast import FastSolverError, feasible, solve_fast
from mcfn.allocation.problem import GHZ, MHZ, Instance, ScaledTasks
from mcfn.allocation.result import AllocationResult, task_allocations
from mcfn.allocation.sca import solve_sca
from mcfn.allocation.schemes import Formulation, formulate, standalone_latency_s


def _behind_conic_phase_one(solve: Callable[[Formulation], RawSolution]) -> Callable[[Formulation], RawSolution | None]:
    """``solve`` run only where the conic phase I finds the set feasible; None elsewhere."""

    def attempt(form: Formulation) -> RawSolution | None:
        return solve(form) if conic_feasible(form) else None

    return attempt


def _fast_or_conic(form: Formulation) -> RawSolution | None:
    """The fast method; where its Newton iterations stall, the conic solve of the same problem, the solver's name
    saying so. (Measured: 4 of 400 random instances of the tests' class, all degenerate — a utility weight of 1
    leaves bandwidth and compute without cost — and none of the spec's or the simulator's.)"""
    try:
        return solve_fast(form)
    except FastSolverError as exc:
        raw = _behind_conic_phase_one(solve_exact)(form)
        return None if raw is None else dataclasses.replace(raw, solver=f"{raw.solver} (fallback: {exc})")


#: Each method on a formulation whose accuracy floors are reachable: its solution, or None where the set is
#: infeasible. The fast method decides that with its own phase I (and starts from its point); the others by the
#: conic phase I.
METHODS: dict[Method, Callable[[Formulation], RawSolution | None]] = {
    Method.FAST: _fast_or_conic,
    Method.EXACT: _behind_conic_phase_one(solve_exact),
    Method.SCA: _behind_conic_phase_one(solve_sca),
}
#: Each method's phase I, for the admission rule's bisection.
FEASIBILITY: dict[Method, FeasibilityTest] = {
    Method.FAST: feasible,
    Method.EXACT: conic_feasible,
    Method.SCA: conic_feasible,
}


def allocate(
    instance: Instance,
    *,
    scheme: Scheme | str = Scheme.PROPOSED,
    method: Method | str = Method.FAST,
    admission: bool = True,
) -> AllocationResult:
    """Allocate bandwidth, compute and compression ratio to the tasks of ``instance`` (seed §3.2).

    ``scheme`` chooses which variables are optimised (``proposed``, ``fc``, ``ac``, ``wcr``); ``method`` is the
    log-domain global optimum by mcfn's own interior-point method (``fast``) or by a conic solver (``exact``, the
    reference), or the seed's SCA (``sca``, a monotone sequence of convex surrogates). With ``admission`` (the
    spec's rule) an infeasible task set is served after rejecting tasks in decreasing standalone latency; without
    it an infeasible set returns status ``infeasible`` and the reason. Numerical failures that survive every
    fallback give status ``error``; nothing raises for a bad solve.
    """
    scheme = Scheme(scheme)
    method = Method(method)
    started = time.perf_counter()
    n = instance.n_tasks
    try:
        everyone = tuple(range(n))
        decision = Admission(admitted=everyone, rejected=())
        served, raw = instance, _solve(method, scheme, instance)
        if raw is None:  # the whole set is infeasible
            if not admission:
                reason = infeasibility_reason(instance, scheme)
                return _unsolved(instance, scheme, method, started, "infeasible", reason)
            decision = admit(instance, scheme, FEASIBILITY[method])
            served = instance.subset(decision.admitted)
            raw = _solve(method, scheme, served) if decision.admitted else None
        bandwidth, compute, compression = np.zeros(n), np.zeros(n), np.zeros(n)
        iterations, solver, history = 0, None, ()
        if raw is not None:
            idx = list(decision.admitted)
            bandwidth[idx], compute[idx], compression[idx] = to_si(served.scaled(), raw)
            iterations, solver, history = raw.iterations, raw.solver, raw.history
    except AllSolversFailedError as exc:
        return _unsolved(instance, scheme, method, started, "error", f"every solver failed: {exc}")
    admitted = np.zeros(n, dtype=bool)
    admitted[list(decision.admitted)] = True
    ev = evaluate(instance, bandwidth_hz=bandwidth, compute_hz=compute, compression=compression, admitted=admitted)
    status, reason = ("optimal", None) if ev.feasible else ("error", "solution violates " + "; ".join(ev.violations))
    return AllocationResult(
        status=status,
        scheme=scheme.value,
        method=method.value,
        utility=ev.utility,
        iterations=iterations,
        solve_time_s=time.perf_counter() - started,
        tasks=task_allocations(instance, ev),
        reason=reason,
        solver=solver,
        history=history,
    )


def infeasibility_reason(instance: Instance, scheme: Scheme) -> str:
    """The most specific reason why ``scheme`` cannot serve all tasks of ``instance``."""
    scaled = instance.scaled()
    form = formulate(scheme, scaled)
    for i, task in enumerate(instance.tasks):
        if not np.isfinite(form.data_min_mbit[i]):
            best = task.accuracy.accuracy(task.data_bits)
            return (
                f"task {task.id}: accuracy floor {task.min_accuracy:g} is above the best accuracy {best:.4g} "
                "it reaches uncompressed"
            )
    alone = standalone_latency_s(scheme, scaled)
    late = np.flatnonzero(alone > scaled.deadline_s)
    if late.size:
        i = int(late[np.argmax(alone[late] / scaled.deadline_s[late])])
        return (
            f"task {instance.tasks[i].id} cannot meet its {scaled.deadline_s[i]:g} s deadline even alone "
            f"with all resources (needs {alone[i]:.4g} s)"
        )
    return "each task fits alone, but together they need more bandwidth and compute than B and F provide"


def solve_formulation(form: Formulation, method: Method | str = Method.FAST) -> RawSolution | None:
    """``method`` on every task of ``form``, in solver units; None where they cannot all be served (an accuracy
    floor out of reach, or phase I). The lean entry for callers that pose many small problems from arrays (the
    simulator's uplinks): no admission, no evaluation, no result record."""
    if not np.isfinite(form.data_min_mbit).all():
        return None
    return METHODS[Method(method)](form)


def _solve(method: Method, scheme: Scheme, instance: Instance) -> RawSolution | None:
    """``method`` on all of ``instance``'s tasks under ``scheme``; None where they cannot all be served."""
    return solve_formulation(formulate(scheme, instance.scaled()), method)


def to_si(tasks: ScaledTasks, raw: RawSolution) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solver-unit variables of ``tasks`` to SI (bandwidth and compute in Hz, compression ratio), clipped onto the
    box and budgets the solver met to within its tolerance."""
    budgets = (tasks.bandwidth_mhz, tasks.capacity_g, tasks.vm_capacity_g, tasks.min_compression)
    return kernels.to_si(raw.data_mbit, raw.bandwidth_mhz, raw.compute_g, tasks.data_mbit, budgets, MHZ, GHZ)


def _unsolved(
    instance: Instance, scheme: Scheme, method: Method, started: float, status: str, reason: str
) -> AllocationResult:
    n = instance.n_tasks
    ev = evaluate(
        instance,
        bandwidth_hz=np.zeros(n),
        compute_hz=np.zeros(n),
        compression=np.zeros(n),
        admitted=np.zeros(n, dtype=bool),
    )
    return AllocationResult(
        status=status,  # type: ignore[arg-type]
        scheme=scheme.value,
        method=method.value,
        utility=ev.utility,
        iterations=0,
        solve_time_s=time.perf_counter() - started,
        tasks=task_allocations(instance, ev),
        reason=reason,
    )
