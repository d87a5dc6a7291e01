"""Joules charged to jobs as a run goes, kept flat: two growing arrays of job ids and joules (16 bytes a charge).

A dictionary of job → joules costs about 100 bytes a job (its key and value objects and its slots), which at
ten million tasks is a gigabyte per charging component; the energy accounting (:func:`mcfn.sim.energy.task_energy`)
sums the charges into tasks once, when the run has ended.
"""

from __future__ import annotations

from array import array

import numpy as np


class Charges:
    """Every charge in the order made; a job may be charged many times (its sum is its energy)."""

    __slots__ = ("_jobs", "_joules")

    def __init__(self) -> None:
        self._jobs = array("q")
        self._joules = array("d")

    def add(self, job: int, joules: float) -> None:
        self._jobs.append(job)
        self._joules.append(joules)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The charges' job ids (int64) and joules (float64), views of the arrays kept (no copy)."""
        return np.frombuffer(self._jobs, dtype=np.int64), np.frombuffer(self._joules, dtype=np.float64)
