"""The optimal periodic placement: which items each node loads for the next period, maximising the seed's expected
utility over the predicted demand per cell under the nodes' memory and compute.

Demand class ``d`` (a cell and a service) arrives at ``λ_d`` tasks per second. A *choice* ``q`` serves class
``d(q)`` with an option whose stages run as the items ``I(q)``, each on its node (pairs ``(n, i)``), scoring
``gain_q`` (the seed §3.2 utility ``w A - (1 - w) T / T_max`` of a task served so, minus that of a task not served,
``-(1 - w)``) and taking ``work_{q,n}`` VM-seconds on node ``n``. With ``x_{n,i} ∈ {0, 1}`` (item ``i`` loaded on
node ``n``) and ``z_q ∈ [0, 1]`` (the share of class ``d(q)`` served by choice ``q``), the MILP is::

    max  Σ_q λ_{d(q)} gain_q z_q
    s.t. Σ_{q ∈ d} z_q ≤ 1                        for every class d
         z_q ≤ x_{n,i}                             for every choice q and (n, i) ∈ I(q)
         Σ_i bytes_i x_{n,i} ≤ memory_n            for every node n
         Σ_q λ_{d(q)} work_{q,n} z_q ≤ capacity_n  for every node n (VM-seconds per second)

a facility-location MILP (service placement in the style of Poularakis et al., "Joint Service Placement and Request
Routing in Multi-cell Mobile Edge Computing Networks", INFOCOM 2019), solved exactly by HiGHS's branch and cut
(:func:`scipy.optimize.milp`). Only pairs ``(n, i)`` some choice needs get a variable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array


@dataclass(frozen=True, kw_only=True)
class PlacementProblem:
    """A placement instance (module docstring): ``memory_bytes`` and ``capacity`` per node, ``item_bytes`` per item,
    ``rate`` per demand class, and per choice its class, its ``(node, item)`` pairs, its gain and its
    ``(node, VM-seconds)`` work."""

    memory_bytes: Sequence[float]
    capacity: Sequence[float]
    item_bytes: Sequence[float]
    rate: Sequence[float]
    choice_class: Sequence[int]
    choice_needs: Sequence[tuple[tuple[int, int], ...]]
    choice_gain: Sequence[float]
    choice_work: Sequence[tuple[tuple[int, float], ...]]


@dataclass(frozen=True, kw_only=True)
class PlacementResult:
    """The optimal ``placement`` (the items of each node), the share ``served`` of each choice, the objective, and the
    MILP's size: binary and continuous variables and constraints."""

    placement: tuple[tuple[int, ...], ...]
    served: np.ndarray
    objective: float
    binaries: int
    continuous: int
    constraints: int


def solve_placement(problem: PlacementProblem) -> PlacementResult:
    """Solve ``problem`` exactly (module docstring); raises ``RuntimeError`` if HiGHS finds no optimum."""
    nodes, choices = len(problem.memory_bytes), len(problem.choice_class)
    pairs = sorted({pair for needs in problem.choice_needs for pair in needs})
    column = {pair: choices + k for k, pair in enumerate(pairs)}
    size = choices + len(pairs)
    rate = np.asarray(problem.rate, dtype=float)
    klass = np.asarray(problem.choice_class, dtype=int)
    weight = rate[klass] if choices else np.zeros(0)
    cost = np.zeros(size)
    cost[:choices] = -weight * np.asarray(problem.choice_gain, dtype=float)
    rows, cols, vals, upper = [], [], [], []

    def add(entries: list[tuple[int, float]], bound: float) -> None:
        row = len(upper)
        for col, val in entries:
            rows.append(row)
            cols.append(col)
            vals.append(val)
        upper.append(bound)

    for d in range(len(rate)):
        members = np.flatnonzero(klass == d)
        if members.size > 1:
            add([(int(q), 1.0) for q in members], 1.0)
    for q in range(choices):
        for pair in problem.choice_needs[q]:
            add([(q, 1.0), (column[pair], -1.0)], 0.0)
    work_on: list[list[tuple[int, float]]] = [[] for _ in range(nodes)]
    for q, works in enumerate(problem.choice_work):
        for n, seconds in works:
            work_on[n].append((q, float(weight[q] * seconds)))
    for n in range(nodes):
        held = [(column[pair], float(problem.item_bytes[pair[1]])) for pair in pairs if pair[0] == n]
        if held and sum(b for _, b in held) > problem.memory_bytes[n]:
            add(held, float(problem.memory_bytes[n]))
        work = work_on[n]
        if work and sum(w for _, w in work) > problem.capacity[n]:
            add(work, float(problem.capacity[n]))
    integrality = np.zeros(size)
    integrality[choices:] = 1
    constraints = []
    if upper:
        matrix = coo_array((vals, (rows, cols)), shape=(len(upper), size)).tocsr()
        constraints.append(LinearConstraint(matrix, -np.inf, np.array(upper)))
    result = milp(cost, constraints=constraints, integrality=integrality, bounds=Bounds(0.0, 1.0))
    if result.x is None:
        raise RuntimeError(f"the placement MILP has no optimum: {result.message}")
    loaded = np.round(result.x[choices:]).astype(bool)
    placement: list[list[int]] = [[] for _ in range(nodes)]
    for (n, i), on in zip(pairs, loaded, strict=True):
        if on:
            placement[n].append(i)
    return PlacementResult(
        placement=tuple(tuple(items) for items in placement),
        served=result.x[:choices],
        objective=float(-result.fun),
        binaries=len(pairs),
        continuous=choices,
        constraints=len(upper),
    )
