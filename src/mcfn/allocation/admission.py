"""The spec's admission rule: reject tasks in decreasing standalone latency until the rest is feasible.

``docs/formats/allocation.md`` (Admission): when a scheme cannot serve the whole task set, it rejects tasks one at a
time in decreasing order of their standalone latency (:func:`mcfn.allocation.schemes.standalone_latency_s`) until
the remaining set is feasible. Feasibility is monotone along that order (removing a task frees bandwidth and
compute, and under fc / ac enlarges everyone's equal share), so the least number of rejections is found by
bisection with O(log N) phase-I solves instead of N; the result is the same as rejecting one at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mcfn.allocation.feasibility import phase_one
from mcfn.allocation.problem import Instance
from mcfn.allocation.schemes import Formulation, Scheme, formulate, standalone_latency_s

#: A phase I: whether a formulation's tasks can all meet their deadlines at their least data.
FeasibilityTest = Callable[[Formulation], bool]


def conic_feasible(form: Formulation) -> bool:
    """Phase I by the conic solver (:func:`mcfn.allocation.feasibility.phase_one`)."""
    return phase_one(form).feasible


@dataclass(frozen=True, slots=True)
class Admission:
    """Indices (into the instance's tasks) of the served tasks, ascending, and of the rejected ones in order."""

    admitted: tuple[int, ...]
    rejected: tuple[int, ...]


def rejection_order(instance: Instance, scheme: Scheme) -> tuple[int, ...]:
    """Task indices in the order admission rejects them: decreasing standalone latency, ties by index."""
    latency = standalone_latency_s(scheme, instance.scaled())
    return tuple(int(i) for i in np.argsort(-latency, kind="stable"))


def is_feasible(
    instance: Instance, scheme: Scheme, indices: tuple[int, ...], feasible: FeasibilityTest = conic_feasible
) -> bool:
    """Whether ``scheme`` can serve exactly the tasks at ``indices`` within their deadlines and floors (phase I
    by ``feasible``)."""
    if not indices:
        return True
    form = formulate(scheme, instance.subset(indices).scaled())
    if not np.all(np.isfinite(form.data_min_mbit)):
        return False
    return feasible(form)


def admit(instance: Instance, scheme: Scheme, feasible: FeasibilityTest = conic_feasible) -> Admission:
    """Apply the admission rule of ``scheme``; O(log N) phase-I solves by ``feasible``."""
    order = rejection_order(instance, scheme)

    def served(k: int) -> tuple[int, ...]:
        return tuple(sorted(order[k:]))

    lo, hi = 0, len(order)  # invariant: rejecting hi tasks is feasible; fewer than lo is not
    if is_feasible(instance, scheme, served(0), feasible):
        hi = 0
    else:
        lo = 1
    while lo < hi:
        mid = (lo + hi) // 2
        if is_feasible(instance, scheme, served(mid), feasible):
            hi = mid
        else:
            lo = mid + 1
    return Admission(admitted=served(hi), rejected=order[:hi])
