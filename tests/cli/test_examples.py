"""The examples show what they advertise: examples/tiers.json splits zoo models across tiers (and --check runs
several parts), the vertical example beats every node alone and prints those baselines, --check is relative."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mcfn
from mcfn.models.zoo import load_zoo_graph, zoo_names
from tests.conftest import run_cli

EXAMPLES = Path(__file__).parents[2] / "examples"
TIERS = str(EXAMPLES / "tiers.json")


def split_models() -> list[str]:
    """The zoo models whose optimal plan over the example tiers runs layers on two tiers or more."""
    found = []
    for name in zoo_names():
        graph = load_zoo_graph(name)
        plan = mcfn.plan(graph, TIERS)
        layers = {tier for i, tier in enumerate(plan.assignment) if i != graph.input_index}
        if len(layers) > 1:
            found.append(name)
    return found


def test_the_example_tiers_split_several_zoo_models():
    assert len(split_models()) >= 3


def test_check_runs_the_parts_of_a_split_plan(capsys):
    pytest.importorskip("torch")
    model = split_models()[0]
    code, out, err = run_cli(capsys, "partition", model, "--tiers", TIERS, "--check")
    assert code == 0, err
    assert "the plan's 2 part(s)" in out or "the plan's 3 part(s)" in out
    assert "relative" in out


def test_the_vertical_example_beats_every_node_alone_and_says_so(capsys):
    pytest.importorskip("torch")
    args = ["partition", "vgg16", "--vertical", str(EXAMPLES / "vertical_nodes.json"), "--grid", "2x2"]
    code, out, err = run_cli(capsys, *args, "--until", "features_9", "--json")
    assert code == 0, err
    plan = json.loads(out)
    nodes = json.loads((EXAMPLES / "vertical_nodes.json").read_text(encoding="utf-8"))["nodes"]
    assert set(plan["alone_s"]) == {n["name"] for n in nodes}
    assert plan["latency_s"] < min(plan["alone_s"].values())
    code, out, err = run_cli(capsys, *args, "--until", "features_9", "--check")
    assert code == 0, err
    assert "laptop alone" in out
    assert "relative" in out


def test_the_help_says_when_the_measured_cost_model_gives_the_simple_total(capsys):
    code, out, _ = run_cli(capsys, "partition", "--help")
    assert code == 0
    assert "costs the same under both" in " ".join(out.split())
