"""Measured per-node latency: every node timed, the table round-trips, the planner uses it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from mcfn.cli.app import main
from mcfn.models.measure import LatencyTableError, load_latency_table
from mcfn.models.zoo import load_zoo_graph
from mcfn.partition.cost import measured_compute_s, simple_compute_s
from mcfn.partition.tiers import parse_tiers

TIERS = {
    "tiers": [{"name": "device", "flops_per_s": 2e10}, {"name": "edge", "flops_per_s": 5e11}],
    "links": [{"from": "device", "to": "edge", "bandwidth_bps": 2e7, "latency_s": 0.005}],
}


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_profile_measure_then_partition_measured(capsys, tmp_path: Path) -> None:
    table_file = tmp_path / "m.json"
    code, _, _ = _main(
        capsys,
        "profile",
        "mobilenet_v3_small",
        "--measure",
        "--warmup",
        "1",
        "--repeats",
        "2",
        "--out",
        str(table_file),
    )
    assert code == 0
    table = load_latency_table(table_file)
    graph = load_zoo_graph("mobilenet_v3_small")
    assert set(table.node_latency_s) == {n.id for n in graph.nodes}
    assert all(t > 0 for t in table.node_latency_s.values())
    tiers = parse_tiers(TIERS)
    measured = measured_compute_s(graph, tiers, table.node_latency_s)
    # Same total as the simple model, spread over the nodes as measured.
    assert measured.sum(axis=0) == pytest.approx(simple_compute_s(graph, tiers).sum(axis=0))
    tiers_file = tmp_path / "t.json"
    tiers_file.write_text(json.dumps(TIERS))
    args = ("partition", "mobilenet_v3_small", "--tiers", str(tiers_file), "--json")
    code, out, _ = _main(capsys, *args, "--cost-model", "measured", "--latency", str(table_file))
    assert code == 0
    assert json.loads(out)["latency_s"] > 0
    code, _, err = _main(capsys, *args, "--cost-model", "measured")
    assert code == 2
    assert "needs --latency FILE" in err


def test_table_missing_a_node_is_named(tmp_path: Path) -> None:
    graph = load_zoo_graph("alexnet")
    with pytest.raises(ValueError, match="no time for node 'x'"):
        measured_compute_s(graph, parse_tiers(TIERS), {})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"model": "a", "node_latency_s": {"x": -1}}))
    with pytest.raises(LatencyTableError, match=r"node_latency_s\.x"):
        load_latency_table(path)


def test_profile_json_is_the_zoo_graph(capsys) -> None:
    code, out, _ = _main(capsys, "profile", "alexnet", "--json")
    assert code == 0
    assert np.isclose(sum(n["flops"] for n in json.loads(out)["nodes"]), load_zoo_graph("alexnet").total_flops)
