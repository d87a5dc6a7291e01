"""A sweep of network simulations: every combination of scenario fields × policies × seeds, one run each.

A sweep file (YAML) names a base scenario, fixed changes to it, a grid of scenario fields by dotted path, the
policies and the seeds::

    scenario: city.yaml            # optional (relative to this file); default: the embedded default scenario
    set: {duration_s: 60}          # optional: fields changed in every run
    grid:                          # every combination of these values (fields by dotted path)
      terminals.count: [100, 200, 300]
    policies: [compute-aware, nearest-edge]
    seeds: 5                       # the scenario's seed and the 4 after it (or a list of seeds)

Each (grid point, policy, seed) is an independent run (:func:`run_point`), keyed by the hash of its whole resolved
scenario and its policy (:class:`mcfn.experiments.executor.Job`), so a sweep run again reads what it already has.
The result is one tidy table — a row per run, a column per grid field and per scalar of the run's summary — and
means over seeds with their 95 % confidence intervals (:mod:`mcfn.experiments.stats`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from mcfn.experiments.executor import Job
from mcfn.experiments.stats import MeanCI, mean_ci
from mcfn.validation import StrictModel, validation_message

#: Summary entries left out of the tidy table: per-node and per-station maps, whose columns change with the grid.
PER_NODE_ENTRIES = ("utilisation", "uplink_utilisation")
#: The metrics plotted by default, and their axis labels.
PLOTTED = {
    "mean_utility": "mean utility",
    "deadline_satisfaction": "deadline met (share)",
    "latency_s.p95": "latency p95 (s)",
    "tasks_per_wall_s": "simulated tasks per wall second",
}


class SweepError(ValueError):
    """A sweep file that cannot be used; the message is one line naming the bad field."""


class SweepDoc(StrictModel):
    """The sweep file, validated (see the module docstring)."""

    scenario: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    policies: list[str] = Field(min_length=1)
    seeds: int | list[int] = 1

    @field_validator("grid")
    @classmethod
    def _values(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name, values in grid.items():
            if not values:
                raise ValueError(f"{name}: give at least one value")
        return grid

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, seeds: int | list[int]) -> int | list[int]:
        if (isinstance(seeds, int) and seeds < 1) or (isinstance(seeds, list) and not seeds):
            raise ValueError("give at least one seed")
        return seeds


def _set_field(document: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``document[a][b]… = value`` for ``dotted = "a.b…"`` (list items by index, e.g. ``services.0.rate…``)."""
    *parents, last = dotted.split(".")
    node: Any = document
    for part in parents:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise SweepError(f"{dotted}: the scenario has no field {part!r} there") from None
    if isinstance(node, list):
        try:
            node[int(last)] = value
        except (IndexError, ValueError):
            raise SweepError(f"{dotted}: the scenario has no item {last!r} there") from None
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise SweepError(f"{dotted}: {'.'.join(parents)} is not a group of fields")


class Sweep:
    """A validated sweep: the base scenario document, the grid points, the policies and the seeds."""

    def __init__(self, doc: SweepDoc, base: dict[str, Any]) -> None:
        from mcfn.orchestration.choice import ORCHESTRATED
        from mcfn.orchestration.placement import TERMINAL_POLICIES
        from mcfn.routing import POLICIES

        known = [*ORCHESTRATED, *POLICIES, *TERMINAL_POLICIES]
        for name in doc.policies:
            if name not in known:
                raise SweepError(f"policies: unknown policy {name!r}; valid: {', '.join(known)}")
        self.fields = tuple(doc.grid)
        self.points = tuple(itertools.product(*doc.grid.values()))
        self.policies = tuple(dict.fromkeys(doc.policies))
        first = int(base.get("seed", 0))
        self.seeds = tuple(range(first, first + doc.seeds)) if isinstance(doc.seeds, int) else tuple(doc.seeds)
        self._base = base
        for dotted, value in doc.set.items():
            _set_field(self._base, dotted, value)
        for point in self.points:  # every grid point must make a valid scenario, before anything runs
            self.scenario_document(point, self.seeds[0])

    def scenario_document(self, point: Sequence[Any], seed: int) -> dict[str, Any]:
        """The resolved scenario document of one grid point and seed, validated."""
        import copy

        from mcfn.scenario import ScenarioError, parse_scenario

        document = copy.deepcopy(self._base)
        for dotted, value in zip(self.fields, point, strict=True):
            _set_field(document, dotted, value)
        document["seed"] = seed
        try:
            parse_scenario(document)
            return document
        except ScenarioError as exc:
            where = ", ".join(f"{f}={v!r}" for f, v in zip(self.fields, point, strict=True)) or "the base scenario"
            raise SweepError(f"at {where}: {exc}") from None

    def jobs(self) -> list[Job]:
        """One job per (grid point, policy, seed), in that nesting order."""
        return [
            Job(run_point, (self.scenario_document(point, seed), policy))
            for point in self.points
            for policy in self.policies
            for seed in self.seeds
        ]

    def labels(self) -> list[dict[str, Any]]:
        """The grid fields, policy and seed of each job of :meth:`jobs`, in the same order."""
        return [
            {**dict(zip(self.fields, point, strict=True)), "policy": policy, "seed": seed}
            for point in self.points
            for policy in self.policies
            for seed in self.seeds
        ]


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; errors name the file and the field."""
    from mcfn.network.topology.io import read_yaml, yaml_load
    from mcfn.scenario import DEFAULT_SCENARIO_YAML, ScenarioError

    path = Path(path)
    raw = read_yaml(path, SweepError)
    if not isinstance(raw, dict):
        raise SweepError(f"{path}: a sweep must be a mapping of fields, got {type(raw).__name__}")
    try:
        doc = SweepDoc.model_validate(raw)
    except ValidationError as exc:
        raise SweepError(f"{path}: {validation_message(exc)}") from None
    if doc.scenario is None:
        base = yaml_load(DEFAULT_SCENARIO_YAML)
    else:
        try:
            base = _with_absolute_paths(path.parent / doc.scenario)
        except ScenarioError as exc:
            raise SweepError(f"{path}: scenario: {exc}") from None
    try:
        return Sweep(doc, base)
    except SweepError as exc:
        raise SweepError(f"{path}: {exc}") from None


def _with_absolute_paths(scenario_path: Path) -> dict[str, Any]:
    """The scenario file's document, its trace paths made absolute as :func:`mcfn.scenario.load_scenario` takes
    them (so that a worker anywhere reads the same files)."""
    from mcfn.network.topology.io import read_yaml
    from mcfn.scenario import ScenarioError, load_scenario
    from mcfn.scenario.model import TraceMobilityDoc

    scenario = load_scenario(scenario_path)
    document = read_yaml(scenario_path, ScenarioError)
    if isinstance(scenario.terminals.mobility, TraceMobilityDoc):
        document["terminals"]["mobility"]["path"] = str(Path(scenario.terminals.mobility.path).resolve())
    for raw, service in zip(document.get("services", []), scenario.services, strict=False):
        if service.arrivals_path is not None:
            raw["arrivals_path"] = str(Path(service.arrivals_path).resolve())
    return document


def run_point(document: dict[str, Any], policy: str) -> dict[str, Any]:
    """Simulate one resolved scenario document under ``policy``; the run's summary as flat scalars."""
    from mcfn.scenario import parse_scenario
    from mcfn.sim.run import simulate

    summary = simulate(parse_scenario(document), policy).summary
    return flatten({k: v for k, v in summary.items() if k not in PER_NODE_ENTRIES and k not in ("policy", "seed")})


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level of ``a.b`` keys, keeping numbers, strings, booleans and ``None``."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif value is None or isinstance(value, int | float | str | bool):
            flat[name] = value
    return flat


def tidy_rows(sweep: Sweep, results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per run: its grid fields, policy and seed, then its metrics (the union of every run's columns)."""
    columns = list(dict.fromkeys(key for result in results for key in result))
    return [
        {**label, **{c: result.get(c) for c in columns}} for label, result in zip(sweep.labels(), results, strict=True)
    ]


def means(sweep: Sweep, rows: Sequence[dict[str, Any]], metric: str) -> dict[tuple[Any, ...], MeanCI]:
    """``metric``'s mean over seeds and 95 % CI for every (grid point, policy)."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        key = (*(row[f] for f in sweep.fields), row["policy"])
        groups.setdefault(key, []).append(row.get(metric))
    return {key: mean_ci(v for v in values if isinstance(v, int | float)) for key, values in groups.items()}
