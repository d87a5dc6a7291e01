"""``mcfn fl run``: outputs and errors."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error, run_cli


def test_fl_run_writes_rounds_plots_and_a_summary(tmp_path, capsys):
    out = tmp_path / "fl"
    args = ["fl", "run", "--clients", "4", "--per-round", "2", "--rounds", "2", "--hidden", "32", "--load", "0"]
    code, stdout, err = run_cli(
        capsys, *args, "--selection", "compute-aware", "--target", "0.3", "--out", str(out), "--json"
    )
    assert code == 0, err
    document = json.loads(stdout)
    (row,) = document["time_to_accuracy"]
    assert (row["selection"], row["load"], row["seeds"]) == ("compute-aware", 0.0, 1)
    assert document["inference"] == []
    assert {p.name for p in out.iterdir()} == {"rounds.csv", "summary.json", "accuracy_round.png", "accuracy_time.png"}
    lines = (out / "rounds.csv").read_text().splitlines()
    assert len(lines) == 1 + 3  # header, rounds 0 to 2
    assert "battery_dropouts" in lines[0].split(",")


def test_fl_run_compares_training_on_the_terminals_and_at_the_edge_on_batteries(tmp_path, capsys):
    args = ["fl", "run", "--clients", "4", "--per-round", "2", "--rounds", "2", "--hidden", "32", "--load", "0"]
    code, stdout, err = run_cli(
        capsys, *args, "--selection", "energy-aware", "--training", "device", "--training", "edge",
        "--uplink", "joint-allocation", "--charge", "0.1", "0.2", "--out", str(tmp_path / "fl"), "--json",
    )  # fmt: skip
    assert code == 0, err
    rows = json.loads(stdout)["time_to_accuracy"]
    assert [(r["selection"], r["training"]) for r in rows] == [("energy-aware", "device"), ("energy-aware", "edge")]
    assert all(r["battery_dropouts"] == 0.0 and r["energy_per_round_j"]["mean"] > 0 for r in rows)


@pytest.mark.parametrize(
    ("bad", "word"),
    [
        (["--selection", "fastest"], "fastest"),
        (["--uplink", "fair"], "fair"),
        (["--training", "cloud"], "cloud"),
        (["--charge", "0.8", "0.2"], "--charge"),
        (["--clients", "3", "--per-round", "4"], "per_round"),
        (["--load", "-1"], "--load"),
    ],
)
def test_fl_run_bad_input_is_one_line(tmp_path, capsys, bad, word):
    code, _, err = run_cli(capsys, "fl", "run", *bad, "--out", str(tmp_path))
    assert_one_line_error(code, err, word)
