"""A scenario with choices to learn: variants, an exit and compression levels, on a small network."""

from __future__ import annotations

from typing import Any

from mcfn.scenario import Scenario, parse_scenario
from tests.sim.conftest import small_scenario


def choice_scenario(**overrides: Any) -> Scenario:
    """:func:`~tests.sim.conftest.small_scenario` whose ``classify`` has a lighter variant and two compression levels
    and whose ``detect`` may answer after its first stage, under equal-bandwidth uplinks (the orchestrator sets the
    compression); 30 terminals, a few simulated seconds."""
    document = small_scenario().model_dump(mode="json", exclude_none=True)
    classify, detect = document["services"]
    classify.update(
        compression=[1.0, 0.5],
        min_accuracy=0.5,
        variants=[{"name": "light", "accuracy": 0.6, "stages": [{"flops": {"conv": 1.0e9}, "output_bits": 8000}]}],
    )
    detect["exits"] = [{"after": 0, "accuracy": 0.3, "source": "assumed"}]
    document["terminals"]["count"] = 30
    document["radio"] = {**document.get("radio", {}), "uplink_policy": "equal-bandwidth"}
    document.update(duration_s=3, drain_s=5)
    document.update(overrides)
    return parse_scenario(document)
