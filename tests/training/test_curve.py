import json

import numpy as np
import pytest

from mcfn.allocation.generator import InstanceSpec, generate_instance
from mcfn.allocation.io import parse_instance
from mcfn.scenario.model import AccuracyCurveDoc
from mcfn.training.curve import eq1, fit_eq1
from mcfn.training.task_type import task_type_document, with_curve


@pytest.mark.parametrize(("p", "q", "r"), [(0.95, 0.10, 0.8), (0.90, 0.18, 0.5), (0.8, 0.02, 1.1)])
def test_fit_recovers_known_parameters_within_their_intervals(p: float, q: float, r: float) -> None:
    rng = np.random.default_rng(1)
    alpha = np.repeat(np.geomspace(0.01, 5.0, 8), 4)
    accuracy = eq1(alpha, p, q, r) + rng.normal(0.0, 0.002, alpha.size)
    fit = fit_eq1(alpha, accuracy)
    for name, true in (("p", p), ("q", q), ("r", r)):
        low, high = getattr(fit, f"{name}_ci")
        assert low <= true <= high, (name, low, true, high)
        assert getattr(fit, name) == pytest.approx(true, rel=0.1)
    assert fit.rmse < 0.004


def test_noiseless_points_are_fitted_exactly() -> None:
    alpha = np.geomspace(0.1, 10.0, 6)
    fit = fit_eq1(alpha, eq1(alpha, 0.9, 0.1, 0.6))
    assert (fit.p, fit.q, fit.r) == pytest.approx((0.9, 0.1, 0.6), rel=1e-6)


def test_too_few_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="3 distinct"):
        fit_eq1(np.array([1.0, 1.0, 2.0, 2.0]), np.array([0.5, 0.5, 0.6, 0.6]))


def test_task_type_is_accepted_by_the_allocation_and_the_scenario() -> None:
    alpha = np.geomspace(0.01, 1.0, 5)
    fit = fit_eq1(alpha, eq1(alpha, 0.97, 0.01, 0.8))
    document = task_type_document(
        fit, name="digits", dataset="digits", flops_per_sample=1e4, bits_per_sample=512.0, epochs=2
    )
    assert document["cycles_per_bit"] == pytest.approx(1e4 * 2 / 512)
    json.dumps(document, allow_nan=False)
    AccuracyCurveDoc.model_validate(document["accuracy_curve"])
    base = generate_instance(InstanceSpec(terminals=2), np.random.default_rng(0))
    instance = parse_instance(with_curve(base, fit.curve, cycles_per_bit=document["cycles_per_bit"]))
    assert {t.accuracy.p for t in instance.tasks} == {fit.p}
    with pytest.raises(ValueError, match="does not exceed"):
        with_curve(base.replace(tasks=tuple(t.__class__(**{**_fields(t), "min_accuracy": 0.99}) for t in base.tasks)),
                   fit.curve, cycles_per_bit=1.0)  # fmt: skip


def _fields(task: object) -> dict[str, object]:
    return {name: getattr(task, name) for name in task.__slots__}


def test_points_still_climbing_pin_p_at_one_and_say_so() -> None:
    alpha = np.repeat(np.geomspace(0.01, 1.0, 6), 2)
    fit = fit_eq1(alpha, 0.5 + 0.06 * np.log(alpha))  # a straight line in log alpha, 0.22 to 0.5
    assert fit.p <= 1.0
    assert "p" in fit.at_bound


def test_bootstrap_intervals_cover_the_truth_and_stay_positive_for_q() -> None:
    rng = np.random.default_rng(4)
    alpha = np.repeat(np.geomspace(0.01, 1.0, 6), 4)
    accuracy = eq1(alpha, 0.97, 0.01, 0.8) + rng.normal(0.0, 0.01, alpha.size)
    fit = fit_eq1(alpha, accuracy, bootstrap=60, rng=np.random.default_rng(0))
    assert fit.interval == "bootstrap"
    assert fit.q_ci[0] >= 0.0
    for name, true in (("p", 0.97), ("q", 0.01), ("r", 0.8)):
        low, high = getattr(fit, f"{name}_ci")
        assert low <= true <= high, (name, low, true, high)
