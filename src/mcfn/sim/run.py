"""Run one scenario under one routing policy: build the world, drive the model, summarise.

Arrivals stop at ``duration_s``; the run then continues (mobility, adverts and all) until no task is in flight
or ``drain_s`` more seconds have passed, and the tasks still in flight then fail with that reason, so every task
of the run ends exactly once. Every policy of a comparison sees the same arrivals, mobility and adverts: each is
drawn from its own named stream of the run's seed (:meth:`mcfn.sim.engine.Simulator.stream`).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from mcfn.orchestration.choice import ORCHESTRATED
from mcfn.routing import make_policy
from mcfn.scenario import Scenario
from mcfn.sim.engine import Simulator
from mcfn.sim.failures import Failures
from mcfn.sim.model import NetworkModel
from mcfn.sim.summary import summarise, task_columns
from mcfn.sim.world import build_world

#: ``progress(simulated_s)``, called between chunks of the run.
Progress = Callable[[float], None]
#: ``progress(policy, simulated_s)``, for a comparison of several policies.
PolicyProgress = Callable[[str, float], None]


@dataclass(frozen=True, eq=False, kw_only=True)
class RunResult:
    """One policy's run: per-task columns, the summary, and the names that the columns' codes index.

    Plain data (picklable), so runs can come back from worker processes.
    """

    policy: str
    columns: dict[str, np.ndarray]
    summary: dict[str, Any]
    services: tuple[str, ...]
    #: ``(variant, exit, accuracy source)`` of every option, by option id (the ``option`` column).
    options: tuple[tuple[str, str, str], ...]
    nodes: tuple[str, ...]
    stations: tuple[str, ...]
    reasons: tuple[str, ...]


def simulate(scenario: Scenario, policy: str, *, progress: Progress | None = None, chunks: int = 100) -> RunResult:
    """Simulate ``scenario`` with ``policy``: a routing policy (:data:`mcfn.routing.POLICIES`: every task served by its
    service's reference variant) or an orchestrating one (:data:`mcfn.orchestration.ORCHESTRATED`)."""
    sim = Simulator(seed=scenario.seed)
    routing = make_policy(ORCHESTRATED.get(policy, policy), sim.stream("policy"))
    model = NetworkModel(sim, build_world(scenario), policy=routing, orchestrated=policy in ORCHESTRATED)
    Failures(model, scenario.failures)
    started = time.perf_counter()
    step_s = scenario.duration_s / chunks
    for i in range(1, chunks + 1):
        sim.run(until_s=i * step_s)
        if progress is not None:
            progress(sim.now)
    end_s = scenario.duration_s + scenario.drain_s
    drain_step_s = min(step_s, 0.1)  # short steps: the horizon (the utilisations' denominator) ends soon after
    while model.table.in_flight and sim.now < end_s:
        sim.run(until_s=min(sim.now + drain_step_s, end_s))
    model.fail_all_in_flight(f"still in flight {scenario.drain_s:g} s after the arrivals stopped")
    wall_s = time.perf_counter() - started
    columns = task_columns(model)
    summary = summarise(model, columns, horizon_s=sim.now)
    summary["policy"] = policy
    summary["wall_s"] = wall_s
    summary["tasks_per_wall_s"] = model.table.count / wall_s if wall_s > 0 else None
    return RunResult(
        policy=policy,
        columns=columns,
        summary=summary,
        services=tuple(s.name for s in scenario.services),
        options=tuple((o.variant, o.exit, o.source) for o in model.world.options),
        nodes=model.world.fleet.node_ids,
        stations=model.world.stations,
        reasons=tuple(model.table.reasons),
    )


def compare(
    scenario: Scenario, policies: Sequence[str], *, jobs: int = 1, progress: PolicyProgress | None = None
) -> list[RunResult]:
    """Simulate ``scenario`` under each policy (same seed, so the same arrivals), in order of ``policies``.

    With ``jobs > 1`` the policies run in that many worker processes (spawned, so that no thread of the caller is
    forked) and ``progress`` hears of each policy only when it is done.
    """
    if jobs <= 1 or len(policies) <= 1:
        return [
            simulate(scenario, name, progress=None if progress is None else partial(progress, name))
            for name in policies
        ]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(policies)), mp_context=context) as pool:
        futures = {pool.submit(simulate, scenario, name): name for name in policies}
        done = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if progress is not None:
                progress(futures[future], scenario.duration_s)
    return [done[name] for name in policies]
