"""Floating-point operation counts of one traced operation: torch's own counter, and rules for what it skips.

Convention (``docs/formats/layer-graph.md``): a multiply-accumulate is 2 flops. The dense work — convolutions, linear
layers, matrix products, attention — is counted by ``torch.utils.flop_counter.FlopCounterMode`` while the
profiler runs each traced node (:mod:`mcfn.models.profile`), whatever hides it: a functional ``F.conv3d``, an
``einsum``, an opaque fx leaf function. That counter is the reference of torchvision's published figures (each
weights entry's ``meta["_ops"]`` is its count / 2, in GMAC), and it counts only dense work (the convolution's
bias add and everything element-wise count zero). The rules here cover an operation it counts nothing for, so
that the simple latency model sees element-wise work too: pooling counts one operation per window element;
element-wise operations and activations count one per output element; layer, group and instance norm count 5
per element (mean, variance, normalise, scale, shift); reductions one per input element; reshapes, views, indexing
and concatenation none, as in the usual counters (fvcore, ptflops, thop). Batch norm counts one per element
(assumed): at inference it is one fused scale-and-shift, and counting it as two operations would put the smallest
torchvision models (mnasnet0_5, shufflenet_v2_x0_5), whose element-wise work is largest beside their
convolutions, more than 5 % above twice their published GMAC.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

Shape = Sequence[int]

#: Op classes of dense work (the values of :class:`mcfn.compute.OpClass`): ``aten.convolution`` is ``conv``,
#: every other operation the counter counts (``mm``, ``addmm``, ``bmm``, ``baddbmm``, attention) is ``matmul``.
CONV, MATMUL = "conv", "matmul"

#: Bytes of a Python number crossing a cut (a 64-bit int or float on the wire, assumed).
NUMBER_BYTES = 8

#: Functions and methods that move or view data without arithmetic.
_FREE = frozenset(
    {
        "cat",
        "concat",
        "stack",
        "flatten",
        "reshape",
        "view",
        "permute",
        "transpose",
        "contiguous",
        "getitem",
        "getattr",
        "size",
        "dim",
        "expand",
        "squeeze",
        "unsqueeze",
        "chunk",
        "split",
        "dropout",
        "identity",
        "assert",
        "clone",
        "to",
        "type_as",
        "narrow",
        "repeat",
    }
)
_POOLS = {"max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d"}
_ADAPTIVE_POOLS = {"adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool3d"}


def numel(shape: Shape) -> int:
    return math.prod(shape)


def dense_class(counted: Mapping[str, int]) -> str:
    """The op class of a node's counted work ``{aten op name: flops}``: ``conv`` if convolutions do most of it."""
    conv = sum(flops for op, flops in counted.items() if "convolution" in op)
    return CONV if 2 * conv >= sum(counted.values()) else MATMUL


def module_flops(module: nn.Module, in_shapes: list[Shape], out_shape: Shape) -> int:
    """Flops of a leaf module the counter counts nothing for, called on ``in_shapes`` producing ``out_shape``."""
    out = numel(out_shape)
    if isinstance(module, nn.LayerNorm | nn.GroupNorm | nn.modules.instancenorm._InstanceNorm):
        return 5 * out
    if isinstance(module, nn.modules.pooling._MaxPoolNd | nn.modules.pooling._AvgPoolNd):
        return out * _window(module.kernel_size, len(out_shape) - 2)
    if isinstance(module, nn.modules.pooling._AdaptiveAvgPoolNd | nn.modules.pooling._AdaptiveMaxPoolNd):
        return numel(in_shapes[0])
    if isinstance(module, nn.Dropout | nn.Identity | nn.Flatten | nn.Unflatten):
        return 0
    return out  # activations and any other element-wise module


def function_flops(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], in_shapes: list[Shape], out_shape: Shape
) -> int:
    """Flops of a traced function or method call ``name`` (``torch.add``, ``x.mean``, ``F.max_pool2d``...) the
    counter counts nothing for."""
    name = name.lstrip("_").removesuffix("_")
    out = numel(out_shape)
    if name in _FREE:
        return 0
    if name in _POOLS:
        kernel = kwargs.get("kernel_size", args[1] if len(args) > 1 else 1)
        return out * _window(kernel, len(out_shape) - 2)
    if name in _ADAPTIVE_POOLS or name in ("mean", "sum", "amax", "max", "min"):
        return numel(in_shapes[0]) if in_shapes else out
    if name in ("layer_norm", "group_norm"):
        return 5 * out
    return out


def _window(kernel: int | Sequence[int], dims: int) -> int:
    return math.prod(kernel) if isinstance(kernel, Sequence) else int(kernel) ** max(dims, 1)


def value_bytes(value: Any) -> int:
    """Bytes of a (nested) value as it would cross a cut: its tensors, and :data:`NUMBER_BYTES` per Python number
    (the ints of a ``torch.Size`` or a tuple of sizes); ``None`` and anything else count nothing."""
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, bool | int | float):
        return NUMBER_BYTES
    if isinstance(value, Mapping):
        return sum(value_bytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(value_bytes(v) for v in value)
    return 0
