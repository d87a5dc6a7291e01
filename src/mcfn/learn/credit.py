"""Delayed credit: each decided task's utility, paid once it ends, to the decision that chose its way.

A task's outcome is known only when it ends, many decisions after its own (the tasks in flight meanwhile need
theirs). The environment therefore pays rewards late but never loses or misattributes one: at every step it settles
the tasks that ended since the last step, and

- the step's **reward** is the sum of their utilities (the usual per-interval reward of offloading studies: the
  return of an episode is the sum of every decided task's utility, whatever the discount-free bookkeeping);
- ``info["credit"]`` lists each of them as ``(decision index, utility)``: the exact credit to the step that decided
  it, from which a learner assembles per-decision rewards (:mod:`mcfn.learn.train` does: a decision's reward is its
  own task's utility).

The utility is the one every summary reports (:func:`mcfn.sim.summary.task_columns`): ``w A - (1 - w) T / T_max``
for a task completed within its deadline ``T_max``, ``-(1 - w)`` for one late or failed.
"""

from __future__ import annotations

from collections.abc import Sequence

from mcfn.services import Option
from mcfn.sim.records import COMPLETED, TaskTable

Credit = tuple[int, float]


def task_utility(
    option: Option, compression: float, latency_s: float, deadline_s: float, completed: bool, weight: float
) -> float:
    """The seed's per-task utility of one ended task (module docstring)."""
    if not completed or latency_s > deadline_s:
        return -(1.0 - weight)
    accuracy = option.accuracy  # Option.accuracy_at's value, without its NumPy calls
    if compression < 1.0 and option.data_bits and option.curve.q:
        accuracy = option.curve.accuracy(compression * option.data_bits)
    return weight * accuracy - (1.0 - weight) * latency_s / deadline_s


class Ledger:
    """The decided tasks of one episode and the utilities paid for them."""

    def __init__(self, table: TaskTable, *, options: Sequence[Option], deadlines_s: Sequence[float], weight: float):
        self._table = table
        self._options = tuple(options)
        self._deadline_s = tuple(deadlines_s)
        self._weight = weight
        self._step_of: dict[int, int] = {}  # the decided tasks not yet paid, and their decisions
        self._ended = 0
        self.paid = 0.0

    def decided(self, task: int, step: int) -> None:
        """Task ``task`` had its way chosen by decision ``step``."""
        self._step_of[task] = step

    @property
    def unpaid(self) -> int:
        """Decided tasks not yet ended."""
        return len(self._step_of)

    def settle(self) -> list[Credit]:
        """The credits of the decided tasks that ended since the last call (a look at the unpaid ones: the tasks in
        flight)."""
        table = self._table
        ended = table.completed + table.failed
        if ended == self._ended or not self._step_of:
            self._ended = ended
            return []
        wanted, self._ended = ended - self._ended, ended
        # every unpaid task that has ended did so since the last call, so it is one of the ``wanted`` that did: the
        # oldest decisions first, and no look further once they are all found
        status = table.status
        done = []
        for task in self._step_of:
            if status[task]:
                done.append(task)
                if len(done) == wanted:
                    break
        credits = []
        for task in done:
            service = int(table.service[task])
            utility = task_utility(
                self._options[int(table.option[task])],
                float(table.compression[task]),
                float(table.end_s[task] - table.arrival_s[task]),
                self._deadline_s[service],
                int(status[task]) == COMPLETED,
                self._weight,
            )
            credits.append((self._step_of.pop(task), utility))
            self.paid += utility
        return credits
