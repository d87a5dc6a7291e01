"""A run's per-task columns: those the run wrote, kept; the others derived when asked for, a chunk of rows at a time.

Holding every per-task column of a long run at once (28 of them, about 150 bytes a task, plus the temporaries of
computing them) took more memory than the run itself: at ten million tasks, gigabytes. A :class:`TaskColumns`
keeps only what the simulation recorded (the task table's columns, each task's charged energy, what terminals and a
deployment recorded) and computes a derived column (latency, deadline met, accuracy, utility, radio energy: the
rules are :mod:`mcfn.sim.summary`'s and :mod:`mcfn.sim.energy`'s) when a caller reads it, :data:`CHUNK` rows at a
time, so that it costs its own size and no temporaries of that size. Every rule is element-wise (the same NumPy
operations on a chunk as on the whole column), so a derived value is the same, bit for bit, whatever the chunk size;
nothing derived is cached (a caller that needs a column twice keeps it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

#: Rows per chunk of a derived column: 2 MiB per float64 temporary.
CHUNK = 1 << 18

#: ``rule(columns, rows)``: a derived column's values at ``rows`` (a slice), from other columns' parts
#: (:meth:`TaskColumns.part`); picklable (a bound method of plain data), so that results cross processes.
Rule = Callable[["TaskColumns", slice], np.ndarray]


class TaskColumns(Mapping[str, np.ndarray]):
    """Per-task columns by name: ``stored`` ones as given, ``derived`` ones computed on each read (a new array).

    Names iterate in the order they were added (:meth:`add`).
    """

    def __init__(self, rows: int, *, chunk: int | None = None) -> None:
        """``rows`` tasks; derived columns computed ``chunk`` rows at a time (default :data:`CHUNK`)."""
        chunk = CHUNK if chunk is None else chunk
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1 row, got {chunk}")
        self.rows = rows
        self.chunk = chunk
        self._stored: dict[str, np.ndarray] = {}
        self._rules: dict[str, Rule] = {}
        self._order: list[str] = []

    def add(self, *, stored: Mapping[str, np.ndarray] | None = None, derived: Mapping[str, Rule] | None = None) -> None:
        """Add columns kept as they are (one row per task) or derived by a :data:`Rule`; a name is added once."""
        for name, values in (stored or {}).items():
            if len(values) != self.rows:
                raise ValueError(f"column {name} has {len(values)} rows, not {self.rows}")
            self._name(name)
            self._stored[name] = values
        for name, rule in (derived or {}).items():
            self._name(name)
            self._rules[name] = rule

    def _name(self, name: str) -> None:
        if name in self._stored or name in self._rules:
            raise ValueError(f"column {name} is already there")
        self._order.append(name)

    def part(self, name: str, rows: slice) -> np.ndarray:
        """Column ``name`` at ``rows``: a view of a stored column, or the derived values of those rows alone."""
        values = self._stored.get(name)
        return values[rows] if values is not None else self._rules[name](self, rows)

    def __getitem__(self, name: str) -> np.ndarray:
        values = self._stored.get(name)
        return values if values is not None else self._derive(self._rules[name], None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._stored or name in self._rules

    def select(self, name: str, tasks: np.ndarray) -> np.ndarray:
        """``self[name][tasks]`` (``tasks``: a mask of every row), without the whole of a derived column."""
        values = self._stored.get(name)
        return values[tasks] if values is not None else self._derive(self._rules[name], tasks)

    def _derive(self, rule: Rule, tasks: np.ndarray | None) -> np.ndarray:
        """The rows (all, or those of the mask ``tasks``) of a derived column, computed chunk by chunk into one
        array."""
        size = self.rows if tasks is None else int(np.count_nonzero(tasks))
        out: np.ndarray | None = None
        filled = 0
        for start in range(0, max(self.rows, 1), self.chunk):  # once at least, for the dtype of no rows
            rows = slice(start, min(start + self.chunk, self.rows))
            part = rule(self, rows)
            if tasks is not None:
                part = part[tasks[rows]]
            if out is None:
                out = np.empty((size, *part.shape[1:]), dtype=part.dtype)
            out[filled : filled + len(part)] = part
            filled += len(part)
        assert out is not None
        return out


@dataclass(frozen=True)
class Constant:
    """The rule of a column with one value in every row (of ``dtype``)."""

    value: float
    dtype: type

    def __call__(self, columns: TaskColumns, rows: slice) -> np.ndarray:
        return np.full(len(range(*rows.indices(columns.rows))), self.value, dtype=self.dtype)
