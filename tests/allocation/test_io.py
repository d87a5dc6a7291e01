"""Instance JSON: round trip, generator determinism, one-line validation errors."""

from __future__ import annotations

import copy
import json

import pytest

from mcfn.allocation import InstanceError, dump_instance, load_instance, parse_instance
from mcfn.allocation.generator import TASK_TYPES
from tests.conftest import make_instance


def test_instance_round_trips_through_json(tmp_path):
    inst = make_instance(4)
    path = tmp_path / "i.json"
    path.write_text(json.dumps(dump_instance(inst)))
    assert load_instance(path) == inst


def test_generator_is_deterministic_and_follows_the_spec_defaults():
    a, b = make_instance(9), make_instance(9)
    assert a == b
    assert a != make_instance(10)
    assert a.n_tasks == 20
    assert {t.parallel for t in a.tasks} == {2}
    assert [t.tx_power_w for t in a.tasks] == pytest.approx([0.19952623 / 2] * 20)
    assert all(1e6 <= t.data_bits <= 4e6 for t in a.tasks)
    assert [t.cycles_per_bit for t in a.tasks[:3]] == [k.cycles_per_bit for k in TASK_TYPES]
    same_terminal = [t.channel_gain for t in a.tasks if t.terminal == "u0"]
    assert len(set(same_terminal)) == 1


def _document():
    return dump_instance(make_instance(0, terminals=2, tasks_per_terminal=1))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("bandwidth_hz"), "bandwidth_hz: Field required"),
        (lambda d: d["tasks"][1].pop("data_bits"), "tasks[1].data_bits: Field required"),
        (lambda d: d.update(bandwidth_hz=-1.0), "bandwidth_hz: Input should be greater than 0"),
        (lambda d: d["tasks"][0]["accuracy"].update(p=0.5), "tasks[0]: accuracy.p (0.5) must exceed min_accuracy"),
        (lambda d: d.update(weight=1.5), "weight: Input should be less than or equal to 1"),
        (lambda d: d["tasks"][1].update(id=d["tasks"][0]["id"]), "appears twice"),
        (lambda d: d.update(tasks=[]), "tasks: List should have at least 1 item"),
        (lambda d: d.update(extra=1), "extra: Extra inputs are not permitted"),
    ],
)
def test_bad_documents_give_one_line_naming_the_field(mutate, message):
    document = copy.deepcopy(_document())
    mutate(document)
    with pytest.raises(InstanceError) as info:
        parse_instance(document)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_and_malformed_files_are_named(tmp_path):
    with pytest.raises(InstanceError, match=r"cannot read .*missing\.json"):
        load_instance(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InstanceError, match=r"bad\.json is not valid JSON"):
        load_instance(bad)
