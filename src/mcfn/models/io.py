"""Layer-graph JSON (``docs/formats/layer-graph.md``): validated reading and writing.

Field types are checked here with pydantic; the graph's structure (cycles, unknown edge ends, the input node,
reachability) is checked by :class:`~mcfn.models.graph.LayerGraph` itself. Either way the error is a
:class:`~mcfn.models.graph.GraphError` with one line naming the bad field or node.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from mcfn.models.graph import GraphError, LayerGraph, Node
from mcfn.validation import StrictModel, load_json, validation_message

NonNegative = Annotated[float, Field(ge=0)]


class _Node(StrictModel):
    id: Annotated[str, Field(min_length=1)]
    op: Annotated[str, Field(min_length=1)]
    flops: NonNegative
    output_bytes: Annotated[int, Field(ge=0)]
    param_bytes: Annotated[int, Field(ge=0)] = 0
    output_shape: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)
    op_class: Literal["", "conv", "matmul"] = ""


class _Graph(StrictModel):
    name: Annotated[str, Field(min_length=1)]
    input_shape: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)
    dtype: str = "float32"
    nodes: Annotated[list[_Node], Field(min_length=1)]
    edges: list[tuple[str, str]]


def parse_graph(document: Any) -> LayerGraph:
    """Validate a decoded JSON document and build the :class:`LayerGraph`; raises :class:`GraphError`."""
    try:
        model = _Graph.model_validate(document)
    except ValidationError as exc:
        raise GraphError(validation_message(exc)) from None
    return LayerGraph(
        name=model.name,
        nodes=tuple(
            Node(
                id=n.id,
                op=n.op,
                flops=n.flops,
                output_bytes=n.output_bytes,
                param_bytes=n.param_bytes,
                output_shape=tuple(n.output_shape),
                op_class=n.op_class,
            )
            for n in model.nodes
        ),
        edges=tuple(model.edges),
        input_shape=tuple(model.input_shape),
        dtype=model.dtype,
    )


def load_graph(path: str | Path) -> LayerGraph:
    """Read and validate a layer-graph JSON file; errors name the file."""
    return load_json(path, parse_graph, GraphError)


def dump_graph(graph: LayerGraph) -> dict[str, Any]:
    """The graph as the spec's JSON document (round-trips through :func:`parse_graph`)."""
    return {
        "name": graph.name,
        "input_shape": list(graph.input_shape),
        "dtype": graph.dtype,
        "nodes": [
            {
                "id": n.id,
                "op": n.op,
                "flops": int(n.flops) if float(n.flops).is_integer() else n.flops,
                "output_bytes": n.output_bytes,
                "param_bytes": n.param_bytes,
                "output_shape": list(n.output_shape),
            }
            | ({"op_class": n.op_class} if n.op_class else {})
            for n in graph.nodes
        ],
        "edges": [list(e) for e in graph.edges],
    }


def graph_to_text(graph: LayerGraph) -> str:
    """Compact JSON text, one node or edge per line, so zoo files stay small and diff well."""
    document = dump_graph(graph)
    head = {k: v for k, v in document.items() if k not in ("nodes", "edges")}
    lines = [json.dumps(head)[:-1] + ', "nodes": [']
    lines += [f"  {json.dumps(n)}," for n in document["nodes"]]
    lines[-1] = lines[-1].rstrip(",")
    lines.append('], "edges": [')
    lines += [f"  {json.dumps(e)}," for e in document["edges"]]
    lines[-1] = lines[-1].rstrip(",") if document["edges"] else lines[-1]
    lines.append("]}")
    return "\n".join(lines) + "\n"
