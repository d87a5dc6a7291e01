"""Random documents into every reader mcfn has: a command that reads one ends with a one-line error (exit 2) or a
result, never a traceback. Documents are drawn from scratch and as one random change to a valid example (which
reaches the checks past the first field), written as JSON or YAML."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcfn.allocation.io import dump_instance
from mcfn.models.io import dump_graph
from mcfn.models.zoo import load_zoo_graph
from mcfn.scenario import DEFAULT_SCENARIO_YAML
from tests.conftest import make_instance, run_cli

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

numbers = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 0.5, 1e300, -1e-300, 2**63]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12))
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indices) into ``document``, the root included."""
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, example: Any) -> Any:
    """``example`` with the value at one random path replaced, or removed from its mapping or list."""
    document = json.loads(json.dumps(example))
    path = draw(st.sampled_from(paths(document)))
    if not path:
        return draw(documents)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if draw(st.booleans()) and isinstance(parent, dict | list):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(documents)
    return document


def write(path: Path, document: Any, as_yaml: bool) -> str:
    text = yaml.safe_dump(document, allow_unicode=True) if as_yaml else json.dumps(document, allow_nan=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def assert_no_traceback(capsys: pytest.CaptureFixture[str], *args: str) -> None:
    code, _, err = run_cli(capsys, *args)  # any exception but SystemExit fails the test with its traceback
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


TIERS = str(EXAMPLES / "tiers.json")
SMALL_GRAPH = dump_graph(load_zoo_graph("alexnet"))

#: reader name → (a valid example document, the command line that reads FILE)
READERS: dict[str, tuple[Callable[[], Any], Callable[[str], list[str]]]] = {
    "allocation instance": (
        lambda: dump_instance(make_instance(0, terminals=2)),
        lambda f: ["allocate", f],
    ),
    "layer graph": (lambda: SMALL_GRAPH, lambda f: ["partition", "--graph", f, "--tiers", TIERS]),
    "tiers": (lambda: _json(EXAMPLES / "tiers.json"), lambda f: ["partition", "alexnet", "--tiers", f]),
    "exits": (
        lambda: _json(EXAMPLES / "resnet18_exits.json"),
        lambda f: ["partition", "resnet18", "--tiers", TIERS, "--exits", f, "--deadline", "0.1"],
    ),
    "latency table": (
        lambda: _json(EXAMPLES / "latency" / "alexnet.h200.latency.json"),
        lambda f: ["partition", "alexnet", "--tiers", TIERS, "--cost-model", "measured", "--latency", f],
    ),
    "simulation scenario": (lambda: yaml.safe_load(DEFAULT_SCENARIO_YAML), lambda f: ["scenario", "check", f]),
    "routing snapshot": (
        lambda: _yaml(EXAMPLES / "route_snapshot.yaml"),
        lambda f: ["route", f, "--service", "resnet50", "--from", "bs0"],
    ),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@FUZZ
@given(data=st.data(), as_yaml=st.booleans())
def test_random_documents_never_raise(capsys, tmp_path, reader, data, as_yaml):
    example, command = READERS[reader]
    document = data.draw(st.one_of(documents, mutated(example())), label="document")
    suffix = "yaml" if as_yaml else "json"
    assert_no_traceback(capsys, *command(write(tmp_path / f"doc.{suffix}", document, as_yaml)))


@settings(FUZZ, max_examples=15)  # a valid cluster traces its zoo models with torch: slower per document
@given(document=st.one_of(documents, mutated(_yaml(EXAMPLES / "runtime.yaml"))))
def test_random_runtime_clusters_load_or_raise_a_value_error(tmp_path, document):
    from mcfn.runtime.cluster import load_runtime_scenario

    path = write(tmp_path / "cluster.yaml", document, as_yaml=True)
    with contextlib.suppress(ValueError):  # the error 'mcfn serve' prints on one line; anything else fails
        load_runtime_scenario(path)
