"""Figures label a learned agent by its file's name, not its path."""

from types import SimpleNamespace

from mcfn.orchestration.learned import display_name
from mcfn.sim.report import by_policy_label


def test_a_learned_agent_is_labelled_by_its_file_stem_and_other_policies_by_their_names():
    assert display_name("learned:/tmp/run-3/agents/offload-default.zip") == "learned:offload-default"
    assert display_name("compute-aware") == "compute-aware"


def test_labels_fall_back_to_full_names_where_two_agents_share_a_stem():
    runs = [SimpleNamespace(policy=p) for p in ("learned:a/p.zip", "learned:b/q.zip", "utility-aware")]
    assert list(by_policy_label(runs)) == ["learned:p", "learned:q", "utility-aware"]
    clash = [SimpleNamespace(policy=p) for p in ("learned:a/p.zip", "learned:b/p.zip")]
    assert list(by_policy_label(clash)) == ["learned:a/p.zip", "learned:b/p.zip"]
