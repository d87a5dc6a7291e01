"""``mcfn fit-accuracy`` as a user runs it: real training, a fit, files the allocation reads."""

from __future__ import annotations

import json

from mcfn.allocation.io import load_instance
from tests.cli.test_allocate_cli import instance_file, mcfn  # noqa: F401  (instance_file is a fixture)


def test_fit_accuracy_writes_a_task_type_and_an_instance_that_allocate_solves(tmp_path, instance_file):  # noqa: F811
    out = tmp_path / "fit"
    args = ["fit-accuracy", "--fractions", "0.05,0.2,0.5,1", "--repeats", "1", "--out", str(out)]
    run = mcfn(*args, "--instance", str(instance_file), "--json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    fit = document["fit"]
    assert fit["points"] == 4
    assert 0.8 < document["accuracy"]["p"] <= 1.2
    assert fit["ci"]["p"][0] <= fit["p"] <= fit["ci"]["p"][1]
    assert {p.name for p in out.iterdir()} == {"points.csv", "task_type.json", "fit.png", "instance.json"}
    assert {t.accuracy.p for t in load_instance(out / "instance.json").tasks} == {document["accuracy"]["p"]}
    solved = mcfn("allocate", str(out / "instance.json"), "--json")
    assert solved.returncode == 0, solved.stderr
    again = mcfn(*args)
    assert again.returncode == 2
    assert again.stderr.startswith("error: --out")
    assert "--force" in again.stderr


def test_bad_fractions_are_one_line_errors(tmp_path):
    run = mcfn("fit-accuracy", "--fractions", "0.1,x", "--out", str(tmp_path))
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1
    assert "--fractions" in run.stderr
    run = mcfn("fit-accuracy", "--dataset", "cifar", "--fractions", "0.1,0.2,0.3", "--out", str(tmp_path))
    assert run.returncode == 2
    assert "cifar" in run.stderr
    assert "Traceback" not in run.stderr
