"""``mcfn models`` and ``mcfn partition`` end to end: exit codes, one-line errors, the spec's JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcfn.cli.app import main
from mcfn.models.io import dump_graph, graph_to_text, parse_graph
from mcfn.models.zoo import load_zoo_graph
from mcfn.partition.cost import evaluate
from mcfn.partition.tiers import dump_tiers
from tests.partition.partition_cases import THREE_TIERS, random_dag


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def tiers_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps(dump_tiers(THREE_TIERS)))
    return path


def test_models_list_and_export(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "list", "--json")
    assert code == 0
    assert [row["name"] for row in json.loads(out)][:2] == ["alexnet", "vgg16"]
    code, out, _ = run(capsys, "models", "export", "resnet18")
    assert code == 0
    assert json.loads(out) == dump_graph(load_zoo_graph("resnet18"))


def test_partition_json_is_the_spec_result_and_recomputes(capsys, tiers_file: Path) -> None:
    code, out, _ = run(capsys, "partition", "googlenet", "--tiers", str(tiers_file), "--json")
    assert code == 0
    result = json.loads(out)
    graph = load_zoo_graph("googlenet")
    assert list(result["assignment"]) == [n.id for n in graph.nodes]
    names = list(THREE_TIERS.names)
    assignment = [names.index(result["assignment"][n.id]) for n in graph.nodes]
    assert result["latency_s"] == evaluate(graph, THREE_TIERS, assignment).latency_s
    assert set(result["baselines"]) == {"device-only", "edge-only", "cloud-only"}


def test_partition_readable_plan_from_a_graph_file(capsys, tiers_file: Path, tmp_path: Path) -> None:
    graph_file = tmp_path / "g.json"
    graph_file.write_text(graph_to_text(random_dag(np.random.default_rng(0), 40)))
    code, out, _ = run(capsys, "partition", "--graph", str(graph_file), "--tiers", str(tiers_file))
    assert code == 0
    assert "latency" in out
    assert "device-only" in out


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"name": "g", "nodes": [{"id": "x", "op": "input", "flops": 0, "output_bytes": 1}], "edges": [["x", "y"]]},
            "unknown node 'y'",
        ),
        (
            {"name": "g", "nodes": [{"id": "x", "op": "conv", "flops": 0, "output_bytes": 1}], "edges": []},
            "exactly one node with op 'input'",
        ),
    ],
)
def test_bad_graph_file_is_one_line_and_exit_2(capsys, tiers_file: Path, tmp_path: Path, document, message) -> None:
    graph_file = tmp_path / "g.json"
    graph_file.write_text(json.dumps(document))
    code, _out, err = run(capsys, "partition", "--graph", str(graph_file), "--tiers", str(tiers_file))
    assert code == 2
    assert err.startswith("error: ")
    assert message in err
    assert err.count("\n") == 1


def test_tiers_without_links_is_one_line_and_exit_2(capsys, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({**dump_tiers(THREE_TIERS), "links": []}))
    code, _, err = run(capsys, "partition", "alexnet", "--tiers", str(path))
    assert code == 2
    assert "no link from 'device' to 'edge'" in err


def test_model_and_graph_together_refused(capsys, tiers_file: Path) -> None:
    code, _, err = run(capsys, "partition", "alexnet", "--graph", "g.json", "--tiers", str(tiers_file))
    assert code == 2
    assert "not both" in err


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from mcfn.cli.app import main\n"
        "try:\n    main(['partition', '--help'])\nexcept SystemExit: pass\n"
        "heavy = [m for m in ('torch', 'networkx', 'numpy', 'scipy') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_models_random_prints_a_valid_graph(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "random", "300", "--seed", "4")
    assert code == 0
    graph = parse_graph(json.loads(out))
    assert len(graph.nodes) == 300
    assert graph.name == "random-300-4"


def test_check_runs_a_split_plan_on_the_real_model(capsys, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    fast_uplink = dump_tiers(THREE_TIERS)
    fast_uplink["links"][0]["bandwidth_bps"] = 1e8  # alexnet then splits device / edge (benchmarks/partition.py)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(fast_uplink))
    code, out, err = run(capsys, "partition", "alexnet", "--tiers", str(path), "--check", "--json")
    assert code == 0
    assert set(json.loads(out)["assignment"].values()) == {"device", "edge"}
    assert "2 part(s) (device, edge) reproduce the unsplit output" in err
    code, _, err = run(capsys, "partition", "--graph", str(path), "--tiers", str(path), "--check")
    assert code == 2
    assert "--check runs a zoo MODEL" in err
