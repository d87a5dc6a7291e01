"""Small network-simulation scenarios for the tests."""

from __future__ import annotations

from typing import Any

from mcfn.scenario import Scenario, parse_scenario


def small_scenario(**overrides: Any) -> Scenario:
    """A 7-cell scenario small enough to simulate in a fraction of a second; top-level fields overridable."""
    document: dict[str, Any] = {
        "duration_s": 20,
        "drain_s": 10,
        "seed": 3,
        "terminals": {"count": 60, "mobility": {"model": "random-waypoint", "speed_mps": [5, 20]}},
        "compute": {
            "edge": {
                "kind": "cpu",
                "peak_flops_per_s": 2.0e11,
                "memory_bytes": 3.2e10,
                "vm_slots": 2,
                "degradation": 0.2,
            },
            "cloud": {"kind": "gpu", "peak_flops_per_s": 1.0e13, "memory_bytes": 1.0e12, "vm_slots": 8},
        },
        "services": [
            {
                "name": "classify",
                "rate_per_terminal_per_s": 1.0,
                "data_bits": 1.2e6,
                "deadline_s": 0.2,
                "accuracy": 0.76,
                "stages": [{"flops": {"conv": 4.0e9}, "output_bits": 8000}],
            },
            {
                "name": "detect",
                "rate_per_terminal_per_s": 0.5,
                "data_bits": 2.0e6,
                "deadline_s": 0.3,
                "accuracy": 0.5,
                "stages": [
                    {"flops": {"conv": 5.0e9}, "output_bits": 3.2e6},
                    {"flops": 1.0e9, "output_bits": 16000, "on": ["edge"]},
                ],
            },
        ],
    }
    document.update(overrides)
    return parse_scenario(document)


def tiled_scenario(**overrides: Any) -> Scenario:
    """:func:`small_scenario` with vertical splits: ``classify``'s one stage in 3 tiles with a 10 % halo, and
    ``detect``'s first stage in 2 tiles on the edge with a 20 % halo, before its untiled second stage."""
    document = small_scenario().model_dump(mode="json")
    classify, detect = document["services"]
    classify["stages"][0].update(tiles=3, halo=0.1)
    detect["stages"][0].update(tiles=2, halo=0.2, on=["edge"])
    document.update(overrides)
    return parse_scenario(document)
