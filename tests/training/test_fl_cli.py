"""``mcfn fl run`` as a user runs it."""

from __future__ import annotations

import json

from tests.cli.test_allocate_cli import mcfn


def test_fl_run_writes_rounds_plots_and_a_summary(tmp_path):
    out = tmp_path / "fl"
    args = ["fl", "run", "--clients", "4", "--per-round", "2", "--rounds", "2", "--hidden", "32", "--load", "0"]
    run = mcfn(*args, "--selection", "compute-aware", "--target", "0.3", "--out", str(out), "--json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    (row,) = document["time_to_accuracy"]
    assert (row["selection"], row["load"], row["seeds"]) == ("compute-aware", 0.0, 1)
    assert document["inference"] == []
    assert {p.name for p in out.iterdir()} == {"rounds.csv", "summary.json", "accuracy_round.png", "accuracy_time.png"}
    lines = (out / "rounds.csv").read_text().splitlines()
    assert len(lines) == 1 + 3  # header, rounds 0 to 2


def test_fl_run_bad_input_is_one_line(tmp_path):
    for bad, word in ((["--selection", "fastest"], "fastest"), (["--uplink", "joint-allocation"], "joint-allocation"),
                      (["--clients", "3", "--per-round", "4"], "per_round")):  # fmt: skip
        run = mcfn("fl", "run", *bad, "--out", str(tmp_path))
        assert run.returncode == 2, run.stderr
        assert word in run.stderr
        assert run.stderr.count("\n") == 1
