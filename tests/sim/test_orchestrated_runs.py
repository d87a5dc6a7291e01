"""The orchestrating policies in the simulator: each task's option, compression and accuracy, and the choice rule."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from mcfn.orchestration import ORCHESTRATED, UtilityChooser
from mcfn.routing import make_policy
from mcfn.scenario import Scenario, default_scenario, parse_scenario
from mcfn.services import service_options
from mcfn.sim.engine import Simulator
from mcfn.sim.model import NetworkModel
from mcfn.sim.records import COMPLETED
from mcfn.sim.report import write_outputs
from mcfn.sim.run import simulate
from mcfn.sim.world import build_world, menus
from tests.sim.conftest import small_scenario

VARIANTS = {
    "accuracy": 0.76,
    "accuracy_source": "assumed",
    "stages": [{"flops": {"conv": 4.0e9}, "output_bits": 8000}],
    "exits": [],
    "variants": [
        {
            "name": "int8",
            "precision": "int8",
            "accuracy": 0.75,
            "stages": [{"flops": {"conv": 4.0e9}, "output_bits": 8000}],
        },
        {
            "name": "light",
            "accuracy": 0.70,
            "stages": [{"flops": {"conv": 0.5e9}, "output_bits": 4e5}, {"flops": {"conv": 0.1e9}, "output_bits": 8000}],
            "exits": [{"after": 0, "accuracy": 0.6, "source": "assumed"}],
        },
    ],
    "compression": [1.0, 0.5, 0.25],
    "min_accuracy": 0.55,
}


def variant_scenario(seed: int = 3) -> Scenario:
    """The small scenario whose first service has an int8 variant, a light two-stage variant with an exit, and three
    compression levels."""
    document = small_scenario(seed=seed, duration_s=15).model_dump(mode="json")
    document["services"][0] = {**document["services"][0], **VARIANTS}
    return parse_scenario(document)


def test_every_tasks_accuracy_is_recomputed_from_its_variant_exit_and_compression(tmp_path: Path):
    scenario = variant_scenario()
    run = simulate(scenario, "utility-aware")
    write_outputs(tmp_path, scenario.model_dump(mode="json"), [run], tasks_format="csv")
    by_name = {
        (scenario.services[o.service].name, o.variant, o.exit): o
        for options in service_options(scenario)
        for o in options
    }
    rows = list(csv.DictReader((tmp_path / "tasks.csv").open()))
    completed = [r for r in rows if r["status"] == "completed"]
    assert completed
    chosen = {(r["variant"], r["exit"], r["compression"]) for r in completed if r["service"] == "classify"}
    assert len(chosen) > 1  # the choice depends on the state of the network
    for row in completed:
        option = by_name[(row["service"], row["variant"], row["exit"])]
        assert float(row["accuracy"]) == pytest.approx(option.accuracy_at(float(row["compression"])), abs=1e-12)
        assert row["accuracy_source"] == option.source
        deadline = scenario.services[option.service].deadline_s
        w = scenario.utility_weight
        latency = float(row["latency_s"])
        expected = w * float(row["accuracy"]) - (1 - w) * latency / deadline if latency <= deadline else -(1 - w)
        assert float(row["utility"]) == pytest.approx(expected, abs=1e-12)


def test_fixed_variant_policies_serve_the_reference_uncompressed():
    scenario = variant_scenario()
    run = simulate(scenario, "compute-aware")
    world = build_world(scenario)
    served = run.columns["option"][run.columns["status"] == COMPLETED]
    references = {world.reference(s) for s in range(len(scenario.services))}
    assert set(served.tolist()) <= references
    assert np.all(run.columns["compression"] == 1.0)


def test_orchestration_changes_accuracy_and_raises_utility_over_seeds():
    gains, accuracy = [], []
    for seed in (1, 2, 3):
        scenario = variant_scenario(seed)
        chosen, fixed = simulate(scenario, "utility-aware").summary, simulate(scenario, "compute-aware").summary
        gains.append(chosen["mean_utility"] - fixed["mean_utility"])
        accuracy.append(chosen["mean_accuracy"] - fixed["mean_accuracy"])
    assert np.mean(gains) > 0
    assert all(abs(a) > 1e-6 for a in accuracy)


def _chooser_at(seed: int):
    scenario = variant_scenario(seed)
    sim = Simulator(seed=seed)
    world = build_world(scenario)
    model = NetworkModel(sim, world, policy=make_policy("compute-aware"), orchestrated=True)
    sim.run(until_s=5.0)  # some load, adverts, queues
    return model, world, scenario


@pytest.mark.parametrize("seed", [1, 2])
def test_the_choice_is_the_best_of_an_exhaustive_search_and_only_it_is_recorded(seed):
    model, world, scenario = _chooser_at(seed)
    chooser = UtilityChooser(
        router=model.router, policy=make_policy("compute-aware"), menus=menus(world), weight=scenario.utility_weight
    )
    view, w, now = model.router.view, scenario.utility_weight, model.sim.now
    rng = np.random.default_rng(seed)
    for _ in range(40):
        service = int(rng.integers(len(scenario.services)))
        station = int(rng.integers(len(world.stations)))
        rate = float(rng.choice([2e6, 2e7, 1e8]))
        menu = menus(world)[service]
        best = -np.inf  # every option at every level, predicted without recording anything
        upload_s = menu.radio_delay_s + menu.compression[0] * menu.data_bits / rate
        for i, request in enumerate(menu.requests):
            route = model.router.route_stages(
                request[station], make_policy("compute-aware"), now_s=now, elapsed_s=upload_s, record=False
            )
            for c, ratio in enumerate(menu.compression):
                latency = menu.fixed_s[i] + route.latency_s + ratio * menu.data_bits / rate
                if menu.accuracy[i][c] >= menu.min_accuracy and latency <= menu.deadline_s:
                    best = max(best, w * menu.accuracy[i][c] - (1 - w) * latency / menu.deadline_s)
        before = [len(view.pending(j)) for j in range(len(world.fleet))]
        choice = chooser.choose(service, station, rate, now)
        if np.isfinite(best):
            assert choice.feasible
            assert choice.utility == pytest.approx(best, abs=1e-12)
        else:
            assert not choice.feasible
        placed = sorted(  # the placements this choice added, node by node
            (j, *p) for j in range(len(world.fleet)) for p in view.pending(j)[before[j] :]
        )
        expected = sorted((world.fleet.index[s.node_id], s.arrival_s, s.compute_s) for s in choice.route.stages)
        assert placed == expected  # the choice's stages, no other option's


def test_orchestrated_policies_are_named():
    assert set(ORCHESTRATED) == {"utility-aware", "utility-nearest-edge"}
    assert default_scenario().services[0].variants


def test_the_summary_breaks_every_outcome_down_by_service():
    scenario = variant_scenario()
    run = simulate(scenario, "utility-aware")
    columns, services = run.columns, run.summary["services"]
    assert list(services) == [s.name for s in scenario.services]
    for k, name in enumerate(services):
        mine = columns["service"] == k
        done = mine & (columns["status"] == COMPLETED)
        assert services[name]["deadline_satisfaction"] == pytest.approx(columns["met_deadline"][mine].mean())
        assert services[name]["mean_utility"] == pytest.approx(columns["utility"][mine].mean())
        assert services[name]["mean_accuracy"] == pytest.approx(columns["accuracy"][done].mean())
