"""Floating-point operation counts of one traced operation, from its input and output shapes.

Convention (``spec/partition.md``): a multiply-accumulate is 2 flops. Convolution, linear and matmul count their
multiply-accumulates plus the bias add; pooling counts one operation per window element; normalisation counts
2 (batch norm, folded scale and shift) or 5 (layer/group norm) per element; element-wise operations and
activations count one per output element; reshapes, views, indexing and concatenation count none. These are
the rules of the usual counters (fvcore, ptflops, thop) and give the published GFLOP figures of the torchvision
zoo to within a few percent; the differences are the element-wise terms those tables leave out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

Shape = Sequence[int]

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


def module_flops(module: nn.Module, in_shapes: list[Shape], out_shape: Shape) -> int:
    """Flops of a leaf module called on tensors of ``in_shapes`` producing ``out_shape``."""
    out = numel(out_shape)
    if isinstance(module, nn.modules.conv._ConvNd):
        kernel = math.prod(module.kernel_size)
        if module.transposed:
            macs = numel(in_shapes[0]) * kernel * module.out_channels // module.groups
        else:
            macs = out * kernel * module.in_channels // module.groups
        return 2 * macs + (out if module.bias is not None else 0)
    if isinstance(module, nn.Linear):
        return 2 * out * module.in_features + (out if module.bias is not None else 0)
    if isinstance(module, nn.MultiheadAttention):
        return attention_flops(in_shapes, module.embed_dim, module.num_heads, batch_first=module.batch_first)
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return 2 * out
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
    """Flops of a traced function or method call ``name`` (``torch.add``, ``x.mean``, ``F.max_pool2d``...)."""
    name = name.lstrip("_").removesuffix("_")
    out = numel(out_shape)
    if name in _FREE:
        return 0
    if name in ("matmul", "mm", "bmm", "baddbmm"):
        return 2 * out * in_shapes[0][-1]
    if name == "linear":
        return 2 * out * in_shapes[0][-1] + (out if len(in_shapes) > 2 or kwargs.get("bias") is not None else 0)
    if name in _POOLS:
        kernel = kwargs.get("kernel_size", args[1] if len(args) > 1 else 1)
        return out * _window(kernel, len(out_shape) - 2)
    if name in _ADAPTIVE_POOLS or name in ("mean", "sum", "amax", "max", "min"):
        return numel(in_shapes[0]) if in_shapes else out
    if name == "scaled_dot_product_attention":
        q, k = in_shapes[0], in_shapes[1]
        return 4 * numel(q[:-1]) * k[-2] * q[-1]
    if name in ("layer_norm", "group_norm"):
        return 5 * out
    if name == "batch_norm":
        return 2 * out
    return out


def attention_flops(in_shapes: list[Shape], embed_dim: int, num_heads: int, *, batch_first: bool) -> int:
    """Multi-head attention (Vaswani et al., NeurIPS 2017): q/k/v and output projections, scores, softmax, mix."""
    query, key = in_shapes[0], in_shapes[1] if len(in_shapes) > 1 else in_shapes[0]
    if batch_first:
        batch, target, source = query[0], query[1], key[1]
    else:
        target, batch, source = query[0], query[1], key[0]
    projections = 2 * batch * (2 * target + 2 * source) * embed_dim * embed_dim
    scores_and_mix = 2 * 2 * batch * target * source * embed_dim
    softmax = 3 * batch * num_heads * target * source
    return projections + scores_and_mix + softmax


def _window(kernel: int | Sequence[int], dims: int) -> int:
    return math.prod(kernel) if isinstance(kernel, Sequence) else int(kernel) ** max(dims, 1)


def tensor_bytes(value: Any) -> int:
    """Bytes of every tensor in a (nested) fx ``tensor_meta`` structure."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return numel(value.shape) * _itemsize(value.dtype)
    if isinstance(value, dict):
        return sum(tensor_bytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(tensor_bytes(v) for v in value)
    return 0


def _itemsize(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()
