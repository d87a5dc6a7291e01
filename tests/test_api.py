"""The public API at the package's top (``mcfn.simulate``, ``mcfn.plan``, ``mcfn.allocate``, ``mcfn.route``;
the README's example runs in tests/allocation/test_readme_python.py); validation on every path that builds a
scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

import mcfn
from mcfn.scenario import ScenarioError
from tests.sim.conftest import small_scenario

ROOT = Path(__file__).parents[1]


def test_simulate_returns_one_run_per_policy_and_seed_on_the_same_arrivals():
    runs = mcfn.simulate(small_scenario(duration_s=3), policies=["random", "nearest-edge"], seeds=2)
    assert [(r.policy, r.seed) for r in runs] == [
        ("random", 3),
        ("random", 4),
        ("nearest-edge", 3),
        ("nearest-edge", 4),
    ]
    assert (runs[0].columns["arrival_s"] == runs[2].columns["arrival_s"]).all()
    assert runs[0].summary["tasks"]["arrived"] > 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"duration_s": -1}, "duration_s"), ({"seed": -1}, "seed"), ({"services": ()}, "services"), ({"nope": 1}, "nope")],
)
def test_every_path_that_builds_a_scenario_validates(changes, field):
    base = small_scenario()
    for build in (lambda: base.model_copy(update=changes), lambda: mcfn.make_scenario(base, **changes)):
        with pytest.raises(ScenarioError, match=field):
            build()
    with pytest.raises(ValueError, match="unknown policy"):
        mcfn.simulate(base, policies=["fastest"])


def test_plan_takes_a_zoo_name_or_a_graph_and_a_tiers_file_or_document():
    tiers = ROOT / "examples" / "tiers.json"
    by_name = mcfn.plan("resnet18", tiers)
    from mcfn.models.zoo import load_zoo_graph

    by_graph = mcfn.plan(load_zoo_graph("resnet18"), __import__("json").loads(tiers.read_text()))
    assert by_name.latency_s == pytest.approx(by_graph.latency_s)
    assert by_name.latency_s <= min(by_name.baselines.values())


def test_allocate_and_route():
    result = mcfn.allocate(mcfn.generate_instance(seed=3), method="fast")
    assert result.status == "optimal"
    assert result.rejected == 0
    decision = mcfn.route(ROOT / "examples" / "route_snapshot.yaml", "resnet50", "bs0")
    assert decision.node_id.startswith(("edge", "cloud"))
    assert decision.meets_deadline
