"""``mcfn learn``: train a learned orchestrator on a scenario's simulated decisions (mcfn.learn)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mcfn.cli.errors import UserInputError, finite


def learn_command(
    scenario: Path | None = typer.Argument(
        None, help="Simulation scenario YAML to train on; without it, the embedded default (7 cells, 300 terminals)."
    ),
    steps: int = typer.Option(200_000, "--steps", min=1, metavar="N", help="Environment steps (decisions) to train."),
    out: Path = typer.Option(
        Path("policy.zip"),
        "--out",
        metavar="FILE",
        help="Where to save the policy (a MaskablePPO zip); FILE.png gets the learning curve, FILE.json the log.",
    ),
    envs: int = typer.Option(4, "--envs", min=1, metavar="N", help="Environments stepped together."),
    episode_s: float = typer.Option(
        60.0, "--episode-s", min=0.001, callback=finite, metavar="SECONDS", help="Simulated seconds of an episode."
    ),
    agent: str = typer.Option(
        "central",
        "--agent",
        metavar="KIND",
        help="central: one agent sees every cell (the ingress cell in its observation); cell: one agent per edge "
        "server, deciding for its own cell from its own view (candidates ordered by distance), parameters shared.",
    ),
    seed: int = typer.Option(0, "--seed", min=0, metavar="N", help="Seed of the learner and of the episodes' seeds."),
    time_budget_s: float | None = typer.Option(
        None, "--time-budget-s", min=1.0, callback=finite, metavar="SECONDS", help="Stop training after this long."
    ),
    ray_address: str | None = typer.Option(
        None,
        "--ray-address",
        metavar="ADDR",
        help="Step the environments as Ray actors on the cluster at ADDR ('auto', host:port, or 'local').",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the training log as JSON instead of text."),
) -> None:
    """Train a MaskablePPO agent that chooses each task's model variant, exit and compression (its stages placed by
    compute-aware routing), rewarded with each task's utility; evaluate it with 'mcfn run --policy learned:FILE'.

    Episodes are drawn on simulation seeds of 1,000,000 and above, so seeds 0, 1, ... ('mcfn run --seeds N') are
    held out. Example: 'mcfn learn --steps 300000 --time-budget-s 600 --out policy.zip'.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mcfn.cli.output import print_json
    from mcfn.learn.observe import OBSERVATIONS
    from mcfn.learn.plots import plot_learning_curve
    from mcfn.learn.train import train
    from mcfn.scenario import default_scenario, load_scenario

    if agent not in OBSERVATIONS:
        raise UserInputError(f"--agent: {agent!r} is not one of {', '.join(OBSERVATIONS)}")
    if out.suffix != ".zip":
        raise UserInputError(f"--out: {out} must end in .zip (Stable-Baselines3's format)")
    loaded = default_scenario() if scenario is None else load_scenario(scenario)
    with Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[utility]}"),
        TimeElapsedColumn(),
        transient=as_json,
    ) as progress:
        bar = progress.add_task("steps", total=steps, utility="")

        def report(done: int, total: int, utility: float | None) -> None:
            shown = "" if utility is None else f"mean utility {utility:.4f}"
            progress.update(bar, completed=done, total=total, utility=shown)

        log = train(
            loaded,
            steps=steps,
            out=out,
            envs=envs,
            episode_s=episode_s,
            layout=agent,
            seed=seed,
            time_budget_s=time_budget_s,
            ray_address=ray_address,
            progress=report,
        )
    curve = plot_learning_curve(log, out.with_suffix(".png"))
    document = {**log.document(), "policy": str(out), "curve": str(curve)}
    out.with_suffix(".json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    if as_json:
        print_json(document)
        return
    trained = log.curve_steps[-1] if log.curve_steps else 0
    budget = " (stopped by the time budget)" if log.stopped_by_budget else ""
    typer.echo(f"trained {trained} steps in {log.wall_s:.0f} s wall, {log.cpu_s:.0f} s CPU{budget}")
    typer.echo(f"  policy  {out}\n  curve   {curve}\n  run it  mcfn run --policy learned:{out}")
