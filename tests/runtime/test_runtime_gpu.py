"""The GPU check script, run here on the CPU through its shell wrapper, so the GPU machine's run cannot fail on a
slip: per-layer tables measured at start, a 3-stage split on three agents, equality with local inference, and
the text and JSON output under $OUT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mcfn.runtime.models import TINY

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[2]


def test_gpu_check_runs_on_the_cpu_and_writes_its_report(tmp_path):
    env = os.environ | {"PYTHON": sys.executable, "OUT": str(tmp_path)}
    args = ["--device", "cpu", "--models", TINY, "--requests", "2"]
    done = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "runtime_gpu.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "runtime_gpu.json").read_text(encoding="utf-8"))
    (row,) = report["models"]
    assert report["device"] == "cpu"
    assert row["model"] == TINY
    assert row["placement"] == ["ue0", "edge0", "cloud"]
    assert row["equal"]
    assert row["relative_error"] <= 1e-5
    assert row["predicted_s"] > 0
    assert row["actual_s"] > 0
    assert all(stage["predicted_compute_s"] > 0 for stage in row["stages"])
    table = json.loads((tmp_path / "tables" / f"{TINY}.cpu.latency.json").read_text(encoding="utf-8"))
    assert table["model"] == TINY
    assert "scaled" in table["machine"]
    assert table["stage_overhead"]["call_s"] > 0
    assert (tmp_path / "runtime_gpu.txt").read_text(encoding="utf-8") in done.stdout
