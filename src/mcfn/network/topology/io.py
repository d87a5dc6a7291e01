"""Topology documents (YAML or decoded JSON): validated once here, at the boundary, with pydantic.

Either an explicit graph::

    nodes: [{id: bs0, role: base_station}, {id: edge0, role: edge_server}, ...]
    links: [{a: bs0, b: edge0, bandwidth_bps: 1.0e10, delay_s: 1.0e-5}, ...]

or a generated hexagonal layout (fields of :class:`~mcfn.network.topology.builders.HexSpec`, plus ``seed``)::

    hex: {rings: 1, terminals_per_cell: 4, seed: 7}

Errors are :class:`TopologyError`, one line naming the bad field, e.g. ``links[2].bandwidth_bps: Input should be
greater than 0``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field, ValidationError, model_validator

from mcfn.network.topology.builders import HexSpec, hex_topology
from mcfn.network.topology.graph import Link, Role, Topology
from mcfn.validation import StrictModel, validation_message


class TopologyError(ValueError):
    """A topology document that cannot be used; the message is one line naming the problem."""


class _Node(StrictModel):
    id: Annotated[str, Field(min_length=1)]
    role: Role
    x_m: float | None = None
    y_m: float | None = None


class _Link(StrictModel):
    a: Annotated[str, Field(min_length=1)]
    b: Annotated[str, Field(min_length=1)]
    bandwidth_bps: Annotated[float, Field(gt=0)]
    delay_s: Annotated[float, Field(ge=0)]


class _Hex(StrictModel):
    rings: Annotated[int, Field(ge=0, le=60)] = 1
    cell_radius_m: Annotated[float, Field(gt=0)] = 500.0
    terminals_per_cell: Annotated[int, Field(ge=0)] = 0
    cells_per_aggregation: Annotated[int, Field(ge=1)] = 7
    seed: int = 0


class TopologyDoc(StrictModel):
    """The topology section of a document (see the module docstring)."""

    hex: _Hex | None = None
    nodes: tuple[_Node, ...] = ()
    links: tuple[_Link, ...] = ()

    @model_validator(mode="after")
    def _one_form(self) -> TopologyDoc:
        if (self.hex is None) == (not self.nodes):
            raise ValueError("give either 'hex' or 'nodes' and 'links', not both or neither")
        names = [n.id for n in self.nodes]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"node id {twice[0]!r} appears twice")
        known = set(names)
        for i, link in enumerate(self.links):
            for end in (link.a, link.b):
                if end not in known:
                    raise ValueError(f"links[{i}] names an unknown node {end!r}")
            if link.a == link.b:
                raise ValueError(f"links[{i}] joins {link.a!r} to itself")
        return self

    def build(self) -> Topology:
        if self.hex is not None:
            spec = HexSpec(**self.hex.model_dump(exclude={"seed"}))
            return hex_topology(spec, np.random.default_rng(self.hex.seed))
        return Topology(
            roles={n.id: n.role for n in self.nodes},
            links=[Link(a=k.a, b=k.b, bandwidth_bps=k.bandwidth_bps, delay_s=k.delay_s) for k in self.links],
            positions_m={n.id: (n.x_m, n.y_m) for n in self.nodes if n.x_m is not None and n.y_m is not None},
        )


def parse_topology(document: Any) -> Topology:
    """Validate a decoded topology document and build the :class:`Topology`; raises :class:`TopologyError`."""
    try:
        return TopologyDoc.model_validate(document).build()
    except ValidationError as exc:
        raise TopologyError(validation_message(exc)) from None


def yaml_load(text: str) -> Any:
    """Decode YAML text with YAML 1.2 booleans: only ``true`` / ``false`` are, so a field named ``on`` stays a
    name (PyYAML follows YAML 1.1, where ``on``, ``off``, ``yes``, ``no`` are booleans too)."""
    import yaml

    return yaml.load(text, Loader=_yaml12_loader())


@cache
def _yaml12_loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return Loader


def read_yaml(path: str | Path, error: type[ValueError]) -> Any:
    """Decode a YAML file (:func:`yaml_load`); unreadable or malformed files raise ``error`` with a one-line
    message."""
    import yaml

    path = Path(path)
    try:
        return yaml_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise error(f"{path} is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None


def load_topology(path: str | Path) -> Topology:
    """Read and validate a topology YAML file; raises :class:`TopologyError` naming the file and the field."""
    try:
        return parse_topology(read_yaml(path, TopologyError))
    except TopologyError as exc:
        raise TopologyError(f"{path}: {exc}") from None
