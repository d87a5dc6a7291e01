"""The placement MILP is optimal: against exhaustive search over every placement on small random instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from mcfn.deployment import PlacementProblem, solve_placement


def random_problem(seed: int) -> PlacementProblem:
    """2-3 nodes, 3 items, 3 demand classes, each with choices of one or two (node, item) needs."""
    rng = np.random.default_rng(seed)
    nodes, items, classes = int(rng.integers(2, 4)), 3, 3
    item_bytes = rng.uniform(1.0, 4.0, items)
    klass, needs, gain, work = [], [], [], []
    for d in range(classes):
        for _ in range(int(rng.integers(1, 4))):
            n = int(rng.integers(nodes))
            chosen = rng.choice(items, size=int(rng.integers(1, 3)), replace=False)
            klass.append(d)
            needs.append(tuple(sorted((n, int(i)) for i in chosen)))
            gain.append(float(rng.uniform(0.1, 1.0)))
            work.append(((n, float(rng.uniform(0.1, 1.0))),))
    return PlacementProblem(
        memory_bytes=rng.uniform(2.0, 6.0, nodes),
        capacity=rng.uniform(0.5, 2.0, nodes),
        item_bytes=item_bytes,
        rate=rng.uniform(0.5, 2.0, classes),
        choice_class=klass,
        choice_needs=needs,
        choice_gain=gain,
        choice_work=work,
    )


def exhaustive(problem: PlacementProblem) -> float:
    """The best objective over every memory-feasible placement, each with its optimal shares (an LP)."""
    pairs = sorted({pair for needs in problem.choice_needs for pair in needs})
    choices = len(problem.choice_class)
    rate = np.asarray(problem.rate)[problem.choice_class]
    best = 0.0
    for bits in itertools.product((0, 1), repeat=len(pairs)):
        on = {pair for pair, bit in zip(pairs, bits, strict=True) if bit}
        used = np.zeros(len(problem.memory_bytes))
        for n, i in on:
            used[n] += problem.item_bytes[i]
        if (used > np.asarray(problem.memory_bytes)).any():
            continue
        rows, upper = [], []
        for d in range(len(problem.rate)):
            rows.append([1.0 if problem.choice_class[q] == d else 0.0 for q in range(choices)])
            upper.append(1.0)
        for n in range(len(problem.memory_bytes)):
            row = np.zeros(choices)
            for q, works in enumerate(problem.choice_work):
                for node, seconds in works:
                    if node == n:
                        row[q] += rate[q] * seconds
            rows.append(row.tolist())
            upper.append(problem.capacity[n])
        bounds = [(0.0, 1.0 if set(problem.choice_needs[q]) <= on else 0.0) for q in range(choices)]
        result = linprog(-rate * np.asarray(problem.choice_gain), A_ub=rows, b_ub=upper, bounds=bounds)
        best = max(best, -result.fun)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_the_milp_matches_exhaustive_search(seed):
    problem = random_problem(seed)
    result = solve_placement(problem)
    assert result.objective == pytest.approx(exhaustive(problem), rel=1e-6, abs=1e-9)
    used = np.zeros(len(problem.memory_bytes))
    for n, items in enumerate(result.placement):
        used[n] += sum(problem.item_bytes[i] for i in items)
    assert (used <= np.asarray(problem.memory_bytes) + 1e-9).all()
    assert result.binaries == len({pair for needs in problem.choice_needs for pair in needs})


def test_memory_decides_what_is_placed():
    """One node of 3 bytes, items of 2 bytes each: only the more valuable class's item is placed."""
    problem = PlacementProblem(
        memory_bytes=[3.0],
        capacity=[10.0],
        item_bytes=[2.0, 2.0],
        rate=[1.0, 2.0],
        choice_class=[0, 1],
        choice_needs=[((0, 0),), ((0, 1),)],
        choice_gain=[1.0, 0.8],
        choice_work=[((0, 0.1),), ((0, 0.1),)],
    )
    result = solve_placement(problem)
    assert result.placement == ((1,),)
    assert result.objective == pytest.approx(1.6)
