"""``mcfn fit-accuracy``: real training, a fit, files the allocation reads."""

from __future__ import annotations

import json

from mcfn.allocation import dump_instance
from mcfn.allocation.io import load_instance
from tests.conftest import assert_one_line_error, make_instance, run_cli


def test_fit_accuracy_writes_a_task_type_and_an_instance_that_allocate_solves(tmp_path, capsys):
    instance = tmp_path / "i.json"
    instance.write_text(json.dumps(dump_instance(make_instance(0, terminals=4))))
    out = tmp_path / "fit"
    args = ["fit-accuracy", "--fractions", "0.05,0.2,0.5,1", "--repeats", "1", "--out", str(out)]
    code, stdout, err = run_cli(capsys, *args, "--instance", str(instance), "--json")
    assert code == 0, err
    document = json.loads(stdout)
    fit = document["fit"]
    assert fit["points"] == 4
    assert 0.8 < document["accuracy"]["p"] <= 1.0
    assert fit["ci"]["p"][0] <= fit["p"] <= fit["ci"]["p"][1]
    assert {p.name for p in out.iterdir()} == {"points.csv", "task_type.json", "fit.png", "instance.json"}
    assert {t.accuracy.p for t in load_instance(out / "instance.json").tasks} == {document["accuracy"]["p"]}
    code, stdout, err = run_cli(capsys, "allocate", str(out / "instance.json"), "--json")
    assert code == 0, err
    assert json.loads(stdout)["status"] == "optimal"
    assert_one_line_error(*run_cli(capsys, *args)[::2], "--out", "--force")


def test_bad_fractions_and_datasets_are_one_line_errors(tmp_path, capsys):
    code, _, err = run_cli(capsys, "fit-accuracy", "--fractions", "0.1,x", "--out", str(tmp_path))
    assert_one_line_error(code, err, "--fractions")
    code, _, err = run_cli(
        capsys, "fit-accuracy", "--dataset", "cifar", "--fractions", "0.1,0.2,0.3", "--out", str(tmp_path)
    )
    assert_one_line_error(code, err, "cifar")
