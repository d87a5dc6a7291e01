"""The ``mcfn`` command as a user runs it: real processes, real exit codes and streams."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mcfn.allocation import dump_instance
from tests.conftest import make_instance


def mcfn(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcfn", *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def instance_file(tmp_path):
    path = tmp_path / "i.json"
    path.write_text(json.dumps(dump_instance(make_instance(0, terminals=4))))
    return path


def test_generate_then_allocate_prints_the_spec_result_json(tmp_path):
    generated = mcfn("allocate", "--generate", "--seed", "3", "--terminals", "3")
    assert generated.returncode == 0, generated.stderr
    path = tmp_path / "g.json"
    path.write_text(generated.stdout)
    run = mcfn("allocate", str(path), "--method", "exact", "--scheme", "fc", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert (result["status"], result["scheme"], result["method"]) == ("optimal", "fc", "exact")
    assert [t["id"] for t in result["tasks"]] == ["u0/t0", "u0/t1", "u1/t0", "u1/t1", "u2/t0", "u2/t1"]


def test_table_output_lists_every_task_and_the_utility(instance_file):
    run = mcfn("allocate", str(instance_file))
    assert run.returncode == 0, run.stderr
    assert "utility" in run.stdout
    assert all(f"u{i}/t{m}" in run.stdout for i in range(4) for m in range(2))


def test_the_energy_weight_option_trades_utility_for_transmit_energy(instance_file):
    runs = [mcfn("allocate", str(instance_file), "--json", *extra) for extra in ([], ["--energy-weight", "30"])]
    assert all(run.returncode == 0 for run in runs), [run.stderr for run in runs]
    plain, weighed = (json.loads(run.stdout) for run in runs)
    energy = [sum(t["upload_energy_j"] for t in doc["tasks"]) for doc in (plain, weighed)]
    assert energy[1] < energy[0]
    assert weighed["utility"] < plain["utility"]


def _broken(tmp_path, mutate):
    document = dump_instance(make_instance(0, terminals=2))
    mutate(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    return str(path)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (lambda p: [_broken(p, lambda d: d["tasks"][0].pop("deadline_s"))], "tasks[0].deadline_s: Field required"),
        (lambda p: [_broken(p, lambda d: d.update(bandwidth_hz=-5.0))], "bandwidth_hz: Input should be greater than 0"),
        (lambda p: [_broken(p, lambda d: d["tasks"][1].update(min_accuracy=0.99))], "must exceed min_accuracy"),
        (lambda p: [str(p / "nowhere.json")], "cannot read"),
        (lambda p: [str(p), "--scheme", "greedy"], "'greedy' is not one of"),
        (lambda p: [], "give an INSTANCE file"),
        (lambda p: [str(p), "--energy-weight", "-1"], "'--energy-weight': -1.0 is not in the range"),
    ],
    ids=[
        "missing-field",
        "negative-bandwidth",
        "p-below-floor",
        "unreadable",
        "unknown-scheme",
        "no-instance",
        "negative-energy-weight",
    ],
)
def test_bad_input_is_one_line_and_exit_status_two(tmp_path, args, expected):
    run = mcfn("allocate", *args(tmp_path))
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in run.stderr


def test_help_is_fast_to_import():
    code = (
        "import sys; from mcfn.cli import app; "
        "heavy = [m for m in ('cvxpy', 'torch', 'matplotlib', 'ray', 'numpy') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, check=False).returncode == 0
    run = mcfn("--help")
    assert run.returncode == 0
    assert "allocate" in run.stdout
    assert "reproduce" in run.stdout
