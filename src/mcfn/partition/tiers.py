"""Tiers (``docs/formats/tiers.md``): an ordered chain of compute places (device → edge → cloud) and their links.

Validation happens here, at the boundary: :class:`TierError` with one line naming the bad field, e.g.
``links: no link from 'edge' to 'cloud'; consecutive tiers need one``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError, model_validator

from mcfn.validation import StrictModel, load_json, validation_message


class TierError(ValueError):
    """A tier file or document that cannot be used; the message is one line naming the problem."""


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    flops_per_s: float


@dataclass(frozen=True, slots=True)
class Link:
    """The link from tier ``i`` to tier ``i + 1``; the same link carries results back."""

    source: str
    target: str
    bandwidth_bps: float
    latency_s: float


@dataclass(frozen=True)
class Tiers:
    """``tiers[0]`` holds the input; ``links[i]`` joins ``tiers[i]`` and ``tiers[i + 1]``."""

    tiers: tuple[Tier, ...]
    links: tuple[Link, ...]

    def __post_init__(self) -> None:
        if not self.tiers:
            raise TierError("tiers: at least one tier is needed")
        if len(self.links) != len(self.tiers) - 1:
            raise TierError(f"links: {len(self.tiers)} tiers need {len(self.tiers) - 1} links, got {len(self.links)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    def __len__(self) -> int:
        return len(self.tiers)


Positive = Annotated[float, Field(gt=0)]


class _Tier(StrictModel):
    name: Annotated[str, Field(min_length=1)]
    flops_per_s: Positive


class _Link(StrictModel):
    model_config = ConfigDict(populate_by_name=True)
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    bandwidth_bps: Positive
    latency_s: Annotated[float, Field(ge=0)] = 0.0


class _Tiers(StrictModel):
    tiers: Annotated[list[_Tier], Field(min_length=1)]
    links: list[_Link] = Field(default_factory=list)

    @model_validator(mode="after")
    def _chain(self) -> _Tiers:
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique, got {names}")
        pairs = {(link.source, link.target): link for link in self.links}
        for link in self.links:
            if (link.source, link.target) not in itertools.pairwise(names):
                raise ValueError(
                    f"link {link.source!r} -> {link.target!r} does not join consecutive tiers of {' -> '.join(names)}"
                )
        for a, b in itertools.pairwise(names):
            if (a, b) not in pairs:
                raise ValueError(f"no link from {a!r} to {b!r}; consecutive tiers need one")
        if len(pairs) != len(self.links):
            raise ValueError("a link between two tiers is given twice")
        return self


def parse_tiers(document: Any) -> Tiers:
    """Validate a decoded tiers JSON document; raises :class:`TierError`."""
    try:
        model = _Tiers.model_validate(document)
    except ValidationError as exc:
        raise TierError(validation_message(exc)) from None
    names = [t.name for t in model.tiers]
    by_pair = {(link.source, link.target): link for link in model.links}
    return Tiers(
        tiers=tuple(Tier(t.name, t.flops_per_s) for t in model.tiers),
        links=tuple(
            Link(a, b, by_pair[a, b].bandwidth_bps, by_pair[a, b].latency_s) for a, b in itertools.pairwise(names)
        ),
    )


def load_tiers(path: str | Path) -> Tiers:
    """Read and validate a tiers JSON file; errors name the file."""
    return load_json(path, parse_tiers, TierError)


def dump_tiers(tiers: Tiers) -> dict[str, Any]:
    """The tiers as the spec's JSON document (round-trips through :func:`parse_tiers`)."""
    return {
        "tiers": [{"name": t.name, "flops_per_s": t.flops_per_s} for t in tiers.tiers],
        "links": [
            {"from": k.source, "to": k.target, "bandwidth_bps": k.bandwidth_bps, "latency_s": k.latency_s}
            for k in tiers.links
        ],
    }
