"""``mcfn sweep``: a 3 × 2 × 5 grid run as independent runs, cached by their inputs, in local processes and on a
local two-node Ray cluster (one test: Ray takes seconds to start)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from mcfn.cli.app import main
from mcfn.experiments.executor import Job, ResultCache, execute, input_hash
from mcfn.experiments.grid import SweepError, load_sweep

#: A grid of 3 values × 2 policies × 5 seeds on the default scenario shrunk to a second with a few terminals.
SWEEP_YAML = """\
set: {duration_s: 1, drain_s: 1, radio.uplink_policy: equal-bandwidth}
grid:
  terminals.count: [10, 20, 30]
policies: [nearest-edge, compute-aware]
seeds: 5
"""
#: Columns that measure the machine, not the model.
WALL_CLOCK = ("wall_s", "tasks_per_wall_s")


def sweep(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(["sweep", *args, "--json"])
    out, err = capsys.readouterr()
    assert info.value.code == 0, err
    return json.loads(out)


def model_columns(path):
    table = pq.read_table(path).to_pylist()
    return [{k: v for k, v in row.items() if k not in WALL_CLOCK} for row in table]


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "sweep.yaml"
    path.write_text(SWEEP_YAML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local_sweep(sweep_file):
    """The sweep run in two local worker processes: its output folder and its JSON summary."""
    out = sweep_file.parent / "local"
    with pytest.raises(SystemExit) as info:
        main(["sweep", str(sweep_file), "--out", str(out), "--workers", "2", "--json"])
    assert info.value.code == 0
    return out, json.loads((out / "sweep.json").read_text(encoding="utf-8"))


def test_a_3x2x5_grid_runs_in_local_processes_and_resumes_from_its_cache(sweep_file, local_sweep, capsys):
    capsys.readouterr()
    out, first = local_sweep
    assert first["runs"] == 30
    assert first["cached"] == 0
    rows = model_columns(first["parquet"])
    assert len(rows) == 30
    assert {(r["terminals.count"], r["policy"], r["seed"]) for r in rows} == {
        (n, p, s) for n in (10, 20, 30) for p in ("nearest-edge", "compute-aware") for s in range(5)
    }
    assert all(r["tasks.arrived"] == r["tasks.completed"] + r["tasks.failed"] for r in rows)
    assert (out / "sweep.csv").read_text(encoding="utf-8").count("\n") == 31
    assert (out / "sweep.png").stat().st_size > 0
    again = sweep(capsys, str(sweep_file), "--out", str(out), "--workers", "2")
    assert again["cached"] == 30
    assert model_columns(again["parquet"]) == rows


def test_the_same_grid_on_a_local_multi_node_ray_cluster_gives_the_same_table(
    sweep_file, local_sweep, tmp_path, capsys, monkeypatch
):
    pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        summary = sweep(capsys, str(sweep_file), "--out", str(tmp_path), "--ray-address", cluster.address)
    finally:
        cluster.shutdown()
    assert summary["runs"] == 30
    assert summary["cached"] == 0
    assert model_columns(summary["parquet"]) == model_columns(local_sweep[1]["parquet"])


def test_a_job_key_is_the_hash_of_its_inputs_and_the_cache_returns_its_result(tmp_path):
    assert Job(input_hash, ("a", 1)).key == Job(input_hash, ("a", 1)).key != Job(input_hash, ("a", 2)).key
    cache = ResultCache(tmp_path)
    heard = []
    jobs = [Job(input_hash, (k,)) for k in range(3)]
    assert execute(jobs, cache=cache, on_progress=lambda done, total: heard.append(done)) == [
        input_hash(k) for k in range(3)
    ]
    assert heard == [0, 1, 2, 3]
    cache.put(jobs[1].key, "from the cache")
    assert execute(jobs, cache=cache)[1] == "from the cache"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("grid: {terminals.count: [10]}\npolicies: [no-such]\n", "unknown policy 'no-such'"),
        ("grid: {terminals.nope.x: [1]}\npolicies: [nearest-edge]\n", "no field 'nope'"),
        ("grid: {terminals.count: [-3]}\npolicies: [nearest-edge]\n", "terminals.count=-3"),
        ("policies: [nearest-edge]\nseeds: 0\n", "seeds"),
    ],
)
def test_a_bad_sweep_is_one_line_naming_the_field(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SweepError, match=message):
        load_sweep(path)
