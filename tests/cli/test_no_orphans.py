"""SIGTERM to ``mcfn run --jobs 2`` or ``mcfn reproduce --jobs 2`` (as CI sends) leaves no worker behind: every
process holding the output pipe is gone soon after, so ``mcfn … | tee log`` ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.sim.conftest import small_scenario

SRC = Path(__file__).parents[2] / "src"


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("command", ["run", "reproduce"])
def test_sigterm_ends_every_worker(tmp_path, command):
    if command == "run":
        scenario = tmp_path / "s.yaml"
        scenario.write_text(yaml.safe_dump(small_scenario(duration_s=3600).model_dump(mode="json")), encoding="utf-8")
        args = ["run", str(scenario), "--policy", "random", "--policy", "nearest-edge", "--jobs", "2"]
    else:
        args = ["reproduce", "fig3", "--seeds", "200", "--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    parent = subprocess.Popen(
        [sys.executable, "-m", "mcfn", *args, "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while len(workers := children(parent.pid)) < 2 and time.monotonic() < deadline:  # both workers (and tracker)
        time.sleep(0.2)
    assert len(workers) >= 2, "the workers never started"
    time.sleep(1.0)
    workers = children(parent.pid)
    parent.send_signal(signal.SIGTERM)
    parent.communicate(timeout=30)  # returns once no process holds the pipe any more
    assert parent.returncode == 128 + signal.SIGTERM
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)]
