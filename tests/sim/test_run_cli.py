"""``mcfn run``: side-by-side table, outputs, JSON, one-line errors."""

import csv
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from mcfn.cli.app import main
from tests.sim.conftest import small_scenario


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
    for name in ("tasks.parquet", "summary.json", "latency_cdf.png", "utilisation.png", "comparison.png"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = pq.read_table(out / "tasks.parquet").to_pylist()
    for policy, doc in summary["policies"].items():
        (doc,) = doc["runs"]
        mine = [r for r in rows if r["policy"] == policy]
        assert {r["seed"] for r in mine} == {doc["seed"]}
        assert len(mine) == doc["tasks"]["arrived"]
        assert sum(r["status"] == "completed" for r in mine) == doc["tasks"]["completed"]
        met = sum(r["met_deadline"] for r in mine) / len(mine)
        assert met == pytest.approx(doc["deadline_satisfaction"])
    assert summary["scenario"]["duration_s"] == 4


def test_run_json_and_seed_override(capsys, scenario_file, tmp_path):
    args = ["run", str(scenario_file), "--policy", "cloud-only", "--out", str(tmp_path), "--json", "--seed", "9"]
    code, stdout, _ = run(capsys, *args)
    assert code == 0
    doc = json.loads(stdout)
    assert doc["scenario"]["seed"] == 9
    assert doc["seeds"] == [9]
    (summary,) = doc["policies"]["cloud-only"]["runs"]
    assert summary["seed"] == 9
    assert summary["tasks"]["in_flight"] == 0
    aggregate = doc["policies"]["cloud-only"]["aggregate"]
    assert aggregate["tasks"]["arrived"] == {"mean": summary["tasks"]["arrived"], "ci95": None, "n": 1}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--policy", "fastest"], "unknown policy 'fastest'"),
        (["--duration-s", "0"], "--duration-s"),
        (["--seeds", "0"], "--seeds"),
        (["--seeds", "two"], "--seeds"),
        (["--jobs", "0"], "--jobs"),
    ],
)
def test_run_errors_are_one_line(capsys, scenario_file, tmp_path, args, expected):
    code, _, err = run(capsys, "run", str(scenario_file), "--out", str(tmp_path), *args)
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert "Traceback" not in err
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
    assert "--seeds" in out
    assert "--json" in out


def test_parallel_runs_give_the_same_results_as_sequential_and_report_progress(scenario_file):
    from mcfn.scenario import load_scenario
    from mcfn.sim.run import compare

    scenario = load_scenario(scenario_file)
    policies = ["compute-aware", "random"]
    heard = {}

    def progress(name, seed, now_s):
        heard.setdefault((name, seed), []).append(now_s)

    one = compare(scenario, policies, seeds=2, jobs=1)
    two = compare(scenario, policies, seeds=2, jobs=2, progress=progress)
    seeds = [scenario.seed, scenario.seed + 1]
    assert [(r.policy, r.seed) for r in two] == [(p, s) for p in policies for s in seeds]
    assert set(heard) == {(p, s) for p in policies for s in seeds}
    for reports in heard.values():
        assert len(reports) > 2  # as the runs go, not only when each is done
        assert max(reports) == scenario.duration_s
    for a, b in zip(one, two, strict=True):
        assert (a.policy, a.seed) == (b.policy, b.seed)
        for name, values in a.columns.items():
            np.testing.assert_array_equal(values, b.columns[name], err_msg=name)
        assert a.reasons == b.reasons
    # every policy sees the same arrivals on a seed, other arrivals on another seed
    by = {(r.policy, r.seed): r.columns["arrival_s"] for r in two}
    np.testing.assert_array_equal(by["compute-aware", seeds[1]], by["random", seeds[1]])
    assert by["compute-aware", seeds[0]].size != by["compute-aware", seeds[1]].size or not np.array_equal(
        by["compute-aware", seeds[0]], by["compute-aware", seeds[1]]
    )


def test_seeds_give_means_with_student_t_intervals_everywhere(capsys, scenario_file, tmp_path):
    from scipy import stats

    out = tmp_path / "out"
    args = ["run", str(scenario_file), "--policy", "compute-aware", "--policy", "cloud-only", "--seed", "5"]
    code, stdout, _ = run(capsys, *args, "--seeds", "2", "--jobs", "2", "--out", str(out), "--tasks-format", "csv")
    assert code == 0
    assert "95% CI" in stdout
    assert "Student t" in stdout
    assert "seeds 5–6" in stdout
    utility_row = next(line for line in stdout.splitlines() if "mean utility" in line)
    assert utility_row.count("±") == 2
    ranked = next(line for line in stdout.splitlines() if line.startswith("ranked by mean utility"))
    assert "per-seed difference" in ranked
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["seeds"] == [5, 6]
    assert "Student t" in summary["interval"]
    with (out / "tasks.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:3] == ["policy", "seed", "task"]
    for policy, doc in summary["policies"].items():
        assert [r["seed"] for r in doc["runs"]] == [5, 6]
        for r in doc["runs"]:
            mine = [row for row in rows if row["policy"] == policy and row["seed"] == str(r["seed"])]
            assert len(mine) == r["tasks"]["arrived"]
            assert np.mean([float(row["utility"]) for row in mine]) == pytest.approx(r["mean_utility"])
        values = [r["mean_utility"] for r in doc["runs"]]
        low, high = stats.t.interval(0.95, 1, loc=np.mean(values), scale=stats.sem(values))
        cell = doc["aggregate"]["mean_utility"]
        assert cell["n"] == 2
        assert cell["mean"] == pytest.approx(np.mean(values))
        assert cell["ci95"] == pytest.approx((high - low) / 2)
        assert doc["aggregate"]["utilisation"]["cloud"]["n"] == 2  # nested metrics too
        assert "seed" not in doc["aggregate"]


def test_seeds_json_shape(capsys, scenario_file, tmp_path):
    args = ["run", str(scenario_file), "--policy", "nearest-edge", "--seeds", "2", "--out", str(tmp_path), "--json"]
    code, stdout, err = run(capsys, *args)
    assert code == 0
    assert "error" not in err
    doc = json.loads(stdout)
    assert set(doc) == {"scenario", "seeds", "interval", "ranking", "policies"}
    assert [entry["policy"] for entry in doc["ranking"]] == ["nearest-edge"]
    assert doc["seeds"] == [3, 4]
    policy = doc["policies"]["nearest-edge"]
    assert set(policy) == {"aggregate", "runs"}
    assert [r["seed"] for r in policy["runs"]] == [3, 4]
    for path in (("deadline_satisfaction",), ("latency_s", "p95"), ("tasks", "arrived"), ("adverts", "bytes_per_s")):
        cell = policy["aggregate"]
        for key in path:
            cell = cell[key]
        assert set(cell) == {"mean", "ci95", "n"}
        assert cell["n"] == 2
        assert cell["ci95"] is not None
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8")) == doc


def test_one_seed_says_there_is_no_interval(capsys, scenario_file, tmp_path):
    code, stdout, _ = run(capsys, "run", str(scenario_file), "--policy", "random", "--out", str(tmp_path))
    assert code == 0
    assert "no confidence interval" in stdout
    assert "±" not in stdout


def _run(policy, seed, utility):
    from mcfn.sim.run import RunResult

    return RunResult(
        policy=policy,
        seed=seed,
        columns={},
        summary={"mean_utility": utility, "tasks": {"failure_reasons": {}}},
        services=(),
        options=(),
        nodes=(),
        stations=(),
        reasons=(),
    )


def test_ranking_is_by_the_mean_with_paired_gaps():
    from scipy import stats

    from mcfn.sim.report import ranking

    # b beats c on every seed by about 0.01, though the seeds' spread (0.1) dwarfs it: a paired gap resolves it
    utility = {"a": [0.0, 0.1, -0.1], "b": [0.5, 0.6, 0.4], "c": [0.49, 0.588, 0.391]}
    runs = [_run(name, seed, u) for name, values in utility.items() for seed, u in enumerate(values)]
    ranked = ranking(runs)
    assert [r["policy"] for r in ranked] == ["b", "c", "a"]
    assert ranked[0]["gap_to_previous"] is None
    assert ranked[0]["mean"] == pytest.approx(0.5)
    gaps = np.subtract(utility["b"], utility["c"])
    low, high = stats.t.interval(0.95, 2, loc=gaps.mean(), scale=stats.sem(gaps))
    gap = ranked[1]["gap_to_previous"]
    assert gap["mean"] == pytest.approx(gaps.mean())
    assert gap["ci95"] == pytest.approx((high - low) / 2)
    assert gap["mean"] - gap["ci95"] > 0
    assert ranked[2]["gap_to_previous"]["mean"] == pytest.approx(np.mean(np.subtract(utility["c"], utility["a"])))


def test_ranking_puts_policies_without_a_value_last():
    from mcfn.sim.report import ranking

    ranked = ranking([_run("none", 0, None), _run("some", 0, -0.2)])
    assert [r["policy"] for r in ranked] == ["some", "none"]
    assert ranked[1]["gap_to_previous"] == {"mean": None, "ci95": None, "n": 0}


def test_uplink_policies_compete_on_the_same_arrivals(capsys, scenario_file, tmp_path):
    args = ["run", str(scenario_file), "--policy", "compute-aware", "--uplink", "joint-allocation", "--uplink"]
    code, stdout, _ = run(capsys, *args, "equal-bandwidth", "--out", str(tmp_path), "--json", "--tasks-format", "csv")
    assert code == 0
    policies = json.loads(stdout)["policies"]
    arms = {
        "compute-aware / joint-allocation": "joint-allocation",
        "compute-aware / equal-bandwidth": "equal-bandwidth",
    }
    assert set(policies) == set(arms)
    for label, uplink in arms.items():
        (summary,) = policies[label]["runs"]
        assert summary["uplink_policy"] == uplink
    with (tmp_path / "tasks.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    arrivals = {label: [r["arrival_s"] for r in rows if r["policy"] == label] for label in arms}
    assert arrivals["compute-aware / joint-allocation"] == arrivals["compute-aware / equal-bandwidth"]


def test_an_unknown_uplink_policy_is_one_line_exit_2(capsys, scenario_file, tmp_path):
    code, _, err = run(capsys, "run", str(scenario_file), "--uplink", "fastest", "--out", str(tmp_path))
    assert code == 2
    assert "unknown uplink policy 'fastest'" in err
    assert "Traceback" not in err
