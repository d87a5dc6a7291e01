"""Baselines hold their fixed variables; admission follows the spec's order; infeasibility is explained."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.allocation import Method, Scheme, allocate
from mcfn.allocation.admission import is_feasible, rejection_order
from mcfn.allocation.schemes import standalone_latency_s
from tests.conftest import make_instance


@pytest.mark.parametrize("method", list(Method))
def test_fixed_channel_gives_every_served_task_an_equal_share(method):
    inst = make_instance(1, capacity_gcycles=80.0)
    result = allocate(inst, scheme=Scheme.FC, method=method)
    served = [t for t in result.tasks if t.admitted]
    np.testing.assert_allclose([t.bandwidth_hz for t in served], inst.bandwidth_hz / len(served), rtol=1e-12)


@pytest.mark.parametrize("method", list(Method))
def test_average_computation_gives_every_served_task_an_equal_share(method):
    for capacity, expected in [(60.0, 3e9), (300.0, 10e9)]:  # F/N below and above the VM cap
        inst = make_instance(2, capacity_gcycles=capacity)
        result = allocate(inst, scheme=Scheme.AC, method=method)
        np.testing.assert_allclose([t.compute_hz for t in result.tasks if t.admitted], expected, rtol=1e-12)


@pytest.mark.parametrize("method", list(Method))
def test_without_compression_uploads_raw_data(method):
    result = allocate(make_instance(3, capacity_gcycles=200.0), scheme=Scheme.WCR, method=method)
    assert all(t.compression == 1.0 for t in result.tasks if t.admitted)
    assert result.rejected > 0, "raw uploads of the default instances miss some deadlines"


def test_proposed_optimises_compression_below_one():
    result = allocate(make_instance(3), method=Method.EXACT)
    assert max(t.compression for t in result.tasks) < 1.0


def test_admission_rejects_in_decreasing_standalone_latency_and_no_more_than_needed():
    inst = make_instance(5, capacity_gcycles=25.0)
    result = allocate(inst, scheme=Scheme.WCR, method=Method.EXACT)
    order = rejection_order(inst, Scheme.WCR)
    k = result.rejected
    assert 0 < k < inst.n_tasks
    rejected = {i for i, t in enumerate(result.tasks) if not t.admitted}
    assert rejected == set(order[:k])
    latency = standalone_latency_s(Scheme.WCR, inst.scaled())
    assert min(latency[list(rejected)]) >= max(latency[[i for i in range(inst.n_tasks) if i not in rejected]])
    assert is_feasible(inst, Scheme.WCR, tuple(sorted(order[k:])))
    assert not is_feasible(inst, Scheme.WCR, tuple(sorted(order[k - 1 :])))


def test_rejected_tasks_hold_nothing_and_cost_one_minus_weight():
    inst = make_instance(5, capacity_gcycles=25.0, weight=0.3)
    result = allocate(inst, scheme=Scheme.WCR, method=Method.EXACT)
    rejected = [t for t in result.tasks if not t.admitted]
    assert rejected
    for t in rejected:
        assert (t.bandwidth_hz, t.compute_hz, t.accuracy, t.upload_s, t.compute_s) == (0, 0, 0, 0, 0)
        assert t.latency_s == 1.0
    served_utility = sum(0.3 * t.accuracy - 0.7 * t.latency_s / 1.0 for t in result.tasks if t.admitted)
    assert result.utility == pytest.approx(served_utility - 0.7 * len(rejected), rel=1e-12)


@pytest.mark.parametrize("scheme", [Scheme.PROPOSED, Scheme.FC, Scheme.AC])
def test_default_instances_need_no_rejection_except_under_wcr(scheme):
    for capacity in (25.0, 300.0):
        assert allocate(make_instance(0, capacity_gcycles=capacity), scheme=scheme, method=Method.EXACT).rejected == 0


def test_without_admission_an_infeasible_set_says_why():
    result = allocate(make_instance(0, capacity_gcycles=25.0), scheme=Scheme.WCR, method=Method.EXACT, admission=False)
    assert result.status == "infeasible"
    assert "deadline" in result.reason
    assert result.to_json_dict()["reason"] == result.reason


def test_unreachable_accuracy_floor_is_named():
    inst = make_instance(0, data_mbit=(0.01, 0.02), min_accuracy=0.6)
    result = allocate(inst, method=Method.EXACT, admission=False)
    assert result.status == "infeasible"
    assert "accuracy floor" in result.reason
    admitted = allocate(inst, method=Method.EXACT)
    assert admitted.status == "optimal"
    assert admitted.rejected == inst.n_tasks


def test_jointly_infeasible_set_is_named():
    inst = make_instance(0, capacity_gcycles=1.0, terminals=6, tasks_per_terminal=1)
    result = allocate(inst, method=Method.EXACT, admission=False)
    assert result.status == "infeasible"
    assert "together" in result.reason
