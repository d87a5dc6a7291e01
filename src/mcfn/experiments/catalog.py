"""The seed's allocation figures as data: the grid each one sweeps (``docs/formats/allocation.md``, the default
scenario).

Dependency-free on purpose, so the CLI can list the figures without importing solvers or plotting.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FigureName(StrEnum):
    FIG3 = "fig3"
    FIG4 = "fig4"


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """One sweep: ``x_field`` of :class:`mcfn.allocation.generator.InstanceSpec` over ``x_values``, per bandwidth."""

    name: FigureName
    title: str
    x_field: str
    x_label: str
    x_values: tuple[float, ...]
    bandwidths_mhz: tuple[float, ...] = (10.0, 50.0)
    capacity_gcycles: float = 100.0
    degradation: float = 0.1


FIGURES: dict[FigureName, FigureSpec] = {
    FigureName.FIG3: FigureSpec(
        name=FigureName.FIG3,
        title="System utility vs edge computing capacity (seed Fig. 3)",
        x_field="capacity_gcycles",
        x_label="edge computing capacity F (Gcycle/s)",
        x_values=tuple(float(f) for f in range(25, 301, 25)),
    ),
    FigureName.FIG4: FigureSpec(
        name=FigureName.FIG4,
        title="System utility vs parallel degradation factor (seed Fig. 4)",
        x_field="degradation",
        x_label="degradation factor d",
        x_values=tuple(0.25 * k for k in range(9)),
    ),
}

#: The spec asks for at least 10 seeded instances per point.
DEFAULT_SEEDS = 10
