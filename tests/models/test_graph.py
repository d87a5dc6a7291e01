"""Layer-graph validation and JSON round trips (spec/partition.md)."""

from __future__ import annotations

import json

import pytest

from mcfn.models.graph import GraphError, LayerGraph, Node
from mcfn.models.io import dump_graph, graph_to_text, load_graph, parse_graph


def _doc(nodes: list[tuple[str, str]], edges: list[tuple[str, str]]) -> dict:
    return {
        "name": "g",
        "nodes": [{"id": i, "op": op, "flops": 10, "output_bytes": 4} for i, op in nodes],
        "edges": [list(e) for e in edges],
    }


DIAMOND = _doc(
    [("x", "input"), ("a", "conv2d"), ("b", "relu"), ("c", "add")], [("x", "a"), ("x", "b"), ("a", "c"), ("b", "c")]
)


def test_round_trip_through_json_text() -> None:
    graph = parse_graph(DIAMOND)
    again = parse_graph(json.loads(graph_to_text(graph)))
    assert again == graph
    assert dump_graph(again) == dump_graph(graph)


def test_structure_queries() -> None:
    graph = parse_graph(DIAMOND)
    assert graph.input_index == 0
    assert graph.outputs == (3,)
    assert graph.successors[0] == (1, 2)
    assert graph.predecessors[3] == (1, 2)
    assert not graph.is_chain()
    order = graph.topological_order
    assert all(order.index(graph.index[u]) < order.index(graph.index[v]) for u, v in graph.edges)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_doc([("x", "input"), ("a", "relu"), ("b", "relu")], [("x", "a"), ("a", "b"), ("b", "a")]), "cycle"),
        (_doc([("x", "input"), ("a", "relu")], [("x", "a"), ("a", "zz")]), "unknown node 'zz'"),
        (_doc([("x", "conv"), ("a", "relu")], [("x", "a")]), "exactly one node with op 'input', found none"),
        (_doc([("x", "input"), ("a", "relu")], [("a", "a")]), "cycle"),
        (_doc([("x", "input"), ("a", "relu"), ("b", "relu")], [("x", "a")]), "node 'b': has no predecessor"),
        (_doc([("x", "input"), ("x", "relu")], []), "duplicate id"),
        (
            {**_doc([("x", "input")], []), "nodes": [{"id": "x", "op": "input", "flops": 0, "output_bytes": -4}]},
            "nodes[0].output_bytes",
        ),
        (
            {**_doc([("x", "input")], []), "nodes": [{"id": "x", "op": "input", "flops": -1, "output_bytes": 4}]},
            "nodes[0].flops",
        ),
        ({**_doc([("x", "input")], []), "colour": 1}, "colour"),
    ],
)
def test_bad_graphs_give_one_line_naming_the_problem(document: dict, message: str) -> None:
    with pytest.raises(GraphError, match=r"^[^\n]*$") as info:
        parse_graph(document)
    assert message in str(info.value)


def test_negative_bytes_rejected_in_code_too() -> None:
    with pytest.raises(GraphError, match="node 'a': output_bytes must be a finite number >= 0"):
        Node(id="a", op="relu", flops=1, output_bytes=-1)


def test_load_graph_names_the_file(tmp_path) -> None:
    path = tmp_path / "g.json"
    path.write_text("{not json")
    with pytest.raises(GraphError, match=r"g\.json is not valid JSON"):
        load_graph(path)
    path.write_text(json.dumps(_doc([("x", "input")], [("x", "y")])))
    with pytest.raises(GraphError, match=r"g\.json: edge 'x' -> 'y': unknown node 'y'"):
        load_graph(path)


def test_graph_is_immutable() -> None:
    graph = parse_graph(DIAMOND)
    with pytest.raises(AttributeError):
        graph.name = "h"  # type: ignore[misc]
    assert isinstance(graph, LayerGraph)
