"""``mcfn fit-accuracy``: seed eq. (1) fitted from real training, written as a task type the allocation reads."""

from __future__ import annotations

from pathlib import Path

import typer

from mcfn.cli.errors import UserInputError
from mcfn.cli.output import output_files, print_json

#: The files ``mcfn fit-accuracy`` writes into ``--out``.
FILES = ("points.csv", "task_type.json", "fit.png")


def fit_accuracy_command(
    dataset: str = typer.Option("digits", help="digits (scikit-learn's bundled UCI digits) or mnist1d (Greydanus)."),
    fractions: str = typer.Option(
        "0.02,0.04,0.08,0.15,0.3,0.6,1.0", help="Comma-separated fractions of the training set to train on."
    ),
    repeats: int = typer.Option(3, min=1, help="Trainings per fraction (random subsets and initial weights)."),
    seed: int = typer.Option(0, min=0, help="Random seed: split, subsets, weights, batches."),
    bootstrap: int = typer.Option(
        0, min=0, help="Percentile intervals from this many bootstrap refits (0: Jacobian intervals)."
    ),
    name: str = typer.Option("fitted", help="Name of the written task type."),
    instance: Path | None = typer.Option(
        None, help="An allocation instance JSON whose tasks take the fitted curve: writes OUT/instance.json."
    ),
    out: Path = typer.Option(Path("results/fit-accuracy"), help="Folder for points.csv, task_type.json, fit.png."),
    force: bool = typer.Option(False, help="Overwrite files of an earlier run in --out."),
    as_json: bool = typer.Option(False, "--json", help="Print the task type JSON (with the fit and its CIs)."),
) -> None:
    """Train a real model on growing fractions of a dataset, fit seed eq. (1) y = p - q alpha^(-r) by least squares
    with 95 % confidence intervals, plot it, and write the task type for 'mcfn allocate' and scenarios.

    Examples: 'mcfn fit-accuracy --out results/fit'; 'mcfn fit-accuracy --instance i.json' then
    'mcfn allocate results/fit-accuracy/instance.json'.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mcfn.allocation.io import load_instance
    from mcfn.training import model as mlp
    from mcfn.training.curve import fit_eq1
    from mcfn.training.data import load_dataset
    from mcfn.training.learning_curve import epochs_for, measure
    from mcfn.training.plots import plot_fit
    from mcfn.training.task_type import task_type_document, with_curve

    try:
        shares = [float(f) for f in fractions.split(",") if f.strip()]
    except ValueError:
        raise UserInputError(f"--fractions: {fractions!r} is not a comma-separated list of numbers") from None
    if len(set(shares)) < 3:
        raise UserInputError("--fractions: give at least three distinct fractions (eq. 1 has three parameters)")
    base = None if instance is None else load_instance(instance)
    output_files(out, [*FILES, *(["instance.json"] if base else [])], force=force)
    import numpy as np

    mlp.use_one_thread()
    data = load_dataset(dataset, seed=seed)
    console = Console(stderr=True)
    total = len(shares) * repeats
    columns = (TextColumn("training"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=as_json, transient=True) as progress:
        bar = progress.add_task("training", total=total)
        points = measure(data, shares, repeats=repeats, rng=np.random.default_rng(seed),
                         progress=lambda done: progress.update(bar, completed=done))  # fmt: skip
    fit = fit_eq1(
        np.array([p.data_mbit for p in points]), np.array([p.accuracy for p in points]), bootstrap=bootstrap,
        rng=np.random.default_rng([seed, 1]),
    )  # fmt: skip
    arch = mlp.Architecture(features=data.features, classes=data.classes)
    full = len(data.y_train)
    document = task_type_document(
        fit, name=name, dataset=dataset, flops_per_sample=arch.flops_per_sample,
        bits_per_sample=data.bits_per_sample, epochs=epochs_for(full),
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "points.csv", "w") as handle:
        handle.write("fraction,repeat,samples,data_mbit,epochs,accuracy\n")
        for p in points:
            handle.write(f"{p.fraction},{p.repeat},{p.samples},{p.data_mbit:.6g},{p.epochs},{p.accuracy:.6f}\n")
    (out / "task_type.json").write_text(_dumps(document))
    written = [out / "points.csv", out / "task_type.json", plot_fit(out / "fit.png", points, fit, dataset=dataset)]
    if base is not None:
        (out / "instance.json").write_text(
            _dumps(with_curve(base, fit.curve, cycles_per_bit=document["cycles_per_bit"]))
        )
        written.append(out / "instance.json")
    if as_json:
        print_json(document)
    else:
        _print_fit(document)
    console.print("wrote " + ", ".join(map(str, written)), highlight=False, soft_wrap=True)


def _dumps(document: object) -> str:
    import json

    from mcfn.cli.output import finite_json

    return json.dumps(finite_json(document), indent=2, allow_nan=False) + "\n"


def _print_fit(document: dict) -> None:
    fit = document["fit"]
    ci = fit["ci"]
    lines = [
        f"{document['dataset']}: eq. (1) y = p - q alpha^(-r), alpha in Mbit of training data, "
        f"{fit['points']} trainings, rmse {fit['rmse']:.4f}",
        *(
            f"  {k} = {fit[k]:.4f}   {ci['level']:.0%} CI [{ci[k][0]:.4f}, {ci[k][1]:.4f}] ({ci['method']})"
            for k in ("p", "q", "r")
        ),
        f"  cycles_per_bit (training, {document['cycles_per_bit']:.1f}): task type {document['name']!r}",
    ]
    if fit["at_bound"]:
        lines.append(
            f"  warning: {', '.join(fit['at_bound'])} at the fit's bound: the accuracy still climbs at the largest "
            "amount, eq. (1) is not identified by these points and the intervals do not hold"
        )
    typer.echo("\n".join(lines))
