"""Executable horizontal plans: the traced model cut into one runnable torch module per tier.

``torch.fx``'s ``split_module`` does the cutting: every traced node goes to the part of its tier, and the
returned top-level module calls the parts in tier order, passing exactly the tensors that cross a boundary.
Nodes that are not in the layer graph (parameters read with ``get_attr``, values computed from them alone) go with
their first reader. Running :attr:`SplitModel.module` is the composition of the parts, and equals the original
model's output; the runtime ships :attr:`SplitModel.parts` to separate processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce

from torch import fx
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

    Raises ``ValueError`` naming a traced node the assignment misses, or an unknown tier.
    """
    rank = {name: k for k, name in enumerate(tier_names)}
    tier_of: dict[fx.Node, int] = {}
    for node in reversed(traced.graph.nodes):
        if node.op in ("placeholder", "output", "get_attr"):
            continue
        if node.name in assignment:
            if assignment[node.name] not in rank:
                raise ValueError(f"assignment: node {node.name!r} is on unknown tier {assignment[node.name]!r}")
            tier_of[node] = rank[assignment[node.name]]
        else:
            readers = [tier_of[user] for user in node.users if user in tier_of]
            if not readers:
                raise ValueError(f"assignment: the plan does not place traced node {node.name!r}")
            tier_of[node] = min(readers)
    module = split_module(traced, traced, lambda node: tier_of[node], keep_original_order=True)
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
            setattr(part, name, reduce(getattr, str(arg.target).split("."), top))
            with part.graph.inserting_before(body):
                placeholder.replace_all_uses_with(part.graph.get_attr(name))
            part.graph.erase_node(placeholder)
        else:
            kept.append(arg)
    call.args = tuple(kept)
    part.graph.lint()
    part.recompile()
