"""Terminal mobility models, vectorised over terminals and advanced in time steps.

A model holds the positions of all terminals in a rectangle and moves them by :meth:`advance` (``dt_s`` seconds);
the simulator calls it periodically. Randomness only from the ``numpy.random.Generator`` passed in.

- :class:`RandomWaypoint` — Johnson & Maltz, "Dynamic Source Routing in Ad Hoc Wireless Networks" (1996):
  pick a uniform destination and a uniform speed, travel, pause, repeat.
- :class:`GaussMarkov` — Liang & Haas, "Predictive distance-based mobility management for PCS networks"
  (INFOCOM 1999): speed and heading follow first-order autoregressive processes with memory ``alpha``.
- :class:`TraceMobility` — positions replayed from a ``t,x,y`` trace (one trace per terminal), linearly
  interpolated, held at the last sample.
- :class:`CoveredArea` — a rectangle restricted to where a predicate holds (the radio coverage of the stations):
  points are drawn in it by rejection, and a Gauss-Markov terminal about to leave it turns back.
- :class:`Grouped` — groups of terminals, each moved by a model of its own (e.g. a hot spot: some terminals
  within one cell, the rest everywhere).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from mcfn.network.radio import FloatArray


@dataclass(frozen=True, slots=True)
class Area:
    """Axis-aligned rectangle in metres."""

    width_m: float
    height_m: float
    x0_m: float = 0.0
    y0_m: float = 0.0

    def __post_init__(self) -> None:
        if not (self.width_m > 0 and self.height_m > 0):
            raise ValueError(f"area must have positive size, got {self.width_m} x {self.height_m} m")

    def uniform(self, n: int, rng: np.random.Generator) -> FloatArray:
        """``n`` points drawn uniformly, shape (n, 2)."""
        x = rng.uniform(self.x0_m, self.x0_m + self.width_m, n)
        y = rng.uniform(self.y0_m, self.y0_m + self.height_m, n)
        return np.column_stack([x, y])

    def reflect(self, xy: FloatArray) -> tuple[FloatArray, np.ndarray]:
        """Fold points back into the area (mirror at the walls); returns points and a per-axis flip mask."""
        low = np.array([self.x0_m, self.y0_m])
        size = np.array([self.width_m, self.height_m])
        folded = np.mod(xy - low, 2 * size)
        flipped = folded > size
        folded = np.where(flipped, 2 * size - folded, folded)
        return folded + low, flipped

    def contains(self, xy: FloatArray) -> np.ndarray:
        """Whether each point lies in the area (after :meth:`reflect`, every point does)."""
        return np.ones(len(xy), dtype=bool)


class CoveredArea:
    """The part of ``bounds`` where ``contains`` holds, e.g. within a cell radius of some base station.

    :meth:`uniform` draws by rejection (expected draws ``n / covered share``); :meth:`reflect` mirrors at the
    rectangle's walls only, so a model moving terminals checks :meth:`contains` itself (:class:`GaussMarkov`).
    """

    #: Rejection rounds before giving up: the covered share is then below ~1e-3 of the rectangle.
    MAX_ROUNDS = 1000

    def __init__(self, bounds: Area, contains: Callable[[FloatArray], np.ndarray]) -> None:
        self.bounds = bounds
        self._contains = contains

    def contains(self, xy: FloatArray) -> np.ndarray:
        return np.asarray(self._contains(xy), dtype=bool)

    def reflect(self, xy: FloatArray) -> tuple[FloatArray, np.ndarray]:
        return self.bounds.reflect(xy)

    def uniform(self, n: int, rng: np.random.Generator) -> FloatArray:
        """``n`` points uniform over the covered part, shape (n, 2)."""
        kept: list[FloatArray] = []
        missing = n
        for _ in range(self.MAX_ROUNDS):
            if missing <= 0:
                return np.concatenate(kept)[:n] if kept else np.empty((0, 2))
            drawn = self.bounds.uniform(max(missing, 16), rng)
            inside = drawn[self.contains(drawn)]
            kept.append(inside)
            missing -= len(inside)
        raise ValueError("the covered area is (almost) empty: no point of the rectangle is covered")


class Region(Protocol):
    """Where terminals may be: an :class:`Area` or a :class:`CoveredArea`."""

    def uniform(self, n: int, rng: np.random.Generator) -> FloatArray: ...

    def reflect(self, xy: FloatArray) -> tuple[FloatArray, np.ndarray]: ...

    def contains(self, xy: FloatArray) -> np.ndarray: ...


class MobilityModel(Protocol):
    """What the simulator needs of a mobility model."""

    @property
    def positions_m(self) -> FloatArray: ...

    def advance(self, dt_s: float) -> FloatArray:
        """Move every terminal ``dt_s`` seconds forward; return the new positions, shape (n, 2)."""
        ...


class RandomWaypoint:
    """Random waypoint: uniform destination, uniform speed in ``speed_mps``, pause ``pause_s`` at each stop.

    Waypoints are drawn in ``area`` (an :class:`Area` or a :class:`CoveredArea`); in a covered area that is not
    convex, the straight way between two waypoints may cross a gap of coverage.
    Within one step a terminal that reaches its waypoint stops there and starts its pause; the rest of the step
    is spent pausing, so the step should be small against travel times (1 s at pedestrian or vehicular speed).
    """

    def __init__(
        self,
        *,
        n: int,
        area: Region,
        rng: np.random.Generator,
        speed_mps: tuple[float, float] = (0.5, 1.5),
        pause_s: float = 0.0,
    ) -> None:
        low, high = speed_mps
        if not 0 < low <= high:
            raise ValueError(f"speed range must satisfy 0 < min <= max, got {speed_mps}")
        if pause_s < 0:
            raise ValueError(f"pause_s must be >= 0, got {pause_s}")
        self._area, self._rng, self._speed, self._pause_s = area, rng, (low, high), pause_s
        self._xy = area.uniform(n, rng)
        self._target = area.uniform(n, rng)
        self._speed_now = rng.uniform(low, high, n)
        self._pause_left = np.zeros(n)

    @property
    def positions_m(self) -> FloatArray:
        return self._xy

    def advance(self, dt_s: float) -> FloatArray:
        moving = self._pause_left <= 0
        self._pause_left = np.maximum(self._pause_left - dt_s, 0.0)
        delta = self._target - self._xy
        distance = np.hypot(delta[:, 0], delta[:, 1])
        step = self._speed_now * dt_s
        arrive = moving & (step >= distance)
        travel = moving & ~arrive
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = delta / distance[:, None]
        self._xy = np.where(travel[:, None], self._xy + unit * step[:, None], self._xy)
        self._xy = np.where(arrive[:, None], self._target, self._xy)
        k = int(arrive.sum())
        if k:
            self._target[arrive] = self._area.uniform(k, self._rng)
            self._speed_now[arrive] = self._rng.uniform(*self._speed, k)
            self._pause_left[arrive] = self._pause_s
        return self._xy


class GaussMarkov:
    """Gauss-Markov mobility with memory ``alpha`` in [0, 1]: 0 is a random walk, 1 is straight-line motion.

    Per step: ``s = alpha s + (1 - alpha) s_mean + sqrt(1 - alpha^2) sigma_s w`` and the same for the heading;
    terminals are mirrored at the area's walls (their heading mirrored with them); a terminal whose step would leave a
    :class:`CoveredArea`'s covered part stays where it is and turns around.
    """

    def __init__(
        self,
        *,
        n: int,
        area: Region,
        rng: np.random.Generator,
        mean_speed_mps: float = 1.0,
        speed_std_mps: float = 0.3,
        heading_std_rad: float = 0.5,
        alpha: float = 0.75,
    ) -> None:
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        if mean_speed_mps <= 0 or speed_std_mps < 0 or heading_std_rad < 0:
            raise ValueError("mean speed must be positive and standard deviations non-negative")
        self._area, self._rng, self._alpha = area, rng, alpha
        self._mean_speed, self._speed_std, self._heading_std = mean_speed_mps, speed_std_mps, heading_std_rad
        self._xy = area.uniform(n, rng)
        self._speed_now = np.full(n, mean_speed_mps)
        self._heading = rng.uniform(0, 2 * np.pi, n)
        self._mean_heading = self._heading.copy()

    @property
    def positions_m(self) -> FloatArray:
        return self._xy

    @property
    def speeds_mps(self) -> FloatArray:
        return self._speed_now

    def advance(self, dt_s: float) -> FloatArray:
        a, n = self._alpha, len(self._xy)
        noise = np.sqrt(1 - a * a)
        self._speed_now = np.abs(
            a * self._speed_now + (1 - a) * self._mean_speed + noise * self._speed_std * self._rng.standard_normal(n)
        )
        self._heading = (
            a * self._heading + (1 - a) * self._mean_heading + noise * self._heading_std * self._rng.standard_normal(n)
        )
        step = self._speed_now * dt_s
        moved = self._xy + np.column_stack([np.cos(self._heading), np.sin(self._heading)]) * step[:, None]
        moved, flipped = self._area.reflect(moved)
        # A wall mirrors the heading: x-flip maps h to pi - h, y-flip maps h to -h; leaving coverage turns it around.
        back = ~self._area.contains(moved)
        for heading in (self._heading, self._mean_heading):
            heading[flipped[:, 0]] = np.pi - heading[flipped[:, 0]]
            heading[flipped[:, 1]] = -heading[flipped[:, 1]]
            heading[back] += np.pi
        self._xy = np.where(back[:, None], self._xy, moved)
        return self._xy


class TraceMobility:
    """Replays per-terminal traces of ``(t, x, y)`` samples with linear interpolation."""

    def __init__(self, traces: Sequence[FloatArray]) -> None:
        if not traces:
            raise ValueError("a trace mobility model needs at least one terminal trace")
        self._traces = []
        for i, trace in enumerate(traces):
            arr = np.asarray(trace, dtype=float)
            if arr.ndim != 2 or arr.shape[1] != 3 or len(arr) == 0:
                raise ValueError(f"trace {i} must be rows of t,x,y")
            if np.any(np.diff(arr[:, 0]) <= 0):
                raise ValueError(f"trace {i}: times must increase strictly")
            self._traces.append(arr)
        self._t = 0.0
        self._xy = self._at(0.0)

    @classmethod
    def from_csv(cls, path: str | Path) -> TraceMobility:
        """Read ``t,x,y`` (one terminal) or ``terminal,t,x,y`` rows with a header line."""
        path = Path(path)
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise ValueError(f"cannot read trace {path}: {exc.strerror or exc}") from None
        if not rows or not {"t", "x", "y"} <= set(rows[0]):
            raise ValueError(f"{path}: expected a header with columns t,x,y (and optionally terminal)")
        grouped: dict[str, list[tuple[float, float, float]]] = {}
        for line, row in enumerate(rows, start=2):
            try:
                sample = (float(row["t"]), float(row["x"]), float(row["y"]))
            except (TypeError, ValueError):
                raise ValueError(f"{path}:{line}: t, x and y must be numbers") from None
            grouped.setdefault(row.get("terminal", "0"), []).append(sample)
        return cls([np.array(samples) for samples in grouped.values()])

    @property
    def positions_m(self) -> FloatArray:
        return self._xy

    def advance(self, dt_s: float) -> FloatArray:
        self._t += dt_s
        self._xy = self._at(self._t)
        return self._xy

    def _at(self, t: float) -> FloatArray:
        return np.array([[np.interp(t, tr[:, 0], tr[:, 1]), np.interp(t, tr[:, 0], tr[:, 2])] for tr in self._traces])


class Grouped:
    """Several mobility models side by side: terminals ``0 … n_0 - 1`` are the first model's, the next ``n_1`` the
    second's, and so on; each model moves its own terminals (in order, so with a shared Generator one seed gives one
    history)."""

    def __init__(self, models: Sequence[MobilityModel]) -> None:
        if not models:
            raise ValueError("a grouped mobility model needs at least one model")
        self._models = tuple(models)
        self._xy = np.concatenate([m.positions_m for m in self._models])

    @property
    def positions_m(self) -> FloatArray:
        return self._xy

    def advance(self, dt_s: float) -> FloatArray:
        self._xy = np.concatenate([m.advance(dt_s) for m in self._models])
        return self._xy
