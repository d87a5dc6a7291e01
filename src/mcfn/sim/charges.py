"""Joules charged to jobs as a run goes, kept flat: two growing arrays of job ids and joules (16 bytes a charge),
summed into their tasks from time to time (8 bytes a task).

A dictionary of job → joules costs about 100 bytes a job (its key and value objects and its slots), which at
ten million tasks is a gigabyte per charging component; the raw charges, about four a task, still half a gigabyte
for the two components. :meth:`Charges.fold` sums the charges made so far into their tasks (a tile job's task from
its id, :func:`mcfn.sim.model.tile_job`) and forgets them; the run folds them between its steps
(:func:`mcfn.sim.energy.fold_charges`). A task's sum is its charges added in the order they were made, however
often they were folded, so it is the same, bit for bit, as one sum at the end.
"""

from __future__ import annotations

import numpy as np

#: Charges there is room for at first (the room doubles when full, and is kept after a fold).
_FIRST_ROOM = 1024


class Charges:
    """Every charge since the last fold in the order made, and the folded charges summed by task; a job may be
    charged many times (its sum is its energy)."""

    def __init__(self) -> None:
        self._job_array = np.zeros(_FIRST_ROOM, dtype=np.int64)
        self._joule_array = np.zeros(_FIRST_ROOM)
        self._jobs = self._job_array  # typed views of the two (C memoryviews when compiled)
        self._joules = self._joule_array
        self._count = 0
        self._tasks = np.zeros(0)

    def add(self, job: int, joules: float) -> None:
        n = self._count
        if n == self._jobs.shape[0]:
            self._grow()
        self._jobs[n] = job
        self._joules[n] = joules
        self._count = n + 1

    def _grow(self) -> None:
        """Twice the room, the charges kept."""
        self._job_array = np.concatenate([self._job_array, np.zeros(len(self._job_array), dtype=np.int64)])
        self._joule_array = np.concatenate([self._joule_array, np.zeros(len(self._joule_array))])
        self._jobs = self._job_array
        self._joules = self._joule_array

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The job ids (int64) and joules (float64) of the charges made since the last fold, views of the arrays kept
        (no copy)."""
        return self._job_array[: self._count], self._joule_array[: self._count]

    def fold(self, tasks: int) -> None:
        """Add the charges made since the last fold to their tasks' sums (room for at least ``tasks`` tasks) and
        forget them; jobs from :data:`~mcfn.sim.model.BACKGROUND_BASE` up are no task's (a background workload's, a
        deployment's loads) and are dropped."""
        from mcfn.sim.model import BACKGROUND_BASE, tile_job  # the model imports this module

        if len(self._tasks) < tasks:
            grown = np.zeros(tasks)
            grown[: len(self._tasks)] = self._tasks
            self._tasks = grown
        jobs, joules = self.arrays()
        tile_base = tile_job(0, 0, 0)  # the first tile job id (its constant is C-only when compiled)
        of_tasks = jobs < BACKGROUND_BASE
        jobs, joules = jobs[of_tasks], joules[of_tasks]
        np.add.at(self._tasks, np.where(jobs >= tile_base, (jobs - tile_base) >> 11, jobs), joules)
        self._count = 0

    def by_task(self, tasks: int) -> np.ndarray:
        """Every task's summed charges (the ``tasks`` first), after folding the charges not yet folded."""
        self.fold(tasks)
        return self._tasks[:tasks]
