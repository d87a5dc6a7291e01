"""Ordinary mistakes of a newcomer: each is one line naming the option or field, exit status 2, no traceback
(issue 16's tracebacks and silent nonsense)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mcfn.allocation.io import dump_instance
from tests.conftest import assert_one_line_error, make_instance, run_cli
from tests.sim.conftest import small_scenario

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def route_doc() -> dict:
    return yaml.safe_load((EXAMPLES / "route_snapshot.yaml").read_text(encoding="utf-8"))


def write_yaml(path: Path, document: dict) -> str:
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


def test_out_naming_a_file_is_refused_before_any_work(capsys, tmp_path):
    taken = tmp_path / "afile"
    taken.write_text("mine", encoding="utf-8")
    for args in (["run", "--duration-s", "1"], ["reproduce", "fig4", "--seeds", "1"]):
        code, _, err = run_cli(capsys, *args, "--out", str(taken / "below"))
        assert_one_line_error(code, err, "--out", "is a file")
    assert taken.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["run", "--duration-s", "inf"], ["--duration-s", "finite"]),
        (["run", "--duration-s", "nan"], ["--duration-s"]),
        (["run", "--seed", "-1"], ["--seed"]),
        (["run", "--tasks-format", "xlsx"], ["--tasks-format", "parquet"]),
        (["allocate", "--generate", "--weight", "inf"], ["--weight"]),
        (["allocate", "--terminals", "3"], ["--terminals", "--generate"]),
        (["profile", "resnet18", "--out", "r.json"], ["--out", "--measure"]),
    ],
)
def test_bad_options_are_refused_before_any_work(capsys, args, names):
    code, _, err = run_cli(capsys, *args)
    assert_one_line_error(code, err, *names)


def test_allocate_refuses_a_file_with_generate(capsys, tmp_path):
    path = tmp_path / "i.json"
    path.write_text(json.dumps(dump_instance(make_instance(0))), encoding="utf-8")
    code, _, err = run_cli(capsys, "allocate", str(path), "--generate")
    assert_one_line_error(code, err, "--generate", "not both")


def test_a_task_that_cannot_meet_its_deadline_never_raises(capsys, tmp_path):
    document = dump_instance(make_instance(0, terminals=1, tasks_per_terminal=1))
    document["tasks"][0]["data_bits"] = 1e16
    path = tmp_path / "big.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    for method in ("fast", "exact", "sca"):
        for scheme in ("proposed", "fc", "ac", "wcr"):
            code, out, err = run_cli(capsys, "allocate", str(path), "--method", method, "--scheme", scheme)
            assert (code, err) == (0, "")
            assert "no task admitted" in out  # not 'optimal' when every task was rejected


def test_partition_of_a_one_node_graph(capsys, tmp_path):
    graph = {
        "name": "one",
        "input_shape": [1],
        "dtype": "float32",
        "nodes": [{"id": "x", "op": "input", "flops": 0, "param_bytes": 0, "output_bytes": 4, "output_shape": [1]}],
        "edges": [],
    }
    path = tmp_path / "one.json"
    path.write_text(json.dumps(graph), encoding="utf-8")
    code, out, err = run_cli(capsys, "partition", "--graph", str(path), "--tiers", str(EXAMPLES / "tiers.json"))
    assert code == 0, err
    assert "the plan takes no time" in out


def test_profile_refuses_an_unknown_device(capsys):
    pytest.importorskip("torch")
    code, _, err = run_cli(capsys, "profile", "resnet18", "--measure", "--device", "bogus")
    assert_one_line_error(code, err, "--device", "bogus")


def test_route_with_the_ingress_cut_off_is_an_error_not_an_infinite_choice(capsys, tmp_path, route_doc):
    route_doc["topology"]["links"] = [
        link for link in route_doc["topology"]["links"] if "bs0" not in (link["a"], link["b"])
    ]
    path = write_yaml(tmp_path / "cut.yaml", route_doc)
    code, _, err = run_cli(capsys, "route", path, "--service", "resnet50", "--from", "bs0")
    assert_one_line_error(code, err, "bs0", "resnet50", "no path")


def test_route_json_is_standard_json_when_an_instance_is_unreachable(capsys, tmp_path, route_doc):
    route_doc["topology"]["links"] = [link for link in route_doc["topology"]["links"] if link["b"] != "edge0"]
    path = write_yaml(tmp_path / "cut.yaml", route_doc)
    code, out, _ = run_cli(capsys, "route", path, "--service", "resnet50", "--from", "bs0", "--json")
    assert code == 0
    document = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    (edge0,) = [c for c in document["candidates"] if c["node"] == "edge0"]
    assert edge0["latency_s"] is None
    assert document["choice"]["node"] != "edge0"


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (lambda d: d["state"]["adverts"][0].update(sent_s=10.5), ["state.adverts[0].sent_s", "future"]),
        (lambda d: d["state"]["adverts"][1].update(busy_vms=9), ["state.adverts[1].busy_vms", "vm_slots"]),
        (lambda d: d["services"]["resnet50"].update(memory_bytes=1e15), ["services.resnet50.memory_bytes"]),
    ],
)
def test_route_scenario_values_that_cannot_be(capsys, tmp_path, route_doc, change, names):
    change(route_doc)
    path = write_yaml(tmp_path / "bad.yaml", route_doc)
    code, _, err = run_cli(capsys, "route", path, "--service", "resnet50", "--from", "bs0")
    assert_one_line_error(code, err, *names)


def test_a_stage_larger_than_every_node_is_refused(capsys, tmp_path):
    document = small_scenario().model_dump(mode="json")
    document["services"][0]["stages"][0]["memory_bytes"] = 1e15
    path = write_yaml(tmp_path / "s.yaml", document)
    code, _, err = run_cli(capsys, "scenario", "check", path)
    assert_one_line_error(code, err, "service classify", "stage 0", "memory_bytes")
