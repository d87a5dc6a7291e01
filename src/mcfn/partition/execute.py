"""Executable horizontal plans: the traced model cut into one runnable torch module per tier.

``torch.fx``'s ``split_module`` does the cutting: every traced node goes to the part of its tier, and the
returned top-level module calls the parts in tier order, passing exactly the values that cross a boundary.
Nodes that are not in the layer graph (parameters read with ``get_attr``, values computed from them alone) go with
their first reader. Running :attr:`SplitModel.module` is the composition of the parts, and equals the original
model's output; the runtime ships :attr:`SplitModel.parts` to separate processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

import torch
from torch import fx, nn
from torch.fx.passes.split_module import split_module


@dataclass(frozen=True)
class Part:
    """The nodes of one tier as a module: ``inputs`` and ``outputs`` name the fx values it reads and returns."""

    tier: str
    module: fx.GraphModule
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class SplitModel:
    """The model as parts in tier order, and the module that chains them."""

    module: fx.GraphModule
    parts: tuple[Part, ...]


def split_by_tier(traced: fx.GraphModule, assignment: Mapping[str, str], tier_names: tuple[str, ...]) -> SplitModel:
    """Cut ``traced`` (from :func:`mcfn.models.profile.profile_model`) by a plan's ``{node id: tier name}``.

    Any assignment that :func:`mcfn.partition.cost.evaluate` accepts (data only moves forward) runs: the parts are
    called in tier order, which is an order of their dependencies, however the tiers' nodes interleave in the
    trace. Values of any kind cross a cut (tensors, and the sizes and tuples a model computes from them; the
    layer graph counts their bytes). Raises ``ValueError`` naming a traced node the assignment misses, an unknown
    tier, or a node that reads a value made on a later tier.
    """
    rank = {name: k for k, name in enumerate(tier_names)}
    tier_of: dict[str, int] = {}
    for node in reversed(traced.graph.nodes):
        if node.op in ("placeholder", "output"):
            continue
        if node.name in assignment:
            if assignment[node.name] not in rank:
                raise ValueError(f"assignment: node {node.name!r} is on unknown tier {assignment[node.name]!r}")
            tier_of[node.name] = rank[assignment[node.name]]
        else:
            readers = [tier_of[user.name] for user in node.users if user.name in tier_of]
            if not readers:
                raise ValueError(f"assignment: the plan does not place traced node {node.name!r}")
            tier_of[node.name] = min(readers)
    _check_forward(traced, tier_of, tier_names)
    ordered = _tier_major(traced, tier_of)
    module = split_module(ordered, ordered, lambda node: tier_of[node.name], keep_original_order=True)
    parts = []
    for node in module.graph.nodes:
        if node.op != "call_module":
            continue
        part = getattr(module, str(node.target))
        _own_parameters(module, node, part)
        tier = int(str(node.target).removeprefix("submod_"))
        outputs = [user.name for user in node.users if user.op == "call_function"] or [node.name]
        inputs = tuple(arg.name for arg in node.all_input_nodes)
        parts.append(Part(tier_names[tier], part, inputs, tuple(outputs)))
    module.graph.eliminate_dead_code()
    module.recompile()
    return SplitModel(module=module, parts=tuple(parts))


def run_parts(split: SplitModel, example: Any) -> Any:
    """The model's output from running ``split``'s parts one by one on ``example``, as separate processes would:
    each part gets only the named values it reads; the output has the model's structure (a tensor, tuple, dict)."""
    graph = split.module.graph
    placeholder = next(n for n in graph.nodes if n.op == "placeholder")
    values = {placeholder.name: example}
    for part in split.parts:
        result = part.module(*(values[name] for name in part.inputs))
        values.update(zip(part.outputs, result if len(part.outputs) > 1 else (result,), strict=True))
    return _assemble(next(n for n in graph.nodes if n.op == "output").args[0], values)


def _assemble(returned: Any, values: Mapping[str, Any]) -> Any:
    """The value of an fx output argument: its nodes' values in plain lists, tuples and dicts (fx's are immutable)."""
    if isinstance(returned, fx.Node):
        return values[returned.name]
    if isinstance(returned, dict):
        return {key: _assemble(value, values) for key, value in returned.items()}
    if isinstance(returned, tuple):
        return tuple(_assemble(value, values) for value in returned)
    if isinstance(returned, list):
        return [_assemble(value, values) for value in returned]
    return returned


def _check_forward(traced: fx.GraphModule, tier_of: Mapping[str, int], tier_names: tuple[str, ...]) -> None:
    """Raise ``ValueError`` naming the first node that reads a value made on a later tier."""
    for node in traced.graph.nodes:
        for arg in node.all_input_nodes:
            if node.name in tier_of and tier_of.get(arg.name, 0) > tier_of[node.name]:
                raise ValueError(
                    f"assignment: {arg.name!r} on {tier_names[tier_of[arg.name]]!r} feeds {node.name!r} on "
                    f"{tier_names[tier_of[node.name]]!r}: data only moves forward"
                )


def _tier_major(traced: fx.GraphModule, tier_of: Mapping[str, int]) -> fx.GraphModule:
    """A copy of ``traced`` whose nodes run tier by tier, in trace order within a tier (a valid order, since data
    only moves forward), so that ``split_module`` keeping that order calls the parts in tier order."""
    nodes = list(traced.graph.nodes)
    last = len(nodes)

    def position(k: int) -> tuple[int, int]:
        node = nodes[k]
        tier = -1 if node.op == "placeholder" else last if node.op == "output" else tier_of[node.name]
        return tier, k

    graph = fx.Graph()
    copies: dict[fx.Node, fx.Node] = {}
    for k in sorted(range(last), key=position):
        copies[nodes[k]] = graph.node_copy(nodes[k], copies.__getitem__)
    return fx.GraphModule(traced, graph, type(traced).__name__)


def _own_parameters(top: fx.GraphModule, call: fx.Node, part: fx.GraphModule) -> None:
    """Move tensors that ``split_module`` passes in as arguments (parameters read with ``get_attr``) into the part.

    Each part then needs only the activations it receives, which is what crosses a link.
    """
    placeholders = [n for n in part.graph.nodes if n.op == "placeholder"]
    body = next(n for n in part.graph.nodes if n.op != "placeholder")
    kept = []
    for arg, placeholder in zip(call.args, placeholders, strict=True):
        if isinstance(arg, fx.Node) and arg.op == "get_attr":
            name = str(arg.target).replace(".", "_")
            value = reduce(getattr, str(arg.target).split("."), top)
            if isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
                part.register_buffer(name, value)  # a plain attribute would not be the part's own state
            else:
                setattr(part, name, value)
            with part.graph.inserting_before(body):
                placeholder.replace_all_uses_with(part.graph.get_attr(name))
            part.graph.erase_node(placeholder)
        else:
            kept.append(arg)
    call.args = tuple(kept)
    part.graph.lint()
    part.recompile()
