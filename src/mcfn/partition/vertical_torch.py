"""Vertical split on a real model: read the prefix's geometry from a traced module, and run a plan's tiles.

Running a tile follows :func:`mcfn.partition.vertical.needed_regions`: every layer computes only the region of
its output that the tile needs; a window layer (convolution, pooling) reads its input region, pads the part that
falls outside the feature map with what the layer's own padding would add (zeros; ``-inf`` for max pooling) and
runs with no padding. Stitching the tiles gives the unsplit prefix output.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx, nn
from torch.nn import functional

from mcfn.models.profile import Profile
from mcfn.partition.vertical import Region, SpatialOp, VerticalPlan, needed_regions, window_input

_POINTWISE_MODULES = (
    nn.BatchNorm2d,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.SiLU,
    nn.GELU,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Sigmoid,
    nn.Tanh,
    nn.Identity,
    nn.Dropout,
)
_POINTWISE_FUNCTIONS = {
    operator.add,
    operator.iadd,
    operator.mul,
    operator.imul,
    torch.add,
    torch.mul,
    torch.relu,
    functional.relu,
}


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _spatial(node: fx.Node, modules: dict[str, nn.Module], by_id: dict[str, Any]) -> SpatialOp | None:
    """The node as a prefix layer, or ``None`` if it cannot be tiled."""
    meta = node.meta.get("tensor_meta")
    if meta is None or not hasattr(meta, "shape") or len(meta.shape) != 4:
        return None
    hw = (int(meta.shape[2]), int(meta.shape[3]))
    graph_node = by_id.get(node.name)
    if graph_node is None:
        return None
    inputs = tuple(a.name for a in node.all_input_nodes)
    common = {"id": node.name, "out_hw": hw, "flops": graph_node.flops, "output_bytes": graph_node.output_bytes}
    if node.op == "placeholder":
        return SpatialOp(kind="input", inputs=(), **common)
    if node.op == "call_module":
        module = modules[str(node.target)]
        if isinstance(module, nn.Conv2d) and module.padding_mode == "zeros" and not isinstance(module.padding, str):
            geometry = {
                "kernel": _pair(module.kernel_size),
                "stride": _pair(module.stride),
                "padding": _pair(module.padding),
                "dilation": _pair(module.dilation),
            }
            return SpatialOp(kind="window", inputs=inputs, **geometry, **common)
        if isinstance(module, nn.MaxPool2d | nn.AvgPool2d) and not module.ceil_mode:
            if isinstance(module, nn.AvgPool2d) and (not module.count_include_pad or module.divisor_override):
                return None
            dilation = _pair(module.dilation) if isinstance(module, nn.MaxPool2d) else (1, 1)
            geometry = {
                "kernel": _pair(module.kernel_size),
                "stride": _pair(module.stride),
                "padding": _pair(module.padding),
                "dilation": dilation,
            }
            return SpatialOp(kind="window", inputs=inputs, **geometry, **common)
        if isinstance(module, _POINTWISE_MODULES):
            return SpatialOp(kind="pointwise", inputs=inputs, **common)
        return None
    if node.op == "call_function" and node.target in _POINTWISE_FUNCTIONS:
        shapes = [a.meta.get("tensor_meta") for a in node.all_input_nodes]
        if all(s is not None and tuple(s.shape) == tuple(meta.shape) for s in shapes):
            return SpatialOp(kind="pointwise", inputs=inputs, **common)
    return None


def spatial_prefix(profile: Profile, until: str | None = None) -> tuple[SpatialOp, ...]:
    """The tileable prefix of a profiled model, ending at ``until`` (default: the deepest node that can end one).

    A prefix ends at a node when every layer before it can be tiled and nothing after it reads any earlier
    layer. Raises ``ValueError`` naming the node that stops the prefix.
    """
    modules = dict(profile.module.named_modules())
    by_id = {n.id: n for n in profile.graph.nodes}
    run: list[SpatialOp] = []
    stopper = None
    for node in profile.module.graph.nodes:
        if node.op in ("get_attr", "output"):
            continue
        op = _spatial(node, modules, by_id)
        if op is None:
            stopper = node.name
            break
        run.append(op)
    position = {op.id: i for i, op in enumerate(run)}
    fx_nodes = {n.name: n for n in profile.module.graph.nodes}

    def ends_a_prefix(i: int) -> bool:
        inside = {op.id for op in run[: i + 1]}
        return i > 0 and all(user.name in inside for op in run[:i] for user in fx_nodes[op.id].users)

    if until is None:
        ends = [i for i in range(len(run)) if ends_a_prefix(i)]
        if not ends:
            raise ValueError(f"{profile.graph.name}: no tileable prefix (node {stopper!r} cannot be tiled)")
        return tuple(run[: ends[-1] + 1])
    if until not in position:
        reason = f"tiling stops at node {stopper!r}" if stopper else "no such node"
        raise ValueError(f"--until {until!r}: not in the tileable prefix of {profile.graph.name} ({reason})")
    if not ends_a_prefix(position[until]):
        raise ValueError(f"--until {until!r}: later layers read earlier ones (a skip connection crosses it)")
    return tuple(run[: position[until] + 1])


def run_vertical(profile: Profile, prefix: tuple[SpatialOp, ...], plan: VerticalPlan, x: torch.Tensor) -> torch.Tensor:
    """Run every tile of ``plan`` on ``x`` and stitch the tiles into the prefix's output."""
    modules = dict(profile.module.named_modules())
    fx_nodes = {n.name: n for n in profile.module.graph.nodes}
    by_id = {op.id: op for op in prefix}
    last = fx_nodes[prefix[-1].id].meta["tensor_meta"]
    out = torch.empty(tuple(last.shape), dtype=last.dtype)
    whole: Region = ((0, x.shape[2]), (0, x.shape[3]))
    with torch.no_grad():
        for tile in plan.tiles:
            need = needed_regions(prefix, tile.region)
            values: dict[str, tuple[torch.Tensor, Region]] = {}
            for op in prefix:
                if op.id not in need:
                    continue
                region = need[op.id]
                node = fx_nodes[op.id]
                if op.kind == "input":
                    result = _crop(x, whole, region)
                elif op.kind == "window":
                    source = by_id[op.inputs[0]]
                    result = _window(modules[str(node.target)], values[source.id], source.out_hw, op, region)
                else:
                    args, kwargs = fx.node.map_arg(
                        (node.args, node.kwargs), lambda n, held=values, want=region: _crop(*held[n.name], want)
                    )
                    target = modules[str(node.target)] if node.op == "call_module" else node.target
                    result = target(*args, **kwargs)
                values[op.id] = (result, region)
            rows, cols = tile.region
            out[..., rows[0] : rows[1], cols[0] : cols[1]] = values[prefix[-1].id][0]
    return out


def _crop(tensor: torch.Tensor, held: Region, wanted: Region) -> torch.Tensor:
    """A copy of the part ``wanted`` of a tensor that holds the region ``held`` of its feature map."""
    (r0, _), (c0, _) = held
    (a, b), (c, d) = wanted
    return tensor[..., a - r0 : b - r0, c - c0 : d - c0].clone()


def _window(
    module: nn.Module, source: tuple[torch.Tensor, Region], source_hw: tuple[int, int], op: SpatialOp, region: Region
) -> torch.Tensor:
    """Run a convolution or pooling layer on just ``region`` of its output, padding at the feature map's edges."""
    (top, bottom), (left, right) = window_input(op, region)
    height, width = source_hw
    inside = ((max(top, 0), min(bottom, height)), (max(left, 0), min(right, width)))
    piece = _crop(*source, inside)
    pads = (inside[1][0] - left, right - inside[1][1], inside[0][0] - top, bottom - inside[0][1])
    fill = float("-inf") if isinstance(module, nn.MaxPool2d) else 0.0
    piece = functional.pad(piece, pads, value=fill)
    if isinstance(module, nn.Conv2d):
        return functional.conv2d(piece, module.weight, module.bias, module.stride, 0, module.dilation, module.groups)
    if isinstance(module, nn.MaxPool2d):
        return functional.max_pool2d(piece, module.kernel_size, module.stride, 0, module.dilation)
    return functional.avg_pool2d(piece, module.kernel_size, module.stride, 0)


def prefix_output(profile: Profile, prefix: tuple[SpatialOp, ...], x: torch.Tensor) -> torch.Tensor:
    """The unsplit model's output at the prefix's last layer (the reference a vertical plan must reproduce)."""
    interpreter = fx.Interpreter(profile.module, garbage_collect_values=False)
    with torch.no_grad():
        interpreter.run(x)
    node = next(n for n in profile.module.graph.nodes if n.name == prefix[-1].id)
    return interpreter.env[node]
