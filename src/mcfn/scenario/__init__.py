"""The typed simulation scenario: YAML in, validated once with one-line errors naming the field.

:func:`load_scenario` reads a file, :func:`parse_scenario` a decoded document, :func:`default_scenario` returns
the embedded default of ``mcfn run``; :class:`ScenarioError` is the one error they raise. Both readers derive
the stage lists of zoo services (:mod:`mcfn.scenario.zoo`) once the document is valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mcfn.scenario.default import DEFAULT_SCENARIO_YAML
from mcfn.scenario.model import Deployment, Failure, Scenario, ScenarioError, Service, StageDoc, TraceMobilityDoc
from mcfn.scenario.zoo import derive_zoo_stages
from mcfn.validation import validation_message

__all__ = [
    "DEFAULT_SCENARIO_YAML",
    "Deployment",
    "Failure",
    "Scenario",
    "ScenarioError",
    "Service",
    "StageDoc",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
]


def parse_scenario(document: Any) -> Scenario:
    """Validate a decoded scenario document and derive its zoo services' stages; raises :class:`ScenarioError`
    naming the first bad field."""
    if not isinstance(document, dict):
        raise ScenarioError(f"a scenario must be a mapping of fields, got {type(document).__name__}")
    try:
        return derive_zoo_stages(Scenario.model_validate(document))
    except ValidationError as exc:
        raise ScenarioError(validation_message(exc)) from None
    except ValueError as exc:  # a split the model cannot take
        raise ScenarioError(str(exc)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; errors name the file and the field.

    Relative trace paths (``terminals.mobility.path``, ``services[i].arrivals_path``) are taken relative to the
    scenario file's folder.
    """
    from mcfn.network.topology.io import read_yaml

    document = read_yaml(path, ScenarioError)  # its errors name the file already
    try:
        scenario = parse_scenario(document)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    folder = Path(path).parent
    mobility = scenario.terminals.mobility
    if isinstance(mobility, TraceMobilityDoc) and not Path(mobility.path).is_absolute():
        trace = mobility.model_copy(update={"path": str(folder / mobility.path)})
        terminals = scenario.terminals.model_copy(update={"mobility": trace})
        scenario = scenario.model_copy(update={"terminals": terminals})
    services = tuple(
        s.model_copy(update={"arrivals_path": str(folder / s.arrivals_path)})
        if s.arrivals_path is not None and not Path(s.arrivals_path).is_absolute()
        else s
        for s in scenario.services
    )
    return scenario.model_copy(update={"services": services})


def default_scenario() -> Scenario:
    """The embedded default scenario (7 cells, a cloud, 300 terminals, 3 services, 600 s)."""
    from mcfn.network.topology.io import yaml_load

    return parse_scenario(yaml_load(DEFAULT_SCENARIO_YAML))
