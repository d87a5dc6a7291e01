"""``mcfn scenario``: the embedded default to start from, and one-line checks of a scenario file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mcfn.cli.app import main
from mcfn.scenario import DEFAULT_SCENARIO_YAML, default_scenario, parse_scenario


def run(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_default_prints_the_embedded_default_verbatim(capsys):
    code, out, err = run(capsys, "scenario", "default")
    assert code == 0
    assert not err
    assert out == DEFAULT_SCENARIO_YAML
    assert parse_scenario(yaml.safe_load(out)) == default_scenario()


def test_default_as_json_is_the_same_document(capsys):
    code, out, _ = run(capsys, "scenario", "default", "--json")
    assert code == 0
    document = json.loads(out)
    assert document == yaml.safe_load(DEFAULT_SCENARIO_YAML)
    assert parse_scenario(document) == default_scenario()


def test_start_from_the_default_then_check_and_run_it(tmp_path):
    """What a user types: 'mcfn scenario default > my.yaml', edit, 'mcfn scenario check my.yaml'."""
    mcfn = [sys.executable, "-m", "mcfn"]
    printed = subprocess.run([*mcfn, "scenario", "default"], capture_output=True, text=True, check=True, timeout=120)
    path = tmp_path / "my.yaml"
    path.write_text(printed.stdout.replace("count: 300", "count: 40"), encoding="utf-8")
    checked = subprocess.run([*mcfn, "scenario", "check", str(path)], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count("\n") == 1
    assert "valid: 7 cells, 8 compute nodes, 40 terminals, 3 services (classify, detect, transcribe)" in checked.stdout


def test_check_as_json(capsys, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(DEFAULT_SCENARIO_YAML, encoding="utf-8")
    code, out, _ = run(capsys, "scenario", "check", str(path), "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["valid"] is True
    assert (summary["cells"], summary["terminals"], summary["seed"]) == (7, 300, 0)
    assert summary["arrival_rate_per_s"] == pytest.approx(300 * 0.9)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("count: 300", "count: 0"), "terminals.count"),
        (("seed: 0", "seed: zero"), "seed"),
        (("drain_s: 60", "drain_s: 60\nfailures: [{node: edge99, at_s: 1}]"), "edge99"),  # found past the fields
    ],
)
def test_check_a_bad_file_says_why_on_one_line(capsys, tmp_path, change, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(DEFAULT_SCENARIO_YAML.replace(*change), encoding="utf-8")
    code, out, err = run(capsys, "scenario", "check", str(path))
    assert code == 2
    assert not out
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert expected in err


def test_check_a_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "scenario", "check", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert err.count("\n") == 1
    assert "nope.yaml" in err


@pytest.mark.parametrize("args", [["scenario"], ["scenario", "--help"], ["scenario", "default", "--help"]])
def test_help(capsys, args):
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert "Usage: mcfn scenario" in out
    if args == ["scenario", "default", "--help"]:
        assert "mcfn scenario default > my.yaml" in " ".join(out.split())
    else:
        assert "default" in out
        assert "check" in out


def test_the_readme_scenario_examples_run(tmp_path):
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    commands = [line.strip()[2:] for line in readme.splitlines() if line.strip().startswith("$ mcfn scenario ")]
    assert len(commands) == 3
    for command in commands:
        command = command.split("  #")[0].replace("mcfn ", f"{sys.executable} -m mcfn ", 1)
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}: {done.stderr}"
    assert "valid" in done.stdout


def test_options_lists_every_variant_and_exit_with_its_accuracy_source_and_times(capsys):
    from mcfn.services import service_options

    code, out, _ = run(capsys, "scenario", "options", "--json")
    assert code == 0
    rows = json.loads(out)["options"]
    options = [o for service in service_options(default_scenario()) for o in service]
    assert [(r["variant"], r["exit"]) for r in rows] == [(o.variant, o.exit) for o in options]
    assert [r["source"] for r in rows] == [o.source for o in options]
    by_variant = {r["variant"]: r for r in rows if r["exit"] == "final"}
    # int8 halves the dense work's time on a CPU edge VM (2x its float conv share), not its FLOPs
    assert by_variant["resnet50-int8"]["flops"] == by_variant["resnet50"]["flops"]
    int8, fp32 = by_variant["resnet50-int8"]["alone_s"]["edge0"], by_variant["resnet50"]["alone_s"]["edge0"]
    assert 0.45 * fp32 < int8 < 0.6 * fp32
    code, out, _ = run(capsys, "scenario", "options")
    assert code == 0
    assert "mobilenet_v2-int8" in out
    assert "assumed" in out


def test_options_of_a_missing_file_is_one_line_and_exit_2(capsys):
    code, _, err = run(capsys, "scenario", "options", "no-such.yaml")
    assert code == 2
    assert err.count("\n") == 1
    assert "no-such.yaml" in err
