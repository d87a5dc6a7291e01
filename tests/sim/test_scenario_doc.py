"""docs/formats/simulation-scenario.md: its default block is the embedded default, and it documents every field
of the scenario."""

import re
from pathlib import Path

import yaml
from pydantic import BaseModel

from mcfn.scenario import Scenario, default_scenario, parse_scenario
from mcfn.scenario.model import GaussMarkovMobility, RandomWaypointMobility, TraceMobilityDoc

DOC = (Path(__file__).parents[2] / "docs" / "formats" / "simulation-scenario.md").read_text(encoding="utf-8")


def test_the_documented_default_is_the_embedded_default():
    block = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)[-1]
    assert parse_scenario(yaml.safe_load(block)) == default_scenario()


def _fields(model: type[BaseModel]) -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        names.add(name)
        for arg in (field.annotation, *getattr(field.annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _fields(arg)
    return names


def test_every_field_is_documented():
    fields = _fields(Scenario)
    for model in (RandomWaypointMobility, GaussMarkovMobility, TraceMobilityDoc):
        fields |= _fields(model)
    missing = sorted(name for name in fields if f"`{name}" not in DOC and f"{name}:" not in DOC)
    assert not missing
