"""``mcfn run``: side-by-side table, outputs, JSON, one-line errors."""

import csv
import json

import numpy as np
import pytest
import yaml
from tests.sim.conftest import small_scenario

from mcfn.cli.app import main


def run(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code, out, err


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(small_scenario(duration_s=4).model_dump(mode="json")), encoding="utf-8")
    return path


def test_run_compares_policies_and_writes_every_output(capsys, scenario_file, tmp_path):
    out = tmp_path / "out"
    args = ["run", str(scenario_file), "--policy", "compute-aware", "--policy", "nearest-edge", "--out", str(out)]
    code, stdout, _ = run(capsys, *args)
    assert code == 0
    header = next(line for line in stdout.splitlines() if "metric" in line)
    assert "compute-aware" in header
    assert "nearest-edge" in header
    assert "deadline met (%)" in stdout
    for name in ("tasks.csv", "summary.json", "latency_cdf.png", "utilisation.png", "comparison.png"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    with (out / "tasks.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for policy, doc in summary["policies"].items():
        mine = [r for r in rows if r["policy"] == policy]
        assert len(mine) == doc["tasks"]["arrived"]
        assert sum(r["status"] == "completed" for r in mine) == doc["tasks"]["completed"]
        met = sum(r["met_deadline"] == "1" for r in mine) / len(mine)
        assert met == pytest.approx(doc["deadline_satisfaction"])
    assert summary["scenario"]["duration_s"] == 4


def test_run_json_and_seed_override(capsys, scenario_file, tmp_path):
    args = ["run", str(scenario_file), "--policy", "cloud-only", "--out", str(tmp_path), "--json", "--seed", "9"]
    code, stdout, _ = run(capsys, *args)
    assert code == 0
    doc = json.loads(stdout)
    assert doc["scenario"]["seed"] == 9
    assert doc["policies"]["cloud-only"]["tasks"]["in_flight"] == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--policy", "fastest"], "unknown policy 'fastest'"),
        (["--duration-s", "0"], "--duration-s"),
    ],
)
def test_run_errors_are_one_line(capsys, scenario_file, tmp_path, args, expected):
    code, _, err = run(capsys, "run", str(scenario_file), "--out", str(tmp_path), *args)
    assert code == 2
    assert err.count("\n") == 1
    assert expected in err


def test_run_names_the_bad_field_of_a_scenario(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("services: [{name: x, rate_per_terminal_per_s: -1, data_bits: 1, deadline_s: 1, stages: []}]\n")
    code, _, err = run(capsys, "run", str(bad), "--out", str(tmp_path))
    assert code == 2
    assert "services[0].rate_per_terminal_per_s" in err
    assert err.startswith("error: ")


def test_run_help(capsys):
    code, out, _ = run(capsys, "run", "--help")
    assert code == 0
    assert "--policy" in out
    assert "--seed" in out


def test_parallel_policies_give_the_same_results_as_sequential(scenario_file):
    from mcfn.scenario import load_scenario
    from mcfn.sim.run import compare

    scenario = load_scenario(scenario_file)
    policies = ["compute-aware", "random"]
    heard = []
    one = compare(scenario, policies, jobs=1)
    two = compare(scenario, policies, jobs=2, progress=lambda name, now_s: heard.append(name))
    assert sorted(heard) == sorted(policies)
    for a, b in zip(one, two, strict=True):
        assert a.policy == b.policy
        for name, values in a.columns.items():
            np.testing.assert_array_equal(values, b.columns[name], err_msg=name)
        assert a.reasons == b.reasons
