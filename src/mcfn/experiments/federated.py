"""Federated learning on the simulated network: selection policies × inference loads × seeds, time to accuracy,
and what training and inference do to each other when they share the uplinks.

Each run trains a real model with Flower (:func:`mcfn.training.federated.run_federated`) whose rounds run on the
simulated network (:mod:`mcfn.sim.fl_rounds`), in the background of the scenario's inference tasks scaled by the
load. Time to accuracy is the network clock when the global model's test accuracy first reaches the target (Coleman
et al., "DAWNBench: an end-to-end deep learning benchmark and competition", NIPS ML Systems workshop 2017, rank
training by it); a run that never reaches it has none. Inference is compared with and without the rounds on the
same arrivals (the same seed: common random numbers), over the tasks that arrived while the rounds ran. Training on
the terminals is compared with edge-side training (``spec.training``): the real FedAvg per round is the same, only
the network's time and the terminals' energy differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mcfn.experiments.stats import mean_ci
from mcfn.scenario import Scenario
from mcfn.sim.fl_rounds import federated_network
from mcfn.sim.model import NetworkModel
from mcfn.sim.run import prepare
from mcfn.sim.summary import task_columns
from mcfn.training.data import Dataset
from mcfn.training.federated import data_bits, run_federated, update_bits
from mcfn.training.spec import FederatedSpec, RoundRecord

#: Simulated seconds after the rounds end for the inference tasks that arrived during them to finish (assumed:
#: longer than every default deadline).
DRAIN_S = 5.0


@dataclass(frozen=True, slots=True)
class FederatedOutcome:
    """One run: its selection, where it trained, load and seed, its rounds, its time and rounds to the target
    accuracy (None: not reached), and the inference metrics with and without the rounds (None at load 0)."""

    selection: str
    training: str
    load: float
    seed: int
    records: tuple[RoundRecord, ...]
    time_to_accuracy_s: float | None
    rounds_to_accuracy: int | None
    inference: dict[str, dict[str, float | None]] | None

    @property
    def key(self) -> tuple[str, str, float]:
        return self.selection, self.training, self.load

    @property
    def label(self) -> str:
        return arm_label(*self.key)


def arm_label(selection: str, training: str, load: float) -> str:
    where = "" if training == "device" else f" ({training} training)"
    return f"{selection}{where} @ load {load:g}"


def time_to_accuracy(records: Sequence[RoundRecord], target: float) -> tuple[float | None, int | None]:
    """The clock and round at which the test accuracy first reaches ``target`` (None, None if never)."""
    for record in records:
        if record.accuracy >= target:
            return record.clock_s, record.round
    return None, None


def inference_metrics(model: NetworkModel, until_s: float) -> dict[str, float | None]:
    """Deadline satisfaction, latency mean and p95, and mean utility of the inference tasks that arrived before
    ``until_s``, after letting them finish for :data:`DRAIN_S`."""
    model.sim.run(until_s=until_s + DRAIN_S)
    columns = task_columns(model)
    arrived = columns["arrival_s"] < until_s
    latency = columns["latency_s"][arrived]
    latency = latency[~np.isnan(latency)]
    return {
        "tasks": int(arrived.sum()),
        "deadline_met": float(columns["met_deadline"][arrived].mean()) if arrived.any() else None,
        "latency_mean_s": float(latency.mean()) if latency.size else None,
        "latency_p95_s": float(np.quantile(latency, 0.95)) if latency.size else None,
        "utility_mean": float(columns["utility"][arrived].mean()) if arrived.any() else None,
    }


def run_once(
    scenario: Scenario,
    spec: FederatedSpec,
    data: Dataset,
    *,
    load: float,
    policy: str,
    target: float,
    progress: Callable[[int], None] | None = None,
    ray_address: str | None = None,
    ray: bool = False,
    charge: tuple[float, float] | None = None,
) -> FederatedOutcome:
    """One federated run of ``spec`` on ``scenario``'s network at inference ``load`` (routed by ``policy``), the
    clients' batteries starting at ``charge`` (:func:`~mcfn.sim.fl_rounds.federated_network`); with ``ray`` (or a
    ``ray_address``) its clients run on Flower's Ray engine."""
    horizon_s = spec.rounds * spec.deadline_s + DRAIN_S
    network = federated_network(
        scenario.model_copy(update={"seed": spec.seed}), clients=spec.clients, update_bits=update_bits(spec, data),
        load=load, horizon_s=horizon_s, policy=policy, charge=charge,
        edge_data_bits=data_bits(spec, data) if spec.training == "edge" else None,
    )  # fmt: skip
    run = run_federated(spec, data, network.rounds, progress=progress, ray=ray, ray_address=ray_address)
    clock_s, rounds = time_to_accuracy(run.records, target)
    inference = None
    if network.inference is not None:
        alone = prepare(network.inference.world.scenario, policy)
        inference = {
            "with_training": inference_metrics(network.inference, run.clock_s),
            "without_training": inference_metrics(alone, run.clock_s),
        }
    return FederatedOutcome(
        selection=spec.selection, training=spec.training, load=load, seed=spec.seed, records=tuple(run.records),
        time_to_accuracy_s=clock_s, rounds_to_accuracy=rounds, inference=inference,
    )  # fmt: skip


def compare_federated(
    scenario: Scenario,
    spec: FederatedSpec,
    data: Dataset,
    *,
    selections: Sequence[str],
    loads: Sequence[float],
    seeds: int,
    policy: str,
    target: float,
    trainings: Sequence[str] = ("device",),
    charge: tuple[float, float] | None = None,
    progress: Callable[[str, int], None] | None = None,
    ray: bool = False,
    ray_address: str | None = None,
) -> list[FederatedOutcome]:
    """Every selection, where to train and load on seeds ``spec.seed …``: the same data split, weights, batteries and
    network per seed across arms; ``progress(label, round)`` as each round ends."""
    outcomes = []
    for seed in range(spec.seed, spec.seed + seeds):
        for load in loads:
            for training in trainings:
                for name in selections:
                    arm = replace(spec, selection=name, training=training, seed=seed)
                    label = arm_label(name, training, load)
                    report = None if progress is None else (lambda r, label=label: progress(label, r))
                    outcomes.append(
                        run_once(scenario, arm, data, load=load, policy=policy, target=target, progress=report,
                                 ray=ray, ray_address=ray_address, charge=charge)
                    )  # fmt: skip
    return outcomes


def tta_rows(outcomes: Sequence[FederatedOutcome]) -> list[dict[str, Any]]:
    """Per (selection, training, load): time and rounds to accuracy, mean ± 95 % CI over the seeds that reached it,
    how many did, the mean round time, the final accuracy, the terminals' mean energy per round, and the shares of
    chosen updates lost: in all, and apart by handover and coverage (or turned away), by an empty battery and by
    the deadline."""
    rows = []
    for key in dict.fromkeys(o.key for o in outcomes):
        arm = [o for o in outcomes if o.key == key]
        chosen = sum(len(r.chosen) for o in arm for r in o.records)
        lost = {
            cause: sum(len(getattr(r, cause)) for o in arm for r in o.records)
            for cause in ("dropped", "battery", "stragglers")
        }
        rows.append({
            "selection": key[0],
            "training": key[1],
            "load": key[2],
            "seeds": len(arm),
            "reached": sum(o.time_to_accuracy_s is not None for o in arm),
            "time_to_accuracy_s": mean_ci(o.time_to_accuracy_s for o in arm).as_dict(),
            "rounds_to_accuracy": mean_ci(o.rounds_to_accuracy for o in arm).as_dict(),
            "round_s": mean_ci(float(np.mean([r.round_s for r in o.records[1:]])) for o in arm).as_dict(),
            "final_accuracy": mean_ci(o.records[-1].accuracy for o in arm).as_dict(),
            "energy_per_round_j": mean_ci(float(np.mean([r.energy_j for r in o.records[1:]])) for o in arm).as_dict(),
            "lost_updates": sum(lost.values()) / chosen if chosen else None,
            "handover_dropouts": lost["dropped"] / chosen if chosen else None,
            "battery_dropouts": lost["battery"] / chosen if chosen else None,
            "stragglers": lost["stragglers"] / chosen if chosen else None,
        })  # fmt: skip
    return rows


def inference_rows(outcomes: Sequence[FederatedOutcome]) -> list[dict[str, Any]]:
    """Per (selection, training, load > 0): each inference metric with and without the rounds, mean ± CI over seeds, and
    ``gap``, the mean ± CI of the per-seed difference (with less without: paired on the same arrivals, so much
    tighter than the two intervals side by side)."""
    rows = []
    loaded = [o for o in outcomes if o.inference is not None]
    for key in dict.fromkeys(o.key for o in loaded):
        arm = [o for o in loaded if o.key == key]
        row: dict[str, Any] = {"selection": key[0], "training": key[1], "load": key[2]}
        for side in ("with_training", "without_training"):
            metrics = arm[0].inference[side]  # type: ignore[index]
            row[side] = {m: mean_ci(o.inference[side][m] for o in arm).as_dict() for m in metrics}  # type: ignore[index]
        row["gap"] = {m: mean_ci(_difference(o.inference, m) for o in arm).as_dict() for m in metrics}  # type: ignore[arg-type]
        rows.append(row)
    return rows


def _difference(inference: dict[str, dict[str, float | None]], metric: str) -> float | None:
    with_fl, without = inference["with_training"][metric], inference["without_training"][metric]
    return None if with_fl is None or without is None else with_fl - without
