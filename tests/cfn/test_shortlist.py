"""A decision over its shortlist is the decision over every candidate (the bound decides when it must fall back)."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.routing import router as router_module
from mcfn.sim.run import simulate
from tests.sim.conftest import small_scenario

COMPARED = ("arrival_s", "end_s", "status", "option", "compression", "stage_node", "reason")


@pytest.mark.parametrize("policy", ["compute-aware", "utility-aware"])
def test_a_shortlist_routes_a_large_network_exactly_as_all_candidates(monkeypatch, policy):
    scenario = small_scenario(
        duration_s=4,
        network={"rings": 4, "cell_radius_m": 500},
        terminals={"count": 900, "mobility": {"model": "random-waypoint", "speed_mps": [5, 20]}},
    )
    monkeypatch.setattr(router_module, "SHORTLIST", 4)  # 61 edges: most candidates left out, often fallen back on
    short = simulate(scenario, policy)
    monkeypatch.setattr(router_module, "SHORTLIST", 10_000)
    everything = simulate(scenario, policy)
    assert short.summary["tasks"]["arrived"] > 1_000
    for name in COMPARED:
        np.testing.assert_array_equal(short.columns[name], everything.columns[name], err_msg=name)
