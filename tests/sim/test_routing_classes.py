"""Compute-aware routing against every heuristic baseline, in each network class, averaged over seeds.

Each class is a small scenario (7 cells, 60 terminals, the default scenario's three services at five times its
per-terminal rate, so the same load as ``mcfn run``'s default) with one change; every policy runs on the same seeds.
A task that misses its deadline scores as a failed one, ``-(1 - w)``. ``benchmarks/routing_classes.py`` prints the
same comparison on the full default scenario with confidence intervals.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from mcfn.network.topology.io import yaml_load
from mcfn.scenario import parse_scenario
from mcfn.scenario.default import DEFAULT_SCENARIO_YAML
from mcfn.sim.run import simulate

SEEDS = (0, 1, 2)
BASELINES = ("nearest-edge", "least-loaded", "round-robin", "random")
EDGE = {"kind": "cpu", "peak_flops_per_s": 4.0e11, "memory_bytes": 3.2e10, "vm_slots": 4, "degradation": 0.1}
GPU_CLOUD = {"kind": "gpu", "peak_flops_per_s": 1.0e13, "memory_bytes": 1.0e12, "vm_slots": 64}


def small_document() -> dict[str, Any]:
    """The default, smaller and shorter, under the equal-bandwidth uplink: the classes compare routing, and the
    default's joint allocation, which admits only what it can serve, leaves every policy within a few tasks in ten
    thousand of all deadlines met, where routing is not what differs."""
    document = yaml_load(DEFAULT_SCENARIO_YAML)
    document.update(duration_s=8.0, drain_s=5.0)
    document["radio"] = {**document["radio"], "uplink_policy": "equal-bandwidth"}
    document["terminals"] = {**document["terminals"], "count": 60}
    document["services"] = [{**s, "rate_per_terminal_per_s": 1.5} for s in document["services"]]
    return document


#: Class name -> the changes to the small scenario's ``network``, ``compute`` and ``terminals``.
CLASSES: dict[str, dict[str, dict[str, Any]]] = {
    "no cloud": {"compute": {"edge": EDGE, "cloud": None}},
    "fast WAN": {"network": {"wan_delay_s": 0.005}},
    "slow WAN": {"network": {"wan_delay_s": 0.08}},
    "cloud no faster than an edge": {"compute": {"edge": EDGE, "cloud": {**EDGE, "vm_slots": 16}}},
    "heterogeneous edges": {
        "compute": {
            "edges": [
                {**EDGE, "kind": "gpu", "peak_flops_per_s": 2.0e12},
                EDGE,
                {**EDGE, "peak_flops_per_s": 2.0e11, "vm_slots": 2},
            ],
            "cloud": GPU_CLOUD,
        }
    },
    "hot spot without a cloud": {
        "compute": {"edge": EDGE, "cloud": None},
        "terminals": {"hotspot": {"station": "bs0", "share": 0.5}},
    },
    "hot spot with a cloud": {"terminals": {"hotspot": {"station": "bs0", "share": 0.5}}},
}


def scenario_of(changes: dict[str, dict[str, Any]], seed: int):
    document = small_document()
    for part, fields in changes.items():
        document[part] = fields if part == "compute" else {**document.get(part, {}), **fields}
    return parse_scenario({**document, "seed": seed})


def scores(changes: dict[str, dict[str, Any]], policy: str) -> tuple[float, float]:
    """Deadline satisfaction and mean utility (late tasks scored as failed), each the mean over :data:`SEEDS`."""
    met, utility = [], []
    for seed in SEEDS:
        scenario = scenario_of(changes, seed)
        columns = simulate(scenario, policy).columns
        on_time = columns["met_deadline"]
        met.append(on_time.mean())
        utility.append(np.where(on_time, columns["utility"], -(1.0 - scenario.utility_weight)).mean())
    return float(np.mean(met)), float(np.mean(utility))


@pytest.mark.parametrize("name", list(CLASSES))
def test_compute_aware_meets_at_least_the_deadlines_and_utility_of_every_heuristic(name):
    changes = CLASSES[name]
    met, utility = scores(changes, "compute-aware")
    for baseline in BASELINES:
        other_met, other_utility = scores(changes, baseline)
        assert met >= other_met, (baseline, met, other_met)
        assert utility >= other_utility, (baseline, utility, other_utility)


def class_digests() -> dict[str, dict[str, str]]:
    """Column digests of one compute-aware run of each class (heterogeneous edges, a hot spot: new code paths)."""
    from tests.sim.test_accelerated import digests

    return {
        name: digests(simulate(scenario_of(changes, 0), "compute-aware").columns) for name, changes in CLASSES.items()
    }


def test_the_compiled_modules_route_every_class_as_the_python_sources():
    from tests.sim.test_accelerated import in_pure_python

    code = "import json; from tests.sim.test_routing_classes import class_digests; print(json.dumps(class_digests()))"
    assert class_digests() == json.loads(in_pure_python(code))
