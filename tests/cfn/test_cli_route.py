import json

import pytest

from mcfn.cli.app import main


def run(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_route_explains_the_example_decision(capsys, example_path):
    code, out, _ = run(capsys, "route", str(example_path), "--service", "resnet50", "--from", "bs0")
    assert code == 0
    assert "* edge1" in out
    assert "choice: edge1 via bs0 > agg0 > bs1 > edge1" in out
    assert "meets the deadline" in out


def test_route_json_has_every_candidate_split_and_the_cloud_reason(capsys, example_path):
    code, out, _ = run(capsys, "route", str(example_path), "--service", "llm-7b", "--from", "bs1", "--json")
    assert code == 0
    doc = json.loads(out)
    assert [c["node"] for c in doc["candidates"]] == ["edge0", "edge1", "cloud"]
    for c in doc["candidates"]:
        assert c["latency_s"] == pytest.approx(c["network_s"] + c["queue_s"] + c["compute_s"])
    choice = doc["choice"]
    assert choice["node"] == "cloud"
    assert choice["cloud_fallback"] is True
    assert "no edge instance meets the 0.2 s budget" in choice["reason"]
    assert choice["path"] == ["bs1", "agg0", "core", "cloud"]
    best = min(doc["candidates"], key=lambda c: c["latency_s"] if c["feasible"] else float("inf"))
    assert best["node"] == "cloud"


def test_route_with_another_policy_and_deadline(capsys, example_path):
    args = ["route", str(example_path), "--service", "resnet50", "--from", "bs0", "--json"]
    code, out, _ = run(capsys, *args, "--policy", "nearest-edge")
    assert json.loads(out)["choice"]["node"] == "edge0"
    code, out, _ = run(capsys, *args, "--deadline-s", "0.001")
    doc = json.loads(out)
    assert code == 0
    assert doc["choice"]["node"] != "cloud"  # nothing meets 1 ms: the fastest, not a cloud that cannot either
    assert doc["choice"]["meets_deadline"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "vgg", "--from", "bs0"], "unknown service 'vgg'; known: llm-7b, resnet50"),
        (["--service", "resnet50", "--from", "bs7"], "unknown topology node 'bs7'"),
        (["--service", "resnet50", "--from", "edge0"], "ingress 'edge0' is not a base station"),
        (["--service", "resnet50", "--from", "bs0", "--policy", "best"], "unknown routing policy 'best'"),
        (["--service", "resnet50", "--from", "bs0", "--deadline-s", "-1"], "deadline_s must be positive"),
    ],
)
def test_bad_requests_exit_2_with_one_line(capsys, example_path, args, message):
    code, out, err = run(capsys, "route", str(example_path), *args)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace("bandwidth_bps: 1.0e9", "bandwidth_bps: -1.0e9", 1), "topology.links[5].bandwidth_bps"),
        (lambda t: t.replace("vm_slots: 4", "vm_slots: 0"), "compute[0].vm_slots: Input should be greater than"),
        (lambda t: t.replace("instances: [edge0, edge1, cloud]", "instances: [edge9]"), "unknown compute node 'edge9'"),
        (lambda t: t.replace("deadline_s: 0.2", "deadline_s: soon"), "services.llm-7b.deadline_s"),
        (lambda t: t.replace("role: core", "role: router"), "topology.nodes[7].role"),
        (lambda t: t + "\n  bogus: [1\n", "is not valid YAML"),
    ],
)
def test_bad_scenarios_exit_2_naming_the_field(capsys, tmp_path, example_path, mutate, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(mutate(example_path.read_text()))
    code, _, err = run(capsys, "route", str(bad), "--service", "resnet50", "--from", "bs0")
    assert code == 2
    assert message in err
    assert err.startswith(f"error: {bad}: ")
    assert err.count("\n") == 1


def test_missing_scenario_file(capsys, tmp_path):
    code, _, err = run(capsys, "route", str(tmp_path / "none.yaml"), "--service", "s", "--from", "bs0")
    assert code == 2
    assert "cannot read" in err


def test_readme_route_examples_run(capsys, example_path):
    readme = example_path.parents[1] / "README.md"
    commands = [line.split("$ mcfn ", 1)[1] for line in readme.read_text().splitlines() if "$ mcfn route" in line]
    assert len(commands) >= 2
    for command in commands:
        args = command.split()
        args[1] = str(example_path)
        code, out, _ = run(capsys, *args)
        assert code == 0
        assert "edge" in out
