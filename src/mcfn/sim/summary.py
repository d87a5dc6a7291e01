"""What a network simulation run reports: per-task derived columns and the run's summary.

Per task: latency, whether it met its deadline, its accuracy — that of the option that served it (model variant
and exit, :mod:`mcfn.services`) at the share ``ρ`` of its input it uploaded (seed eq. 1 along the option's curve,
:class:`mcfn.allocation.AccuracyCurve`, at ``ρ · data_bits``; ``ρ`` is 1 unless the orchestrator or the uplink
solver compressed it) —, and its utility. A task completed within its deadline ``T_max`` scores the seed §3.2
per-task utility ``w A - (1 - w) T / T_max`` (:mod:`mcfn.allocation.evaluation` uses the same form), which is at
least ``-(1 - w)``. A failed task scores accuracy 0 and latency ``T_max``, i.e. ``-(1 - w)``, as a rejected task
does there; so does a task completed after its deadline (``T > T_max``): its result came too late to be of use,
and the seed's form, which the deadline constraint keeps within ``[-(1 - w), w]``, would otherwise score it the
lower the later it came, without bound and far below a failed task (about ``-78`` for a task ``157 T_max`` late,
with ``w = 0.5``). Its ``accuracy`` column keeps the accuracy it delivered.
Every number of the summary can be recomputed from the per-task table and the stations' time integrals.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mcfn.awareness import ADVERT_BYTES
from mcfn.sim.columns import TaskColumns
from mcfn.sim.records import COMPLETED, FAILED, IN_FLIGHT

if TYPE_CHECKING:
    from mcfn.services import Option
    from mcfn.sim.model import NetworkModel


def task_columns(model: NetworkModel) -> TaskColumns:
    """The table's columns plus ``latency_s``, ``met_deadline``, ``accuracy`` and ``utility`` (derived when read:
    :class:`Outcomes`)."""
    table = model.table.view()
    scenario = model.world.scenario
    rules = Outcomes(
        deadline_s=np.array([s.deadline_s for s in scenario.services]),
        options=tuple(model.world.options),
        utility_weight=scenario.utility_weight,
    )
    columns = TaskColumns(len(table["status"]))
    columns.add(stored=table)
    columns.add(
        derived={
            "latency_s": rules.latency_s,
            "met_deadline": rules.met_deadline,
            "accuracy": rules.accuracy,
            "utility": rules.utility,
        }
    )
    return columns


@dataclass(frozen=True, eq=False)
class Outcomes:
    """The rules of a task's latency (NaN unless completed), whether it met its deadline, its accuracy (0 unless
    completed) and its utility (:class:`~mcfn.sim.columns.Rule`; the module's docstring says why)."""

    #: Each service's deadline ``T_max`` (by service id).
    deadline_s: np.ndarray
    options: tuple[Option, ...]
    utility_weight: float

    def latency_s(self, columns: TaskColumns, rows: slice) -> np.ndarray:
        done = columns.part("status", rows) == COMPLETED
        return np.where(done, columns.part("end_s", rows) - columns.part("arrival_s", rows), np.nan)

    def met_deadline(self, columns: TaskColumns, rows: slice) -> np.ndarray:
        done = columns.part("status", rows) == COMPLETED
        return done & (columns.part("latency_s", rows) <= self.deadline_s[columns.part("service", rows)])

    def accuracy(self, columns: TaskColumns, rows: slice) -> np.ndarray:
        done = columns.part("status", rows) == COMPLETED
        return np.where(done, self._served_accuracy(columns, rows), 0.0)

    def utility(self, columns: TaskColumns, rows: slice) -> np.ndarray:
        w = self.utility_weight
        on_time, latency = columns.part("met_deadline", rows), columns.part("latency_s", rows)
        deadline = self.deadline_s[columns.part("service", rows)]
        accuracy_of = self._served_accuracy(columns, rows)
        return np.where(on_time, w * accuracy_of - (1.0 - w) * latency / deadline, -(1.0 - w))

    def _served_accuracy(self, columns: TaskColumns, rows: slice) -> np.ndarray:
        return task_accuracy(self.options, columns.part("option", rows), columns.part("compression", rows))


def task_accuracy(options: Sequence[Option], option: np.ndarray, compression: np.ndarray) -> np.ndarray:
    """Each task's accuracy from the option that served it (variant and exit) and its input compression (seed eq. 1
    along the option's curve, :meth:`mcfn.services.Option.accuracy_at`); NaN where no option was chosen."""
    accuracy = np.full(option.shape, np.nan)
    for o, served in enumerate(options):
        mine = option == o
        if mine.any():
            accuracy[mine] = served.accuracy_at(compression[mine])
    return accuracy


def _outcomes(columns: TaskColumns, services: int) -> list[dict[str, float | None]]:
    """Deadline satisfaction, mean accuracy (of the completed) and mean utility of every task, then of each of the
    ``services`` services' tasks: one derived column, or one group's part of it, at a time."""
    done = columns["status"] == COMPLETED
    service = columns["service"]

    def groups() -> Iterator[tuple[dict[str, float | None], np.ndarray | None]]:  # None: every task
        yield outcomes[0], None
        for k in range(services):
            yield outcomes[k + 1], service == k

    outcomes: list[dict[str, float | None]] = [{} for _ in range(services + 1)]
    for outcome, tasks in groups():
        met = columns["met_deadline"] if tasks is None else columns.select("met_deadline", tasks)
        outcome["deadline_satisfaction"] = float(met.mean()) if met.size else None
    for outcome, tasks in groups():
        accuracy = columns.select("accuracy", done if tasks is None else done & tasks)
        outcome["mean_accuracy"] = float(accuracy.mean()) if accuracy.size else None
    for outcome, tasks in groups():
        utility = columns["utility"] if tasks is None else columns.select("utility", tasks)
        outcome["mean_utility"] = float(utility.mean()) if utility.size else None
    return outcomes


def summarise(model: NetworkModel, columns: TaskColumns, *, horizon_s: float) -> dict[str, Any]:
    """The run's summary as a JSON-ready dict (latencies in seconds, utilisations as shares)."""
    status = columns["status"]
    arrived = int(status.size)
    done = status == COMPLETED
    failed = status == FAILED
    latency = columns.select("latency_s", done)
    mean_latency = float(latency.mean()) if latency.size else None
    # in place: the latencies are a copy, and their mean is taken
    quantiles = np.quantile(latency, [0.5, 0.95, 0.99], overwrite_input=True).tolist() if latency.size else [None] * 3
    del latency
    reasons: dict[str, int] = {}
    for code, count in zip(*np.unique(columns["reason"][failed], return_counts=True), strict=True):
        reasons[model.table.reasons[int(code)]] = int(count)
    world, servers = model.world, model.servers
    for station in [*servers.stations, *model.access.uplinks, *model.wired.links.values()]:
        station.account()
    utilisation = {
        node.node_id: station.in_service_area / (node.vm_slots * horizon_s)
        for node, station in zip(world.fleet.nodes, servers.stations, strict=True)
    }
    stage_nodes = columns["stage_node"][done]
    on_cloud = world.fleet.is_cloud[stage_nodes[stage_nodes >= 0]]
    cloud_stage_share = float(on_cloud.mean()) if on_cloud.size else 0.0
    del stage_nodes, on_cloud
    services = model.world.scenario.services
    overall, *by_service = _outcomes(columns, len(services))
    return {
        "tasks": {
            "arrived": arrived,
            "completed": int(done.sum()),
            "failed": int(failed.sum()),
            "in_flight": int((status == IN_FLIGHT).sum()),
            "failure_reasons": reasons,
            "rerouted": int((columns["reroutes"] > 0).sum()),
        },
        "latency_s": {"mean": mean_latency, "p50": quantiles[0], "p95": quantiles[1], "p99": quantiles[2]},
        **overall,
        "services": {service.name: outcome for service, outcome in zip(services, by_service, strict=True)},
        "cloud_stage_share": cloud_stage_share,
        "utilisation": utilisation,
        "mean_edge_utilisation": float(
            np.mean([u for u, cloud in zip(utilisation.values(), world.fleet.is_cloud, strict=True) if not cloud])
        ),
        "uplink_utilisation": {
            name: up.busy_area / horizon_s for name, up in zip(world.stations, model.access.uplinks, strict=True)
        },
        "handovers": model.access.handovers,
        "outside_coverage_share": model.access.outside_coverage
        / max(model.access.measurements * len(model.access.serving), 1),
        "adverts": {
            "sent": servers.adverts_sent,
            "lost": servers.adverts_lost,
            "bytes": servers.adverts_sent * ADVERT_BYTES,
            "bytes_per_s": servers.adverts_sent * ADVERT_BYTES / horizon_s,
        },
        **_uplink_allocation(model, columns),
        "horizon_s": horizon_s,
        "events": model.sim.events_processed,
        "events_per_task": model.sim.events_processed / arrived if arrived else None,
    }


def _uplink_allocation(model: NetworkModel, columns: TaskColumns) -> dict[str, Any]:
    """Under the ``joint-allocation`` uplink: the solver's work and the compression it chose; else nothing."""
    joint = model.joint
    if joint is None:
        return {}
    stats = joint.stats
    done = columns["status"] == COMPLETED
    return {
        "uplink_allocation": {
            "solves": stats.solves,
            "closed_form": stats.closed_form,
            "solve_wall_s": stats.solve_wall_s,
            "mean_solve_s": stats.solve_wall_s / stats.solves if stats.solves else None,
            "turned_away": stats.rejected,
            "mean_compression_completed": float(columns["compression"][done].mean()) if done.any() else None,
        }
    }
