"""Early exit: the most accurate exit whose best split meets the deadline, or a plain 'none does'."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mcfn.cli.app import main
from mcfn.models.zoo import load_zoo_graph
from mcfn.partition.early_exit import FINAL, Exit, ExitError, exit_graph, load_exits, plan_early_exit
from mcfn.partition.horizontal import plan_horizontal
from tests.partition.partition_cases import THREE_TIERS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GRAPH = load_zoo_graph("resnet18")
EXITS = load_exits(EXAMPLES / "resnet18_exits.json")[1]


def test_exit_graph_is_the_ancestors_and_a_head() -> None:
    sub, keep = exit_graph(GRAPH, Exit("layer2_1_relu_1", 0.4, "assumed"))
    assert sub.nodes[-1].id == "exit@layer2_1_relu_1"
    assert [sub.nodes[i].id for i in sub.outputs] == ["exit@layer2_1_relu_1"]
    assert "layer3_0_conv1" not in sub.index
    assert "layer2_0_downsample_0" in sub.index
    assert len(keep) == len(sub.nodes) - 1
    assert exit_graph(GRAPH, Exit(FINAL, 0.7, "x"))[0] is GRAPH


@pytest.mark.parametrize("deadline_s", [0.03, 0.06, 0.1, 0.15, 0.19, 1.0])
def test_choice_is_the_most_accurate_that_meets_the_deadline(deadline_s: float) -> None:
    result = plan_early_exit(GRAPH, THREE_TIERS, EXITS, deadline_s=deadline_s)
    feasible = [o for o in result.options if o.plan.latency_s <= deadline_s]
    if not feasible:
        assert result.chosen is None
        return
    assert result.chosen is not None
    assert result.chosen.exit.accuracy == max(o.exit.accuracy for o in feasible)
    full = plan_horizontal(GRAPH, THREE_TIERS)
    assert result.options[0].plan.latency_s == full.latency_s
    assert json.loads(json.dumps(result.to_json_dict()))["chosen"]["plan"]["latency_s"] <= deadline_s


def test_measured_table_covers_the_head() -> None:
    table = np.full((len(GRAPH.nodes), 3), 1e-3)
    result = plan_early_exit(GRAPH, THREE_TIERS, EXITS, deadline_s=1.0, compute_s=table)
    assert result.chosen is not None
    assert result.chosen.exit.after == FINAL


def test_unknown_exit_node_is_named() -> None:
    with pytest.raises(ExitError, match="exit after 'nope': no such node in 'resnet18'"):
        plan_early_exit(GRAPH, THREE_TIERS, [Exit("nope", 0.5, "assumed")], deadline_s=1.0)
    with pytest.raises(ValueError, match="deadline_s: must be a positive number"):
        plan_early_exit(GRAPH, THREE_TIERS, EXITS, deadline_s=0)


def test_cli_says_plainly_when_no_exit_meets_the_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["partition", "resnet18", "--tiers", str(EXAMPLES / "tiers.json"), "--exits"]
    args += [str(EXAMPLES / "resnet18_exits.json"), "--json", "--deadline"]
    with pytest.raises(SystemExit) as info:
        main([*args, "0.001"])
    out, err = capsys.readouterr()
    assert info.value.code == 1
    assert json.loads(out)["chosen"] is None
    assert "no exit meets the deadline of 0.001 s" in err
    with pytest.raises(SystemExit) as info:
        main([*args, "0.063"])  # between the exits after layer2 (0.0625 s) and layer3 (0.0641 s)
    out, _ = capsys.readouterr()
    assert info.value.code == 0
    assert json.loads(out)["chosen"]["exit"] == "layer2_1_relu_1"
