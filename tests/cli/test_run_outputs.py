"""Outputs a user can keep: per-task records as Parquet (CSV on request), never overwritten silently."""

from __future__ import annotations

import csv

import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import run_cli
from tests.sim.conftest import small_scenario


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(small_scenario(duration_s=3).model_dump(mode="json")), encoding="utf-8")
    return str(path)


def test_a_second_run_writes_a_new_folder_and_force_overwrites(capsys, scenario_file, tmp_path):
    out = tmp_path / "run"
    args = ["run", scenario_file, "--policy", "random", "--json", "--out", str(out)]
    assert run_cli(capsys, *args)[0] == 0
    first = (out / "summary.json").read_bytes()
    code, _, err = run_cli(capsys, *args, "--seed", "8")
    assert code == 0
    assert "holds an earlier run" in err
    assert (out / "summary.json").read_bytes() == first
    assert '"seed": 8' in (tmp_path / "run-2" / "summary.json").read_text(encoding="utf-8")
    assert run_cli(capsys, *args, "--seed", "9", "--force")[0] == 0
    assert '"seed": 9' in (out / "summary.json").read_text(encoding="utf-8")
    assert not (tmp_path / "run-3").exists()


def test_parquet_by_default_and_csv_on_request_hold_the_same_rows(capsys, scenario_file, tmp_path):
    args = ["run", scenario_file, "--policy", "random", "--policy", "cloud-only", "--json"]
    assert run_cli(capsys, *args, "--out", str(tmp_path / "p"))[0] == 0
    assert run_cli(capsys, *args, "--out", str(tmp_path / "c"), "--tasks-format", "csv")[0] == 0
    assert not (tmp_path / "p" / "tasks.csv").exists()
    table = pq.read_table(tmp_path / "p" / "tasks.parquet")
    with (tmp_path / "c" / "tasks.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert table.num_rows == len(rows) > 0
    assert table.column_names == list(rows[0])
    parquet = table.to_pylist()
    for a, b in zip(parquet, rows, strict=True):
        assert a["policy"] == b["policy"]
        assert a["status"] == b["status"]
        assert (a["latency_s"] is None) == (b["latency_s"] == "")
        if a["latency_s"] is not None:
            assert a["latency_s"] == float(b["latency_s"])
        assert a["met_deadline"] == (b["met_deadline"] == "true")
    failed = [r for r in parquet if r["status"] == "failed"]
    assert all(r["reason"] for r in failed)
    assert all(r["reason"] is None for r in parquet if r["status"] == "completed")


def test_reproduce_refuses_to_overwrite_a_figure_without_force(capsys, tmp_path):
    args = ["reproduce", "fig4", "--seeds", "1", "--jobs", "1", "--out", str(tmp_path)]
    code, out, err = run_cli(capsys, *args)
    assert code == 0
    assert "━" not in out  # the progress bar is on stderr
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert "--force" in err
    assert run_cli(capsys, *args, "--force")[0] == 0
