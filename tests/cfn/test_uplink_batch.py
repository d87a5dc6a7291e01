"""The simulator's lean path of seed §3.2 (mcfn.orchestration.uplink.UplinkBatch): the same decisions as
allocate_uploads, to the last bit, for batches of every size, both kinds of upload, energy weighed or not, and a
method other than the fast one."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from mcfn.allocation import AccuracyCurve
from mcfn.orchestration.uplink import UplinkAllocation, UplinkBatch, allocate_uploads, lone_upload
from tests.cfn.test_uplink_bridge import SERVERS, SYSTEM, _upload
from tests.sim.test_accelerated import in_pure_python

ENERGY = dataclasses.replace(SYSTEM, energy_weight=0.5, upload_power_w=1.2)


def _batch(rng: np.random.Generator, n: int) -> list:
    """``n`` uploads on both nodes, the first ones in progress (fixed), the last one starting."""
    return [_upload(rng, fixed=i < n - 1, server=int(rng.integers(2)), scales=bool(rng.integers(2))) for i in range(n)]


@pytest.mark.parametrize("system", [SYSTEM, ENERGY, dataclasses.replace(SYSTEM, method="exact")])
def test_a_reused_batch_decides_every_batch_as_allocate_uploads_does(system):
    batch = UplinkBatch(SERVERS, system, capacity=1)  # grows as batches grow
    rng = np.random.default_rng(5)
    sizes = [2, 3, 9, 2, 5] if system.method == "fast" else [2, 3]
    outcomes = set()
    for n in sizes:
        uploads = _batch(rng, n)
        batch.clear()
        for u in uploads:
            batch.add_upload(u)
        assert batch.uploads() == uploads
        expected = allocate_uploads(uploads, SERVERS, system)
        solved = batch.solve()
        outcomes.add(solved)
        assert solved == isinstance(expected, UplinkAllocation)
        if solved:
            for got, want in (
                (batch.bandwidth_hz, expected.bandwidth_hz),
                (batch.compression, expected.compression),
                (batch.share, expected.share),
            ):
                np.testing.assert_array_equal(np.asarray(got), want)
    assert True in outcomes


def test_a_batch_that_cannot_be_served_is_refused_as_allocate_uploads_refuses_it():
    rng = np.random.default_rng(1)
    uploads = [u._replace(deadline_s=0.004) for u in _batch(rng, 3)]
    assert isinstance(allocate_uploads(uploads, SERVERS, SYSTEM), str)
    batch = UplinkBatch(SERVERS, SYSTEM)
    for u in uploads:
        batch.add_upload(u)
    assert not batch.solve()


@pytest.mark.parametrize("seed", range(6))
def test_the_lone_closed_form_in_scalars_is_lone_upload(seed):
    rng = np.random.default_rng(seed)
    u = _upload(rng, server=seed % 2, scales=seed % 3 > 0)
    if seed == 5:
        u = u._replace(min_accuracy=0.99)  # out of reach
    expected = lone_upload(u, SERVERS[u.server], ENERGY)
    batch = UplinkBatch(SERVERS, ENERGY)
    batch.add_upload(u)
    ratio = batch.lone()
    assert ratio < 0.0 if isinstance(expected, str) else ratio == expected


def lone_ratios() -> list[float]:
    """Lone closed forms held at their accuracy floor (no weight on accuracy), of curves whose exponent makes
    ``-1 / r`` an integer (where a C power may round apart from Python's) and of others."""
    batch = UplinkBatch(SERVERS, dataclasses.replace(SYSTEM, weight=0.0))
    ratios = []
    for seed in range(12):
        u = _upload(np.random.default_rng(seed))
        curve = AccuracyCurve(u.curve.p, u.curve.q, [0.5, 1.0, 0.25, 0.6][seed % 4])
        batch.clear()
        batch.add_upload(u._replace(curve=curve, min_accuracy=curve.accuracy(0.7 * u.data_bits)))
        ratios.append(batch.lone())
    return ratios


def test_the_compiled_lone_closed_form_rounds_as_the_python_source():
    code = "import json; from tests.cfn.test_uplink_batch import lone_ratios; print(json.dumps(lone_ratios()))"
    assert lone_ratios() == json.loads(in_pure_python(code))
