"""A trained agent: the same decisions in the environment and as the simulator's orchestrator; the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mcfn.cli.app import app
from mcfn.learn.env import OffloadEnv
from mcfn.learn.policy import load_agent
from mcfn.learn.train import train
from mcfn.sim.run import simulate
from tests.learn.conftest import choice_scenario


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("agent") / "policy.zip"
    log = train(choice_scenario(), steps=64, out=out, envs=1, episode_s=3.0)
    assert log.curve_steps
    assert len(log.curve_utility) == len(log.curve_ci95)
    return out


def test_a_run_under_the_agent_takes_the_decisions_it_takes_in_the_environment(trained: Path) -> None:
    scenario = choice_scenario(seed=5)
    agent = load_agent(trained)
    env = OffloadEnv(scenario)
    observation, info = env.reset(options={"simulation_seed": 5})
    credits = []
    done = False
    while not done:
        observation, _, done, _, info = env.step(agent.act(observation, info["action_mask"]))
        credits.extend(info["credit"])
    run = simulate(scenario, f"learned:{trained}")
    decided = run.columns["option"] >= 0
    assert np.sort(run.columns["utility"][decided]).tolist() == pytest.approx(sorted(u for _, u in credits))
    table = env._model.table
    assert run.columns["option"].tolist() == table.option[: table.count].tolist()


def test_learn_writes_policy_curve_and_log_and_run_uses_the_policy(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(choice_scenario().model_dump(mode="json", exclude_none=True)))
    out = tmp_path / "agent.zip"
    runner = CliRunner()
    learned = runner.invoke(app, ["learn", str(scenario), "--steps", "64", "--envs", "1", "--episode-s", "3",
                                  "--out", str(out), "--json"])  # fmt: skip
    assert learned.exit_code == 0, learned.output
    assert out.is_file()
    assert out.with_suffix(".png").is_file()
    assert json.loads(out.with_suffix(".json").read_text())["curve_steps"]
    ran = runner.invoke(app, ["run", str(scenario), "--policy", f"learned:{out}", "--policy", "compute-aware",
                              "--out", str(tmp_path / "run"), "--json"])  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert f"learned:{out}" in ran.output


def test_an_unknown_agent_kind_or_missing_policy_is_one_line_of_error(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["learn", "--agent", "everyone"]).exit_code != 0
    missing = runner.invoke(app, ["run", "--policy", f"learned:{tmp_path / 'none.zip'}"])
    assert missing.exit_code != 0
    assert "no such file" in str(missing.exception or missing.output)
