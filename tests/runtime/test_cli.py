"""``mcfn serve``, ``mcfn infer`` and ``mcfn load`` as a user runs them, on the example runtime scenario."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "runtime.yaml"


def mcfn(*args: str) -> subprocess.CompletedProcess[str]:
    wide = os.environ | {"COLUMNS": "160"}  # rich fits tables to the terminal; keep stage names on one line
    return subprocess.run(
        [sys.executable, "-m", "mcfn", *args], capture_output=True, text=True, timeout=120, check=False, env=wide
    )


@pytest.fixture(scope="module")
def cluster_file(tmp_path_factory):
    """``mcfn serve examples/runtime.yaml`` in the background, until the module's tests are done."""
    path = tmp_path_factory.mktemp("cluster") / "cluster.json"
    server = subprocess.Popen(
        [sys.executable, "-m", "mcfn", "serve", str(EXAMPLE), "--cluster-file", str(path), "--duration-s", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    give_up = time.monotonic() + 120
    while not path.exists() and server.poll() is None and time.monotonic() < give_up:
        time.sleep(0.1)  # the file appears once every agent has registered
    try:
        assert path.exists(), server.stderr.read() if server.poll() is not None else "serve did not get ready"
        yield path
    finally:
        server.send_signal(signal.SIGTERM)  # not SIGINT: a test run in the background ignores it, as its children do
        try:
            _, stderr = server.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the agents too: they share the server's session
            raise
    assert not path.exists()  # the cluster file goes away with the cluster
    assert "stopped" in stderr


def test_cluster_file_is_private(cluster_file):
    assert os.stat(cluster_file).st_mode & 0o077 == 0


def test_infer_matches_local_inference_and_breaks_down_the_stages(cluster_file, tmp_path):
    from mcfn.runtime.models import build

    x = np.random.default_rng(5).standard_normal((1, 3, 224, 224)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "y.npy"
    args = ["--input", str(tmp_path / "x.npy"), "--output", str(out), "--cluster-file", str(cluster_file)]
    run = mcfn("infer", "--model", "googlenet", *args, "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert [s["stage"] for s in result["stages"]] == ["googlenet/0", "googlenet/1"]
    assert result["stages"][1]["node"] == "cloud"  # the scenario pins the second stage to the cloud tier
    assert result["output_shape"] == [1, 1000]
    with torch.no_grad():
        expected = build("googlenet", seed=0)[0](torch.from_numpy(x)).numpy()
    assert np.abs(np.load(out) - expected).max() <= 1e-5
    table = mcfn("infer", "--model", "tiny-resnet", "--random", "--cluster-file", str(cluster_file))
    assert table.returncode == 0, table.stderr
    assert "tiny-resnet/2" in table.stdout
    assert "predicted" in table.stdout


def test_load_reports_percentiles_and_throughput(cluster_file):
    run = mcfn("load", "--rate", "20", "--duration", "1", "--cluster-file", str(cluster_file), "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["sent"] > 0
    assert report["served"] + sum(report["failures"].values()) == report["sent"]
    assert report["on_time"] <= report["served"]
    assert report["latency_s"]["p50"] <= report["latency_s"]["p99"]


def test_a_load_sweep_reports_every_rate_and_plots_the_curve(cluster_file, tmp_path):
    plot = tmp_path / "curve.png"
    args = ["--rate", "10", "--duration", "0.3", "--plot", str(plot), "--cluster-file", str(cluster_file)]
    run = mcfn("load", "--sweep", *args, "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [r["rate_per_s"] for r in report["runs"]] == [2.5, 5.0, 10.0, 15.0, 20.0]
    assert all(r["deadline_s"] == 1.0 for r in report["runs"])  # the model's default, from the controller
    assert plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["infer", "--model", "tiny-resnet", "--random", "--cluster-file", "/nonexistent/c.json"], "no cluster file"),
        (["infer", "--model", "tiny-resnet", "--cluster-file", "/nonexistent/c.json"], "exactly one of --input"),
        (["load", "--rate", "5", "--duration", "1", "--model", "nope"], "unknown model"),
        (["serve", "/nonexistent/runtime.yaml"], "cannot read"),
        (["serve", str(EXAMPLE), "--external", "edge1"], "need the cluster token: set $MCFN_CLUSTER_TOKEN"),
        (["serve", str(EXAMPLE), "--deployment", "follow-me"], "not offered by the runtime; valid: static, lru"),
        (["agent", str(EXAMPLE), "--node", "edge1", "--controller", "somewhere"], "expected HOST:PORT"),
        (["agent", str(EXAMPLE), "--node", "edge1", "--controller", "somewhere:80"], "needs the cluster secret"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_two(args, expected, monkeypatch):
    monkeypatch.delenv("MCFN_CLUSTER_TOKEN", raising=False)
    run = mcfn(*args)
    assert run.returncode == 2
    assert run.stderr.startswith("error: ")
    assert expected in run.stderr
    assert "Traceback" not in run.stderr
