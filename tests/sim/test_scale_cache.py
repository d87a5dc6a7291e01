"""``benchmarks/scale_cache.py``: a steady state's counts per task from two cachegrind runs, and its bad input."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scale_cache():
    spec = importlib.util.spec_from_file_location("scale_cache", ROOT / "benchmarks" / "scale_cache.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_counts(path: Path, counts: list[int]) -> Path:
    """A cachegrind output file whose totals are ``counts`` (events in cachegrind's order)."""
    values = " ".join(map(str, counts))
    lines = [
        "cmd: python",
        "events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw",
        "fn=f",
        f"0 {values}",
        f"summary: {values}",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_counts_per_task_are_the_difference_over_the_extra_tasks(scale_cache, tmp_path):
    short = scale_cache.read_summary(write_counts(tmp_path / "a.out", [1000, 9, 9, 400, 40, 4, 200, 20, 2]))
    long = scale_cache.read_summary(write_counts(tmp_path / "b.out", [3000, 9, 9, 1000, 100, 24, 600, 50, 12]))
    counts = scale_cache.per_task(short, long, 100, 300)
    assert counts == {"Ir": 10.0, "Dr": 3.0, "D1mr": 0.3, "DLmr": 0.1, "Dw": 2.0, "D1mw": 0.15, "DLmw": 0.05}


def test_runs_without_more_tasks_are_refused(scale_cache, tmp_path):
    counts = scale_cache.read_summary(write_counts(tmp_path / "a.out", [1] * 9))
    with pytest.raises(ValueError, match="not more than"):
        scale_cache.per_task(counts, counts, 100, 100)


def test_an_unfinished_output_is_refused(scale_cache, tmp_path):
    path = tmp_path / "cut.out"
    path.write_text("events: Ir\nfn=f\n0 5\n")
    with pytest.raises(ValueError, match="no summary line"):
        scale_cache.read_summary(path)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--tasks", "1000"], "too few"),
        (["--jobs", "0"], "at least 1"),
        (["--l2", "2097152,12,64"], "power of two"),
        (["--l1d", "48k"], "SIZE,ASSOC,LINE"),
        (["--l1d", "0,0,64"], "power of two"),
    ],
)
def test_bad_input_exits_2_with_one_line(scale_cache, capsys, args, says):
    l1d = [] if "--l1d" in args else ["--l1d", "32768,8,64"]  # not this machine's: sysfs may not describe it
    l2 = [] if "--l2" in args else ["--l2", "1048576,16,64"]
    assert scale_cache.main([*args, *l1d, *l2]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.startswith("error: ")
    assert err.count("\n") == 1
