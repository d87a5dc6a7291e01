"""Profiling a PyTorch model into a :class:`~mcfn.models.graph.LayerGraph` with ``torch.fx``.

The model is traced symbolically (``torch.fx``; leaf modules are those of ``torch.nn``), one example input is
run through the trace node by node to learn every value's shape and size, each node under torch's flop counter
(``FlopCounterMode``: the dense work of whatever the node calls), and each traced operation becomes a node with
its flops (:mod:`mcfn.models.flops`), output bytes and shape, and the bytes of the weights it reads. A model and
input on the ``meta`` device give the same graph without computing anything (shapes and counts only).
Node ids are the fx node names, so a plan made on the graph applies to the traced module
(:mod:`mcfn.partition.execute`). Values that do not depend on the input (parameters read with ``get_attr``) are
not nodes: their bytes go to the first node that reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn
from torch.fx.node import map_aggregate
from torch.fx.passes.shape_prop import _extract_tensor_metadata
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from mcfn.models.flops import dense_class, function_flops, module_flops, value_bytes
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
            _CountingRun(module).run(example)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0]
        raise ProfileError(f"{name}: running on an input of shape {list(example.shape)} failed: {reason}") from exc
    return Profile(graph=_layer_graph(module, example, name), module=module)


class _CountingRun(fx.Interpreter):
    """Runs the trace node by node under one flop counter; each node's ``meta`` gets the tensor metadata of its
    result (``tensor_meta``, as ``ShapeProp`` writes it), its bytes, and the flops the counter saw it do by aten
    op (``counted_flops``)."""

    def run(self, *args: Any, **kwargs: Any) -> Any:
        self.counter = FlopCounterMode(display=False)
        with self.counter, _countable_kernels():
            return super().run(*args, **kwargs)

    def run_node(self, n: fx.Node) -> Any:
        before = dict(self.counter.flop_counts["Global"])
        result = super().run_node(n)
        after = self.counter.flop_counts["Global"]
        counted = {str(op): after[op] - before.get(op, 0) for op in after}
        n.meta["counted_flops"] = {op: flops for op, flops in counted.items() if flops}
        n.meta["value_bytes"] = value_bytes(result)
        if any(isinstance(v, torch.Tensor) for v in tree_leaves(result)):
            n.meta["tensor_meta"] = map_aggregate(
                result, lambda v: _extract_tensor_metadata(v) if isinstance(v, torch.Tensor) else v
            )
        return result

    def fetch_args_kwargs_from_env(self, n: fx.Node) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The node's arguments as the traced code passes them: fresh lists and dicts, which a callee may change
        (torchvision's 3-D window attention edits its ``window_size`` list); fx's own are immutable."""
        args, kwargs = super().fetch_args_kwargs_from_env(n)
        return tuple(map(_mutable, args)), {k: _mutable(v) for k, v in kwargs.items()}


@contextmanager
def _countable_kernels() -> Iterator[None]:
    """Attention as matrix products the counter sees: the fused kernels a CPU picks for
    ``nn.MultiheadAttention`` (its inference fast path) and ``scaled_dot_product_attention`` are opaque to it
    and would count zero."""
    fast_path = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fast_path)


def _mutable(value: Any) -> Any:
    if isinstance(value, list):
        return [_mutable(v) for v in value]
    if isinstance(value, dict):
        return {k: _mutable(v) for k, v in value.items()}
    return value


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
                params += arg.meta["value_bytes"]
        meta = node.meta.get("tensor_meta")
        out_shape = _first_shape(meta)
        counted = node.meta["counted_flops"]
        flops = sum(counted.values())
        if node.op == "placeholder":
            op = INPUT_OP
        elif node.op == "call_module":
            leaf = modules[node.target]
            op = type(leaf).__name__.lower()
            flops = flops or module_flops(leaf, _input_shapes(node), out_shape)
            params += sum(t.numel() * t.element_size() for t in (*leaf.parameters(), *leaf.buffers()))
        else:
            op = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
            if not flops and meta is not None:
                flops = function_flops(op, node.args, node.kwargs, _input_shapes(node), out_shape)
        nodes.append(
            Node(
                id=node.name,
                op=op,
                flops=flops,
                output_bytes=node.meta["value_bytes"],
                param_bytes=params,
                output_shape=tuple(out_shape),
                op_class=dense_class(counted) if counted else "",
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
