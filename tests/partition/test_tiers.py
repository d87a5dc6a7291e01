"""Tier files: the spec's example parses; bad ones give one line naming the field."""

from __future__ import annotations

import json

import pytest

from mcfn.partition.tiers import TierError, dump_tiers, load_tiers, parse_tiers

SPEC = {
    "tiers": [
        {"name": "device", "flops_per_s": 2.0e10},
        {"name": "edge", "flops_per_s": 5.0e11},
        {"name": "cloud", "flops_per_s": 1.0e13},
    ],
    "links": [
        {"from": "device", "to": "edge", "bandwidth_bps": 2.0e7, "latency_s": 0.005},
        {"from": "edge", "to": "cloud", "bandwidth_bps": 1.0e9, "latency_s": 0.020},
    ],
}


def test_spec_example_round_trips() -> None:
    tiers = parse_tiers(SPEC)
    assert tiers.names == ("device", "edge", "cloud")
    assert tiers.links[1].latency_s == 0.020
    assert dump_tiers(tiers) == SPEC


def test_one_tier_needs_no_link() -> None:
    assert len(parse_tiers({"tiers": [{"name": "device", "flops_per_s": 1e9}]})) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"links": SPEC["links"][:1]}, "no link from 'edge' to 'cloud'"),
        ({"links": []}, "no link from 'device' to 'edge'"),
        ({"links": [{**SPEC["links"][0], "to": "cloud"}, SPEC["links"][1]]}, "does not join consecutive tiers"),
        ({"tiers": [{"name": "device", "flops_per_s": -1}]}, "tiers[0].flops_per_s"),
        ({"tiers": []}, "tiers: List should have at least 1 item"),
        ({"links": [{**SPEC["links"][0], "bandwidth_bps": 0}, SPEC["links"][1]]}, "links[0].bandwidth_bps"),
    ],
)
def test_bad_tiers(change: dict, message: str) -> None:
    with pytest.raises(TierError) as info:
        parse_tiers({**SPEC, **change})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_load_names_the_file(tmp_path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({**SPEC, "links": []}))
    with pytest.raises(TierError, match=r"t\.json: .*no link from 'device' to 'edge'"):
        load_tiers(path)
