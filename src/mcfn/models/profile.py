"""Profiling a PyTorch model into a :class:`~mcfn.models.graph.LayerGraph` with ``torch.fx``.

The model is traced symbolically (``torch.fx``; leaf modules are those of ``torch.nn``), one example input is
propagated through the trace to learn every tensor's shape (``ShapeProp``), and each traced operation becomes a
node with its flops (:mod:`mcfn.models.flops`), output bytes and shape, and the bytes of the weights it reads.
Node ids are the fx node names, so a plan made on the graph applies to the traced module
(:mod:`mcfn.partition.execute`). Values that do not depend on the input (parameters read with ``get_attr``) are
not nodes: their bytes go to the first node that reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp
from torch.utils._pytree import tree_leaves

from mcfn.models.flops import function_flops, module_flops, tensor_bytes
from mcfn.models.graph import INPUT_OP, LayerGraph, Node


class ProfileError(ValueError):
    """A model that cannot be traced or run on the example input; the message names the module or node."""


@dataclass(frozen=True)
class Profile:
    """A profiled model: its layer graph, and the traced module whose node names are the graph's node ids."""

    graph: LayerGraph
    module: fx.GraphModule


class _PathTracer(fx.Tracer):
    """An fx tracer that remembers the innermost module being traced when tracing fails."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.failed_in: str | None = None

    def call_module(self, m: nn.Module, forward: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self.stack.append(self.path_of_module(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        except Exception:
            if self.failed_in is None:
                self.failed_in = f"{self.stack[-1]} ({type(m).__name__})"
            raise
        finally:
            self.stack.pop()


def trace(model: nn.Module) -> fx.GraphModule:
    """Trace ``model`` with ``torch.fx``; a model fx cannot trace raises :class:`ProfileError` naming the module."""
    tracer = _PathTracer()
    try:
        graph = tracer.trace(model)
    except Exception as exc:
        where = tracer.failed_in or f"the top-level forward ({type(model).__name__})"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ProfileError(f"torch.fx cannot trace module {where}: {reason}") from exc
    module = fx.GraphModule(tracer.root, graph, type(model).__name__)
    module.graph.eliminate_dead_code()
    module.recompile()
    return module


def profile_model(model: nn.Module, example: torch.Tensor, *, name: str) -> Profile:
    """Trace ``model`` (in eval mode), run ``example`` through the trace and build its layer graph."""
    model = model.eval()
    module = trace(model)
    placeholders = [n for n in module.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ProfileError(f"{name}: the model takes {len(placeholders)} inputs; mcfn profiles single-input models")
    try:
        with torch.no_grad():
            ShapeProp(module).propagate(example)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0]
        raise ProfileError(f"{name}: running on an input of shape {list(example.shape)} failed: {reason}") from exc
    return Profile(graph=_layer_graph(module, example, name), module=module)


def _layer_graph(module: fx.GraphModule, example: torch.Tensor, name: str) -> LayerGraph:
    modules = dict(module.named_modules())
    reachable: set[fx.Node] = set()
    claimed: set[fx.Node] = set()
    nodes: list[Node] = []
    edges: list[tuple[str, str]] = []
    for node in module.graph.nodes:
        if node.op == "output":
            continue
        if node.op != "placeholder" and not any(a in reachable for a in node.all_input_nodes):
            continue  # a constant: parameters, buffers and what is computed from them alone
        reachable.add(node)
        params = 0
        for arg in node.all_input_nodes:
            if arg in reachable:
                edges.append((arg.name, node.name))
            elif arg.op == "get_attr" and arg not in claimed:
                claimed.add(arg)
                params += tensor_bytes(arg.meta.get("tensor_meta"))
        meta = node.meta.get("tensor_meta")
        out_shape = _first_shape(meta)
        if node.op == "placeholder":
            op, flops = INPUT_OP, 0
        elif node.op == "call_module":
            leaf = modules[node.target]
            op = type(leaf).__name__.lower()
            flops = module_flops(leaf, _input_shapes(node), out_shape)
            params += sum(t.numel() * t.element_size() for t in (*leaf.parameters(), *leaf.buffers()))
        else:
            op = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
            tensor_out = meta is not None
            flops = function_flops(op, node.args, node.kwargs, _input_shapes(node), out_shape) if tensor_out else 0
        nodes.append(
            Node(
                id=node.name,
                op=op,
                flops=flops,
                output_bytes=tensor_bytes(meta),
                param_bytes=params,
                output_shape=tuple(out_shape),
            )
        )
    return LayerGraph(
        name=name,
        nodes=tuple(nodes),
        edges=tuple(edges),
        input_shape=tuple(example.shape),
        dtype=str(example.dtype).removeprefix("torch."),
    )


def _input_shapes(node: fx.Node) -> list[tuple[int, ...]]:
    leaves = tree_leaves((node.args, node.kwargs))
    return [_first_shape(a.meta.get("tensor_meta")) for a in leaves if isinstance(a, fx.Node)]


def _first_shape(meta: Any) -> tuple[int, ...]:
    if meta is None:
        return ()
    if hasattr(meta, "shape") and hasattr(meta, "dtype"):
        return tuple(meta.shape)
    values = meta.values() if isinstance(meta, dict) else meta if isinstance(meta, list | tuple) else ()
    return next((s for s in map(_first_shape, values) if s), ())
