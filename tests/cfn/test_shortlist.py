"""A decision over its shortlists is the decision over every candidate (the bound decides when it must fall back on
the wider one, and from that on every candidate)."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.network.topology.paths import FastestPaths
from mcfn.routing import router as router_module
from mcfn.routing.costs import Demand, FleetPaths, Instances, Shortlist, shortlist_of, transfers
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
    # 61 edges: most candidates left out of both, the first often fallen back from, the second sometimes
    monkeypatch.setattr(router_module, "SHORTLIST", 2)
    monkeypatch.setattr(router_module, "WIDE_SHORTLIST", 8)
    short = simulate(scenario, policy)
    monkeypatch.setattr(router_module, "SHORTLIST", 10_000)
    monkeypatch.setattr(router_module, "WIDE_SHORTLIST", 10_000)
    everything = simulate(scenario, policy)
    assert short.summary["tasks"]["arrived"] > 1_000
    for name in COMPARED:
        np.testing.assert_array_equal(short.columns[name], everything.columns[name], err_msg=name)


@pytest.mark.parametrize("seed", range(3))
def test_a_shortlist_built_in_one_pass_equals_the_sorted_one(seed):
    """:func:`shortlist_of` (compiled: one pass and a small buffer) keeps the same candidates, in the same order, with
    the same network part and bound as :class:`Shortlist` over every candidate's transfers (a stable sort): on ties,
    unreachable candidates (``inf``), NaN bounds (no bits over no path) and clouds."""
    rng = np.random.default_rng(seed)
    n, fleet_n, vertices_n = 60, 70, 80  # a service on most of a fleet, on some of the topology's vertices
    vertices = rng.permutation(vertices_n)[:fleet_n].astype(np.int64)

    def tree(source: int) -> FastestPaths:
        delay = rng.integers(0, 4, vertices_n) * 1e-3  # few values: many ties
        spb = rng.integers(0, 3, vertices_n) * 1e-9
        unreachable = rng.random(vertices_n) < 0.1
        delay[unreachable], spb[unreachable] = np.inf, np.inf
        return FastestPaths(source, delay, np.where(spb > 0, 1 / np.where(spb > 0, spb, 1), 0.0), spb, np.zeros(1))

    is_cloud = rng.random(n) < 0.1
    nodes = np.sort(rng.permutation(fleet_n)[:n]).astype(np.int64)
    instances = Instances(
        nodes=nodes,
        vertices=vertices[nodes],
        seconds_per_flop=rng.random((n, 2)),
        vm_slots=np.full(n, 4),
        degradation=np.zeros(n),
        memory_bytes=np.ones(n),
        is_cloud=is_cloud,
        is_edge=~is_cloud,
    )
    demand = Demand(rng.integers(1, 3, n) * 1e-3, rng.random(n) < 0.9)
    into, back = FleetPaths(tree(0), vertices), FleetPaths(tree(1), vertices)
    for bits in [(1e6, 1e4, 0.0), (0.0, 0.0, 2e3), (0.0, 5e3, 0.0)]:
        for keep in (1, 3, 7, n - 1):
            fast = shortlist_of(instances, into, back, *bits, demand, keep)
            with np.errstate(invalid="ignore"):  # no bits over no path: 0 * inf
                reference = Shortlist(instances, transfers(instances.nodes, into, back, *bits), demand, keep)
            np.testing.assert_array_equal(fast.bound_s, reference.bound_s)
            for part, names in (
                ("instances", ("nodes", "vertices", "seconds_per_flop", "is_cloud", "is_edge")),
                ("transfers", ("network_s", "in_s", "path_delay_s", "ahead_s")),
                ("demand", ("alone_s", "fits")),
            ):
                for name in names:
                    got, want = getattr(getattr(fast, part), name), getattr(getattr(reference, part), name)
                    np.testing.assert_array_equal(got, want, err_msg=f"{part}.{name}, keep {keep}, bits {bits}")
