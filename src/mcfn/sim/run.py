"""Run one scenario under one routing policy: build the world, drive the model, summarise; and compare policies.

Arrivals stop at ``duration_s``; the run then continues (mobility, adverts and all) until no task is in flight
or ``drain_s`` more seconds have passed, and the tasks still in flight then fail with that reason, so every task
of the run ends exactly once. Every policy of a comparison sees the same arrivals, mobility and adverts for a
given seed: each is drawn from its own named stream of the run's seed (:meth:`mcfn.sim.engine.Simulator.stream`).
A comparison on several seeds runs every policy on each of them (common random numbers across policies,
independent samples across seeds), so the means over seeds come with confidence intervals
(:mod:`mcfn.experiments.stats`).
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mcfn.experiments.workers import progress_queue, worker_pool
from mcfn.orchestration.choice import ORCHESTRATED
from mcfn.orchestration.learned import LEARNED_PREFIX, PLACEMENT
from mcfn.orchestration.placement import TERMINAL_FALLBACK, TERMINAL_POLICIES
from mcfn.routing import make_policy
from mcfn.scenario import Deployment, Scenario
from mcfn.sim.columns import TaskColumns
from mcfn.sim.deployment import SimDeployment
from mcfn.sim.energy import energy_summary, fold_charges, task_energy
from mcfn.sim.engine import Simulator
from mcfn.sim.failures import Failures
from mcfn.sim.model import NetworkModel
from mcfn.sim.summary import summarise, task_columns
from mcfn.sim.terminals import TerminalCompute, terminal_summary
from mcfn.sim.world import build_world

#: The longest stretch of simulated time between two chances to report progress: a long run (days simulated)
#: shows its progress from its first seconds rather than after 1 % of it.
MAX_STEP_S = 1.0

#: ``progress(simulated_s)``, called between chunks of the run.
Progress = Callable[[float], None]
#: ``progress(policy, seed, simulated_s)``, for a comparison of several policies on several seeds.
RunProgress = Callable[[str, int, float], None]


@dataclass(frozen=True, eq=False, kw_only=True)
class RunResult:
    """One policy's run on one seed: per-task columns, the summary, and the names that the columns' codes index.

    Plain data (picklable), so runs can come back from worker processes. The columns the run recorded are kept; the
    others (latency, utility, energy, ...) are derived when read (:class:`~mcfn.sim.columns.TaskColumns`).
    """

    policy: str
    seed: int
    columns: TaskColumns
    summary: dict[str, Any]
    services: tuple[str, ...]
    #: ``(variant, exit, accuracy source)`` of every option, by option id (the ``option`` column).
    options: tuple[tuple[str, str, str], ...]
    nodes: tuple[str, ...]
    stations: tuple[str, ...]
    reasons: tuple[str, ...]


def prepare(scenario: Scenario, policy: str) -> NetworkModel:
    """The model of ``scenario`` under ``policy``, on a simulator at time 0, its failures scheduled: a routing policy
    (:data:`mcfn.routing.POLICIES`: every task served by its service's reference variant), an orchestrating one
    (:data:`mcfn.orchestration.ORCHESTRATED`), one that keeps tasks on the terminals
    (:data:`mcfn.orchestration.placement.TERMINAL_POLICIES`, with ``terminals.compute``), or ``learned:PATH``, a
    trained agent (:mod:`mcfn.learn.policy`).

    Everything that can be wrong with a valid scenario file beyond its fields (a trace of too few terminals, a
    failure of an unknown node) is found here, before any time is simulated.
    """
    sim = Simulator(seed=scenario.seed)
    if policy in TERMINAL_POLICIES and scenario.terminals.compute is None:
        raise ValueError(f"policy {policy} runs tasks on terminals: the scenario needs terminals.compute")
    learned = policy.startswith(LEARNED_PREFIX)
    if learned:
        routing_name = PLACEMENT
    elif policy in TERMINAL_POLICIES:
        routing_name = TERMINAL_FALLBACK
    else:
        routing_name = ORCHESTRATED.get(policy, policy)
    routing = make_policy(routing_name, sim.stream("policy"))
    model = NetworkModel(sim, build_world(scenario), policy=routing, orchestrated=policy in ORCHESTRATED)
    if learned:  # a trained agent chooses each task's way (mcfn.learn: needs the learn extra)
        from mcfn.learn.policy import learned_chooser

        model.chooser = learned_chooser(model, policy.removeprefix(LEARNED_PREFIX), placement=routing)
    if scenario.deployment is not None:
        SimDeployment(model, scenario.deployment, orchestrated=policy in ORCHESTRATED)
    if scenario.terminals.compute is not None:
        mode = None if policy in ORCHESTRATED else TERMINAL_POLICIES.get(policy, ())
        model.terminals = TerminalCompute(model, mode=mode)
    Failures(model, scenario.failures)
    return model


#: Allocations between the cyclic collector's young-generation passes while a run goes on (Python's default: 700).
#: Assumed: a run makes a few container objects per event and almost no reference cycles, so the passes find
#: little; 100,000 makes them rare (a pass costs about the same whatever its threshold: the young objects live on
#: in the event heap) and bounds the garbage in between to some MB.
RUN_GC_THRESHOLD = 100_000


@contextmanager
def _collector_off_the_world() -> Iterator[None]:
    """While a run goes on, the cyclic garbage collector neither traverses the world built before it (frozen:
    stations, paths, terminals, caches — on a large network the passes through them took a fifth of the run)
    nor runs a young pass every 700 allocations. It still collects the run's own cycles; results do not change."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(RUN_GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def simulate(
    scenario: Scenario, policy: str, *, label: str | None = None, progress: Progress | None = None, chunks: int = 100
) -> RunResult:
    """Simulate ``scenario`` with ``policy`` (:func:`prepare`); the run is named ``label`` (default: the policy)."""
    model = prepare(scenario, policy)
    sim = model.sim
    started = time.perf_counter()
    with _collector_off_the_world():
        steps = max(chunks, math.ceil(scenario.duration_s / MAX_STEP_S))
        step_s = scenario.duration_s / steps
        for i in range(1, steps + 1):
            sim.run(until_s=i * step_s)
            fold_charges(model)
            if progress is not None:
                progress(sim.now)
        drain(model, scenario, chunks=chunks)
    wall_s = time.perf_counter() - started
    columns = task_columns(model)
    if model.deployment is not None:
        columns.add(stored=model.deployment.columns(model.table.count))
    task_energy(model, columns)
    summary = summarise(model, columns, horizon_s=sim.now)
    if model.deployment is not None:
        summary["deployment"] = model.deployment.summary(columns)
    summary["energy"] = energy_summary(model, columns, horizon_s=sim.now)
    summary["terminals"] = terminal_summary(model, columns)
    summary["policy"] = label or policy
    summary["uplink_policy"] = scenario.radio.uplink_policy
    summary["seed"] = scenario.seed
    summary["wall_s"] = wall_s
    summary["tasks_per_wall_s"] = model.table.count / wall_s if wall_s > 0 else None
    return RunResult(
        policy=label or policy,
        seed=scenario.seed,
        columns=columns,
        summary=summary,
        services=tuple(s.name for s in scenario.services),
        options=tuple((o.variant, o.exit, o.source) for o in model.world.options),
        nodes=model.world.fleet.node_ids,
        stations=model.world.stations,
        reasons=tuple(model.table.reasons),
    )


def drain(model: NetworkModel, scenario: Scenario, *, chunks: int = 100) -> None:
    """After the arrivals: run on until no task is in flight or ``drain_s`` more seconds have passed (in steps of
    ``duration_s / chunks``, at most 0.1 s, so the horizon, the utilisations' denominator, ends soon after), then
    fail the tasks still in flight."""
    sim = model.sim
    end_s = scenario.duration_s + scenario.drain_s
    drain_step_s = min(scenario.duration_s / chunks, 0.1)
    while model.table.in_flight and sim.now < end_s:
        sim.run(until_s=min(sim.now + drain_step_s, end_s))
    model.fail_all_in_flight(f"still in flight {scenario.drain_s:g} s after the arrivals stopped")


def seed_list(scenario: Scenario, seeds: int) -> list[int]:
    """The seeds of a comparison on ``seeds`` seeds: the scenario's and the ``seeds - 1`` after it."""
    if seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {seeds}")
    return [scenario.seed + k for k in range(seeds)]


def arms(
    scenario: Scenario, policies: Sequence[str], uplinks: Sequence[str] = (), deployments: Sequence[str] = ()
) -> list[tuple[str, str, Scenario]]:
    """The compared arms: every policy under every uplink policy (the scenario's own if ``uplinks`` is empty) and
    every deployment policy (:mod:`mcfn.deployment`; the scenario's own if ``deployments`` is empty), as
    ``(label, policy, scenario)``; the label is the policy's name, with ``/ uplink`` when several uplinks compete
    and ``/ deployment`` when several deployment policies do."""
    variants = [(None, scenario)]
    if uplinks:
        radio = scenario.radio
        variants = [
            (uplink, scenario.model_copy(update={"radio": radio.model_copy(update={"uplink_policy": uplink})}))
            for uplink in uplinks
        ]
    deployed: list[tuple[str | None, str | None, Scenario]] = [(uplink, None, variant) for uplink, variant in variants]
    if deployments:
        base = scenario.deployment or Deployment()
        deployed = [
            (
                uplink,
                name,
                variant.model_copy(update={"deployment": Deployment(**{**base.model_dump(), "policy": name})}),
            )
            for uplink, variant in variants
            for name in deployments
        ]
    return [
        (
            _label(name, uplink if len(uplinks) > 1 else None, deployment if len(deployments) > 1 else None),
            name,
            variant,
        )
        for uplink, deployment, variant in deployed
        for name in policies
    ]


def _label(policy: str, uplink: str | None, deployment: str | None) -> str:
    return " / ".join(part for part in (policy, uplink, deployment) if part is not None)


def compare(
    scenario: Scenario,
    policies: Sequence[str],
    *,
    uplinks: Sequence[str] = (),
    deployments: Sequence[str] = (),
    seeds: int = 1,
    jobs: int = 1,
    progress: RunProgress | None = None,
) -> list[RunResult]:
    """Simulate ``scenario`` under each policy (under each uplink policy of ``uplinks`` and deployment policy of
    ``deployments``: :func:`arms`) on each of ``seeds`` seeds (:func:`seed_list`).

    Every arm sees the same arrivals on a given seed. The runs come back arm by arm in the order of :func:`arms`,
    each arm's in the order of its seeds. With ``jobs > 1`` the (arm, seed) runs share that many worker processes
    (spawned, so that no thread of the caller is forked), which report their progress through a queue, so
    ``progress`` hears of every run (by its arm's label) as it goes whatever the number of processes.
    """
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    compared = arms(scenario, policies, uplinks, deployments)
    # seed by seed: the bars advance together
    units = [(label, name, variant.model_copy(update={"seed": seed})) for seed in seed_list(scenario, seeds)
             for label, name, variant in compared]  # fmt: skip
    runs: dict[tuple[str, int], RunResult] = {}
    if jobs == 1 or len(units) == 1:
        for label, name, unit in units:
            report = None if progress is None else _reporter(progress, label, unit.seed)
            runs[label, unit.seed] = simulate(unit, name, label=label, progress=report)
    else:
        runs = _compare_in_processes(units, jobs=jobs, progress=progress)
    return [runs[label, seed] for label, _, _ in compared for seed in seed_list(scenario, seeds)]


def _reporter(progress: RunProgress, policy: str, seed: int) -> Progress:
    return lambda simulated_s: progress(policy, seed, simulated_s)


def _compare_in_processes(
    units: list[tuple[str, str, Scenario]], *, jobs: int, progress: RunProgress | None
) -> dict[tuple[str, int], RunResult]:
    heard = progress_queue()  # (label, seed, simulated_s) from the workers
    runs: dict[tuple[str, int], RunResult] = {}
    with worker_pool(min(jobs, len(units)), initializer=_start_worker, initargs=(heard,)) as pool:
        results = pool.imap_unordered(_simulate_in_worker, units)
        while len(runs) < len(units):
            try:
                run = results.next(timeout=0.1)
            except multiprocessing.TimeoutError:
                run = None
            _drain(heard, progress)
            if run is not None:
                runs[run.policy, run.seed] = run
                if progress is not None:
                    progress(run.policy, run.seed, units[0][2].duration_s)
    heard.close()
    return runs


def _drain(heard: Any, progress: RunProgress | None) -> None:
    while not heard.empty():
        report = heard.get()
        if progress is not None:
            progress(*report)


#: A worker process's queue to the parent (set once per worker, by :func:`_start_worker`).
_worker_queue: Any = None


def _start_worker(heard: Any) -> None:
    global _worker_queue
    _worker_queue = heard


def _simulate_in_worker(unit: tuple[str, str, Scenario]) -> RunResult:
    label, policy, scenario = unit
    heard = _worker_queue

    def report(simulated_s: float) -> None:
        heard.put((label, scenario.seed, simulated_s))

    return simulate(scenario, policy, label=label, progress=report)
