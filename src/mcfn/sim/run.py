"""Run one scenario under one routing policy: build the world, drive the model, summarise.

Arrivals stop at ``duration_s``; the run then continues (mobility, adverts and all) until no task is in flight
or ``drain_s`` more seconds have passed, and the tasks still in flight then fail with that reason, so every task
of the run ends exactly once. Every policy of a comparison sees the same arrivals, mobility and adverts: each is
drawn from its own named stream of the run's seed (:meth:`mcfn.sim.engine.Simulator.stream`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcfn.routing import make_policy
from mcfn.scenario import Scenario
from mcfn.sim.engine import Simulator
from mcfn.sim.failures import Failures
from mcfn.sim.model import NetworkModel
from mcfn.sim.summary import summarise, task_columns
from mcfn.sim.world import build_world

#: ``progress(simulated_s)``, called between chunks of the run.
Progress = Callable[[float], None]


@dataclass(frozen=True, eq=False)
class RunResult:
    """One policy's run: per-task columns, the summary, and the model (for its stations and names)."""

    policy: str
    columns: dict[str, np.ndarray]
    summary: dict[str, Any]
    model: NetworkModel


def simulate(scenario: Scenario, policy: str, *, progress: Progress | None = None, chunks: int = 100) -> RunResult:
    """Simulate ``scenario`` with routing ``policy`` (a name of :data:`mcfn.routing.POLICIES`)."""
    sim = Simulator(seed=scenario.seed)
    chooser = make_policy(policy, sim.stream("policy"))
    model = NetworkModel(sim, build_world(scenario), policy=chooser)
    Failures(model, scenario.failures)
    started = time.perf_counter()
    step_s = scenario.duration_s / chunks
    for i in range(1, chunks + 1):
        sim.run(until_s=i * step_s)
        if progress is not None:
            progress(sim.now)
    end_s = scenario.duration_s + scenario.drain_s
    while model.table.in_flight and sim.now < end_s:
        sim.run(until_s=min(sim.now + step_s, end_s))
    model.fail_all_in_flight(f"still in flight {scenario.drain_s:g} s after the arrivals stopped")
    wall_s = time.perf_counter() - started
    columns = task_columns(model)
    summary = summarise(model, columns, horizon_s=sim.now)
    summary["policy"] = policy
    summary["wall_s"] = wall_s
    summary["tasks_per_wall_s"] = model.table.count / wall_s if wall_s > 0 else None
    return RunResult(policy=policy, columns=columns, summary=summary, model=model)
