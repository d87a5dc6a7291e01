"""The terminals' transmit energy in the allocation's objective (``energy_weight``): every method solves the same
convex problem, a heavier weight never raises the energy, and a weight of 0 is the seed's problem."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcfn.allocation import InstanceSpec, Method, Scheme, allocate, generate_instance, random_station
from mcfn.allocation.evaluation import utility_scale
from mcfn.allocation.io import dump_instance, parse_instance
from tests.allocation.test_fast import RELATIVE, assert_same, instances

#: Energy weights (1/J) from a slight to a dominant share of the utility: the random stations' terminals send at
#: 0.05–0.2 W for tenths of a second, some tens of mJ a task.
WEIGHTS = (0.3, 3.0, 30.0)


def _default(seed: int = 0, **changes: object):
    return generate_instance(InstanceSpec(**changes), np.random.default_rng(seed))  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(list(Scheme)), st.sampled_from(WEIGHTS))
def test_fast_equals_the_conic_optimum_at_a_positive_energy_weight(instance, scheme, energy_weight):
    weighed = instance.replace(energy_weight=energy_weight)
    exact = allocate(weighed, scheme=scheme, method=Method.EXACT)
    if exact.status != "error":  # the reference's own failures are the fast-vs-exact suite's business
        assert_same(allocate(weighed, scheme=scheme, method=Method.FAST), exact, weighed)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.sampled_from(list(Scheme)))
def test_a_heavier_energy_weight_never_raises_the_transmit_energy(seed, scheme):
    """At optima of ``U0 − λ E``: ``(λ2 − λ1)(E1 − E2) >= 0``, so ``E`` does not grow with ``λ``; with both utilities
    optimal to ``ε``, the energy may grow by at most ``2 ε / (λ2 − λ1)``. Admission does not depend on ``λ``."""
    instance = random_station(np.random.default_rng(seed))
    previous = None
    for energy_weight in (0.0, *WEIGHTS):
        result = allocate(instance.replace(energy_weight=energy_weight), scheme=scheme)
        if result.status != "optimal":
            return
        if previous is not None:
            last_weight, last = previous
            assert [t.admitted for t in result.tasks] == [t.admitted for t in last.tasks]
            slack = 2.0 * RELATIVE * utility_scale(instance, result.utility) / (energy_weight - last_weight)
            assert result.upload_energy_j <= last.upload_energy_j + slack
        previous = energy_weight, result


def test_the_weight_trades_utility_for_energy_on_the_default_instance():
    """The seed's default station: every task is admitted, and each step of the weight cuts the energy."""
    energies = [allocate(_default().replace(energy_weight=w)).upload_energy_j for w in (0.0, 10.0, 100.0)]
    assert energies[0] > energies[1] > energies[2] > 0.0
    assert energies[2] < 0.8 * energies[0]


@pytest.mark.parametrize("scheme", [Scheme.PROPOSED, Scheme.FC])
def test_sca_reaches_the_global_optimum_with_energy_weighed(scheme):
    instance = _default(1, terminals=4).replace(energy_weight=20.0)
    sca = allocate(instance, scheme=scheme, method=Method.SCA)
    exact = allocate(instance, scheme=scheme, method=Method.EXACT)
    assert sca.status == exact.status == "optimal"
    assert sca.utility <= exact.utility + 1e-7
    assert sca.utility == pytest.approx(exact.utility, rel=1e-5)
    assert all(b >= a - 1e-9 for a, b in zip(sca.history, sca.history[1:], strict=False))


def test_the_upload_power_is_the_terminal_draw_not_the_radiated_power():
    """``upload_power_w`` replaces ``tx_power_w`` in the energy, not in the rate: four times the draw is four times
    the joules of each second on the air, weighed as such (less time on the air than at the radiated power), and
    of no weight at all where ``energy_weight`` is 0."""
    base = _default(2, terminals=3).replace(energy_weight=10.0)
    drawn = base.replace(tasks=tuple(dataclasses.replace(t, upload_power_w=4 * t.tx_power_w) for t in base.tasks))
    radiated, heavy = allocate(base), allocate(drawn)
    seconds = np.array([t.upload_s for t in heavy.tasks])
    assert heavy.upload_energy_j == pytest.approx(4 * base.tasks[0].tx_power_w * seconds.sum(), rel=1e-12)
    assert heavy.upload_energy_j / 4 < radiated.upload_energy_j
    unweighed = [allocate(i.replace(energy_weight=0.0)).tasks for i in (base, drawn)]
    assert [t[:8] for t in unweighed[0]] == [t[:8] for t in unweighed[1]]


def test_the_instance_format_reads_and_writes_the_energy_fields():
    document = dump_instance(_default(terminals=1))
    assert "energy_weight" not in document
    assert "upload_power_w" not in document["tasks"][0]
    document["energy_weight"] = 2.5
    document["tasks"][0]["upload_power_w"] = 1.2
    instance = parse_instance(document)
    assert instance.energy_weight == 2.5
    assert instance.tasks[0].sending_w == 1.2
    assert instance.tasks[1].sending_w == instance.tasks[1].tx_power_w
    assert dump_instance(instance) == document
    with pytest.raises(ValueError, match="energy_weight"):
        parse_instance({**document, "energy_weight": -1.0})


def test_compiled_solver_matches_its_python_source_with_energy_weighed():
    from tests.sim.test_accelerated import in_pure_python

    code = (
        "import json, numpy as np; from mcfn.allocation import InstanceSpec, generate_instance, allocate; "
        "i = generate_instance(InstanceSpec(terminals=4, capacity_gcycles=30.0), np.random.default_rng(1)); "
        "r = [allocate(i.replace(energy_weight=w), scheme=k) for w in (3.0, 40.0) for k in ('proposed', 'fc')]; "
        "print(json.dumps([[x.utility, x.iterations, [t.compression for t in x.tasks]] for x in r]))"
    )
    instance = _default(1, terminals=4, capacity_gcycles=30.0)
    ours = [allocate(instance.replace(energy_weight=w), scheme=k) for w in (3.0, 40.0) for k in ("proposed", "fc")]
    assert [[x.utility, x.iterations, [t.compression for t in x.tasks]] for x in ours] == json.loads(
        in_pure_python(code)
    )
