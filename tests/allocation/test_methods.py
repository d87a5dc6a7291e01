"""SCA against the global optimum, and both against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.allocation import Method, Scheme, allocate
from mcfn.allocation.sca import solve_sca
from mcfn.allocation.schemes import formulate
from tests.conftest import make_instance

#: 20 random instances across the spec's variations (terminals, tasks per terminal, B, F, d, w).
VARIATIONS = [
    {"seed": s, **v}
    for s, v in enumerate(
        [
            {},
            {"capacity_gcycles": 25.0},
            {"capacity_gcycles": 300.0},
            {"bandwidth_mhz": 50.0},
            {"bandwidth_mhz": 50.0, "capacity_gcycles": 50.0},
            {"degradation": 0.0},
            {"degradation": 2.0},
            {"weight": 0.2},
            {"weight": 0.9},
            {"terminals": 4, "tasks_per_terminal": 3},
            {"terminals": 15, "tasks_per_terminal": 1},
            {"terminals": 6, "tasks_per_terminal": 4, "capacity_gcycles": 150.0},
            {"bandwidth_mhz": 5.0, "capacity_gcycles": 200.0},
            {"deadline_s": 0.6, "capacity_gcycles": 150.0},
            {"min_compression": 0.2},
            {"min_accuracy": 0.7, "capacity_gcycles": 150.0},
            {"distance_m": (300.0, 500.0), "bandwidth_mhz": 20.0},
            {"shadowing_db": 6.0},
            {"terminals": 3, "tasks_per_terminal": 2, "capacity_gcycles": 15.0},
            {"data_mbit": (2.0, 6.0), "capacity_gcycles": 250.0},
        ]
    )
]


@pytest.mark.parametrize("variation", VARIATIONS, ids=lambda v: f"seed{v['seed']}")
def test_sca_reaches_the_global_optimum(variation):
    variation = dict(variation)
    inst = make_instance(variation.pop("seed"), **variation)
    exact = allocate(inst, method=Method.EXACT)
    sca = allocate(inst, method=Method.SCA)
    assert exact.status == sca.status == "optimal"
    assert exact.rejected == sca.rejected == 0
    assert sca.utility == pytest.approx(exact.utility, rel=1e-6)
    assert sca.utility <= exact.utility + 1e-7 * abs(exact.utility)


@pytest.mark.parametrize("scheme", [Scheme.FC, Scheme.AC, Scheme.WCR])
def test_sca_matches_exact_for_every_baseline(scheme):
    inst = make_instance(3, capacity_gcycles=175.0)
    exact = allocate(inst, scheme=scheme, method=Method.EXACT)
    sca = allocate(inst, scheme=scheme, method=Method.SCA)
    assert sca.rejected == exact.rejected
    assert sca.utility == pytest.approx(exact.utility, rel=1e-6)


@pytest.mark.parametrize(
    ("seed", "scheme"), [(0, Scheme.PROPOSED), (1, Scheme.FC), (2, Scheme.AC), (4, Scheme.PROPOSED)]
)
def test_sca_utility_never_decreases(seed, scheme):
    inst = make_instance(seed, capacity_gcycles=60.0 + 40 * seed)
    raw = solve_sca(formulate(scheme, inst.scaled()))
    history = np.array(raw.history)
    assert len(history) >= 3, "SCA should take several iterations from the phase-I point"
    steps = np.diff(history)
    assert np.all(steps >= -1e-9 * np.abs(history[1:])), steps.min()
    assert history[-1] > history[0]


def _grid_optimum(inst, n_b=161, n_f=161, n_alpha=801):
    """Brute force over a 2-task instance: both budgets are used fully at the optimum; data per task by grid."""
    s = inst.scaled()
    b1 = np.linspace(1e-4, s.bandwidth_mhz - 1e-4, n_b)
    b = np.stack([b1, s.bandwidth_mhz - b1])  # (2, n_b)
    f_lo = max(1e-4, s.capacity_g - s.vm_capacity_g)
    f1 = np.linspace(f_lo, min(s.vm_capacity_g, s.capacity_g - 1e-4), n_f)
    f = np.stack([f1, np.minimum(s.capacity_g - f1, s.vm_capacity_g)])  # (2, n_f)
    total = np.zeros((n_b, n_f))
    for n in range(2):
        alpha_lo = max(s.min_compression * s.data_mbit[n], s.accuracy_floor_mbit[n])
        alpha = np.linspace(alpha_lo, s.data_mbit[n], n_alpha)
        rate = b[n] * np.log2(1 + s.snr_mhz[n] / b[n])
        latency = (
            alpha[None, None, :] / rate[:, None, None]
            + s.compute_s_per_mbit_g[n] * alpha[None, None, :] / f[n][None, :, None]
        )
        accuracy = s.p[n] - s.q[n] * alpha ** (-s.r[n])
        utility = s.weight * accuracy[None, None, :] - (1 - s.weight) * latency / s.deadline_s[n]
        utility = np.where(latency <= s.deadline_s[n], utility, -np.inf)
        total += utility.max(axis=2)
    return total.max()


# Loose deadlines leave the latency constraint slack; tight ones make it bind (the grid is coarser there).
@pytest.mark.parametrize(
    ("seed", "deadline_s", "grid_tolerance"), [(0, 1.0, 2e-5), (1, 1.0, 2e-5), (2, 0.085, 5e-4), (3, 0.08, 5e-4)]
)
def test_exact_agrees_with_dense_grid_search_on_two_tasks(seed, deadline_s, grid_tolerance):
    inst = make_instance(
        seed,
        terminals=1,
        tasks_per_terminal=2,
        bandwidth_mhz=1.0,
        capacity_gcycles=12.0,
        distance_m=(350.0, 400.0),
        deadline_s=deadline_s,
    )
    exact = allocate(inst, method=Method.EXACT)
    grid = _grid_optimum(inst)
    assert exact.status == "optimal"
    assert exact.utility >= grid - 1e-9, "the global optimum cannot be beaten by a grid point"
    assert exact.utility == pytest.approx(grid, abs=grid_tolerance)
