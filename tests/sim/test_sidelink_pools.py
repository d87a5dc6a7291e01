"""Concurrent D2D transfers share their cell's sidelink pool (mcfn.sim.sidelink_pools): each of ``n`` transfers at
``1 / n`` of its rate alone, held to the closed forms; in a run, two askers of one cell at one helper."""

from __future__ import annotations

import pytest

from mcfn.sim.engine import Simulator
from mcfn.sim.records import COMPLETED
from mcfn.sim.run import simulate
from mcfn.sim.sidelink_pools import SidelinkPools
from tests.sim.test_terminals import LOCAL_VARIANT, traced

BITS = 1.0e6


def _through(transfers: list[tuple[float, int, float]]) -> dict[int, float]:
    """When each transfer ``(start_s, pool, rate_bps)`` of :data:`BITS` is through, by its index."""
    sim = Simulator(seed=0)
    pools = SidelinkPools(sim)
    done: dict[int, float] = {}
    for task, (start, pool, rate) in enumerate(transfers):
        sim.schedule(
            start, lambda t=task, p=pool, r=rate: pools.send(p, t, BITS, r, lambda x: done.update({x: sim.now}))
        )
    sim.run(until_s=100.0)
    return done


def test_two_concurrent_transfers_each_get_half_the_rate_of_one_alone():
    alone = _through([(0.0, 0, 4e6)])
    together = _through([(0.0, 0, 4e6), (0.0, 0, 4e6)])
    assert alone[0] == pytest.approx(BITS / 4e6, rel=1e-12)
    assert together[0] == together[1] == pytest.approx(2 * BITS / 4e6, rel=1e-12)


def test_unequal_and_staggered_transfers_follow_the_closed_form():
    fast, slow = 5e6, 2e6
    # together from 0, each at half its rate alone: the fast one is through at 2B / R1; the slow one has sent
    # (R2 / 2)(2B / R1) by then and the rest alone, so it is through at B / R1 + B / R2
    done = _through([(0.0, 0, fast), (0.0, 0, slow)])
    assert done[0] == pytest.approx(2 * BITS / fast, rel=1e-12)
    assert done[1] == pytest.approx(BITS / fast + BITS / slow, rel=1e-12)
    # the second starts at s: the first sends R s alone, then both at R / 2; the first is through at
    # s + 2 (B - R s) / R, the second then has B - (B - R s) = R s left, alone
    s, rate = 0.1, 4e6
    done = _through([(0.0, 0, rate), (s, 0, rate)])
    first = s + 2 * (BITS - rate * s) / rate
    assert done[0] == pytest.approx(first, rel=1e-12)
    assert done[1] == pytest.approx(first + s, rel=1e-12)


def test_pools_of_different_cells_do_not_share():
    done = _through([(0.0, 0, 4e6), (0.0, 1, 4e6)])
    assert done[0] == done[1] == pytest.approx(BITS / 4e6, rel=1e-12)


def test_two_askers_of_one_cell_share_the_sidelink_to_their_helper(tmp_path):
    """Terminals 0 and 1 stand together 20 m from helper 2 and ask at the same instant: both inputs cross the pool
    at half the rate (``2 D / R``); the helper computes one task (``W``) and then the other, each result coming
    back alone (``b / R``). So the first done takes ``2 D / R + W + b / R`` and the second ``W`` more."""
    moves = "0,0,0,0\n0,100,0,0\n1,0,0,0\n1,100,0,0\n2,0,20,0\n2,100,20,0\n"
    scenario = traced(tmp_path, moves, "1.0,0\n1.0,1\n", count=3, helpers=0.34)
    data_bits = scenario.services[0].data_bits
    c = simulate(scenario, "terminal-d2d").columns
    assert c["status"].tolist() == [COMPLETED, COMPLETED]
    assert c["helper"].tolist() == [2, 2]
    rate = float(scenario.terminals.compute.sidelink.model(scenario.radio.noise_psd_dbm_hz).rate_bps(20.0))
    first, second = sorted(c["latency_s"])
    work_s = second - first
    assert work_s > 1.0  # the NPU's seconds on the variant
    expected = 2 * data_bits / rate + LOCAL_VARIANT["stages"][0]["output_bits"] / rate
    assert first - work_s == pytest.approx(expected, rel=1e-9)
