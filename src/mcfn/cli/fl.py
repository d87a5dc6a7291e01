"""``mcfn fl run``: real federated learning (Flower) whose rounds run on the simulated mobile network."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from mcfn.cli.errors import UserInputError, finite
from mcfn.cli.output import output_folder, print_json

fl_app = typer.Typer(help="Federated learning on the computing-force network (Flower; rounds on the simulator).")

#: The shares of lost updates the table prints: in all, then by cause.
LOST = ("lost_updates", "handover_dropouts", "battery_dropouts", "stragglers")
#: The files ``mcfn fl run`` writes.
FILES = ("rounds.csv", "summary.json", "accuracy_round.png", "accuracy_time.png")


@fl_app.command("run")
def fl_run_command(
    selection: list[str] = typer.Option(
        ["random", "deadline-aware"],
        help="Client selection: random (FedAvg), deadline-aware (FedCS), compute-aware, energy-aware.",
    ),
    training: list[str] = typer.Option(
        ["device"], help="Where the chosen terminals' training runs: device (FL), edge (data uploaded, edge trains)."
    ),
    data_compression: float = typer.Option(
        1.0, callback=finite, help="Edge training: share of its raw bits a terminal's training data is uploaded with."
    ),
    charge: tuple[float, float] | None = typer.Option(
        None, help="The clients' batteries start at a share drawn in [LOW, HIGH] of the capacity (default: full)."
    ),
    load: list[float] = typer.Option(
        [1.0], help="Inference load sharing the network: the scenario's arrival rates times this (0: none)."
    ),
    seeds: int = typer.Option(1, min=1, help="Seeds per arm (data split, weights, network); CIs from 2 on."),
    seed: int = typer.Option(0, min=0, help="First seed."),
    dataset: str = typer.Option("digits", help="digits (scikit-learn's bundled UCI digits) or mnist1d (Greydanus)."),
    clients: int = typer.Option(20, min=1, help="Terminals holding data (the scenario's first ones)."),
    per_round: int = typer.Option(5, min=1, help="Terminals chosen per round (at most)."),
    rounds: int = typer.Option(20, min=1, help="Rounds."),
    local_epochs: int = typer.Option(2, min=1, help="Epochs of local training per round."),
    concentration: float = typer.Option(
        0.5, callback=finite, help="Dirichlet label-skew concentration (small: skewed)."
    ),
    deadline_s: float = typer.Option(1.0, callback=finite, help="Round deadline in simulated seconds."),
    hidden: int = typer.Option(1024, min=1, help="Hidden units of the perceptron (sets the update's size)."),
    target: float = typer.Option(0.9, callback=finite, help="Test accuracy whose first reaching is timed."),
    scenario: Path | None = typer.Option(None, help="Simulation scenario YAML (default: the embedded one)."),
    uplink: str = typer.Option(
        "equal-bandwidth",
        help="Uplink policy; joint-allocation: min-max split of the band alone, the seed's allocation with inference.",
    ),
    policy: str = typer.Option("compute-aware", help="Routing policy of the inference tasks."),
    ray: bool = typer.Option(
        False, "--ray", help="Run the clients on Flower's Ray engine (a local Ray) instead of in process."
    ),
    ray_address: str | None = typer.Option(None, help="Run the clients on Flower's Ray engine on this Ray cluster."),
    out: Path = typer.Option(Path("results/fl"), help="Folder for rounds.csv, summary.json and the plots."),
    force: bool = typer.Option(False, help="Write into --out even if it holds an earlier run."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary JSON instead of tables."),
) -> None:
    """Train a real model with Flower across terminals (non-IID Dirichlet split), each round's selected terminals
    training, uploading over the simulated shared uplinks and aggregated edge by edge, then in the cloud.

    Prints time to accuracy per selection and load, and, at loads above 0, inference with and without the rounds.

    Examples: 'mcfn fl run --rounds 10'; 'mcfn fl run --selection random --selection deadline-aware
    --selection compute-aware --load 0 --load 1 --load 4 --seeds 3'.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mcfn.network.uplink import UPLINK_POLICY_NAMES
    from mcfn.orchestration.choice import ORCHESTRATED
    from mcfn.routing import POLICIES
    from mcfn.scenario import default_scenario, load_scenario
    from mcfn.training import model as mlp
    from mcfn.training.data import load_dataset
    from mcfn.training.spec import FederatedSpec

    if uplink not in UPLINK_POLICY_NAMES:
        raise UserInputError(f"--uplink: {uplink!r} is unknown; valid: {', '.join(UPLINK_POLICY_NAMES)}")
    if charge is not None and not 0 <= charge[0] <= charge[1] <= 1:
        raise UserInputError(f"--charge: need 0 <= LOW <= HIGH <= 1, got {charge[0]:g} {charge[1]:g}")
    if policy not in (*POLICIES, *ORCHESTRATED):
        raise UserInputError(f"--policy: {policy!r} is unknown; valid: {', '.join((*POLICIES, *ORCHESTRATED))}")
    spec = FederatedSpec(
        clients=clients, per_round=per_round, rounds=rounds, local_epochs=local_epochs, concentration=concentration,
        deadline_s=deadline_s, selection=selection[0], hidden=hidden, training=training[0],
        data_compression=data_compression, seed=seed,
    )  # fmt: skip
    selections = list(dict.fromkeys(selection))
    trainings = list(dict.fromkeys(training))
    for name in selections:
        FederatedSpec(selection=name)
    for name in trainings:
        FederatedSpec(training=name)
    loads = list(dict.fromkeys(load))
    if any(not x >= 0 for x in loads):
        raise UserInputError(f"--load: loads must be >= 0, got {loads}")
    base = default_scenario() if scenario is None else load_scenario(scenario)
    base = base.model_copy(update={"radio": base.radio.model_copy(update={"uplink_policy": uplink})})
    if clients > base.terminals.count:
        raise UserInputError(f"--clients {clients} exceeds the scenario's {base.terminals.count} terminals")
    folder = output_folder(out, FILES, force=force)
    from mcfn.experiments.federated import compare_federated

    mlp.use_one_thread()
    data = load_dataset(dataset, seed=seed)
    console = Console(stderr=True)
    arms = len(selections) * len(loads) * len(trainings)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=as_json, transient=True) as progress:
        bar = progress.add_task("rounds", total=arms * seeds * rounds)
        done = [0]

        def report(label: str, _round: int) -> None:
            done[0] += 1
            progress.update(bar, completed=done[0], description=label)

        outcomes = compare_federated(
            base, spec, data, selections=selections, loads=loads, seeds=seeds, policy=policy, target=target,
            trainings=trainings, charge=charge, progress=report, ray=ray, ray_address=ray_address,
        )  # fmt: skip
    network = {"uplink": uplink, "policy": policy, "charge": None if charge is None else list(charge)}
    document = _write(folder, outcomes, spec=spec, run={"dataset": dataset, "target_accuracy": target, **network})
    if as_json:
        print_json(document)
    else:
        _print_tables(document)
    console.print(f"wrote {', '.join(str(folder / f) for f in FILES)}", highlight=False, soft_wrap=True)


def _write(folder: Path, outcomes: Sequence[Any], *, spec: Any, run: dict[str, Any]) -> dict[str, Any]:
    import dataclasses
    import json

    from mcfn.cli.output import finite_json
    from mcfn.experiments.federated import inference_rows, tta_rows
    from mcfn.training.plots import plot_accuracy

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "rounds.csv", "w") as handle:
        handle.write(
            "selection,training,load,seed,round,chosen,aggregated,dropped,battery_dropouts,stragglers,round_s,clock_s,"
            "energy_j,accuracy,loss\n"
        )
        for o in outcomes:
            for r in o.records:
                handle.write(
                    f"{o.selection},{o.training},{o.load:g},{o.seed},{r.round},{len(r.chosen)},{len(r.aggregated)},"
                    f"{len(r.dropped)},{len(r.battery)},{len(r.stragglers)},{r.round_s:.6f},{r.clock_s:.6f},"
                    f"{r.energy_j:.6f},{r.accuracy:.6f},{r.loss:.6f}\n"
                )
    first = [o for o in outcomes if o.seed == spec.seed]
    by_round = {o.label: ([r.round for r in o.records], [r.accuracy for r in o.records]) for o in first}
    by_time = {o.label: ([r.clock_s for r in o.records], [r.accuracy for r in o.records]) for o in first}
    title = f"{run['dataset']}, {spec.clients} terminals (Dirichlet {spec.concentration:g}), seed {spec.seed}"
    plot_accuracy(folder / "accuracy_round.png", by_round, xlabel="round", title=title)
    plot_accuracy(folder / "accuracy_time.png", by_time, xlabel="simulated network time (s)", title=title)
    document = {
        "spec": dataclasses.asdict(spec) | run,
        "time_to_accuracy": tta_rows(outcomes),
        "inference": inference_rows(outcomes),
    }
    (folder / "summary.json").write_text(json.dumps(finite_json(document), indent=2, allow_nan=False) + "\n")
    return document


def _cell(entry: dict[str, Any], scale: float = 1.0, digits: int = 2) -> str:
    if entry["mean"] is None:
        return "-"
    ci = f" ± {entry['ci95'] * scale:.{digits}f}" if entry["ci95"] is not None else ""
    return f"{entry['mean'] * scale:.{digits}f}{ci}"


def _print_tables(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    target = document["spec"]["target_accuracy"]
    table = Table(title=f"time to {target:.0%} test accuracy (mean ± 95 % CI over the seeds that reached it)")
    names = ("selection", "training", "load", "reached", "time (s)", "rounds", "round (s)", "final acc.", "J/round")
    for name in (*names, "lost: all / dropout / battery / late"):
        table.add_column(name, justify="left" if name in ("selection", "training") else "right")
    for row in document["time_to_accuracy"]:
        lost = " / ".join(
            f"{row[k]:.0%}" for k in ("lost_updates", "handover_dropouts", "battery_dropouts", "stragglers")
        )
        table.add_row(
            row["selection"], row["training"], f"{row['load']:g}", f"{row['reached']}/{row['seeds']}",
            _cell(row["time_to_accuracy_s"]), _cell(row["rounds_to_accuracy"], digits=1),
            _cell(row["round_s"], digits=3), _cell(row["final_accuracy"], digits=3),
            _cell(row["energy_per_round_j"], digits=3), lost,
        )  # fmt: skip
    console = Console()
    console.width = max(console.width, 200)  # one line per row, piped
    console.print(table)
    if document["inference"]:
        shared = Table(
            title="inference sharing the uplinks with the rounds: with / without training; gap: paired per seed"
        )
        names = ("selection", "training", "load", "deadline met", "latency mean (ms)", "latency p95 (ms)", "utility")
        for name in (*names, "gap: latency mean (ms)", "gap: utility"):
            shared.add_column(name, justify="left" if name in ("selection", "training") else "right")
        for row in document["inference"]:
            w, wo = row["with_training"], row["without_training"]
            shared.add_row(
                row["selection"], row["training"], f"{row['load']:g}",
                f"{_cell(w['deadline_met'], 100, 1)} / {_cell(wo['deadline_met'], 100, 1)} %",
                f"{_cell(w['latency_mean_s'], 1e3, 1)} / {_cell(wo['latency_mean_s'], 1e3, 1)}",
                f"{_cell(w['latency_p95_s'], 1e3, 1)} / {_cell(wo['latency_p95_s'], 1e3, 1)}",
                f"{_cell(w['utility_mean'], 1, 4)} / {_cell(wo['utility_mean'], 1, 4)}",
                _cell(row["gap"]["latency_mean_s"], 1e3, 2), _cell(row["gap"]["utility_mean"], 1, 4),
            )  # fmt: skip
        console.print(shared)
