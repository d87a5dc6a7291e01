"""The wire format: length-prefixed binary frames, a small JSON header and a body of named raw tensors.

One frame::

    magic b"MF" | version (1 byte) | reserved (1 byte) | header length (uint32) | body length (uint32)   big-endian
    header: a UTF-8 JSON object with at least ``"kind"``; tensors are described, in body order, by
            ``"tensors": [{"name": ..., "dtype": ..., "shape": [...]}, ...]`` (absent when there are none)
    body:   the tensors' bytes one after the other, each C order, little-endian

A split model's stage may read and return several tensors (a residual block cut in two passes its skip tensor
beside the main one), so a frame carries any number of them, each under its fx value name.

Tensors travel as raw buffers with dtype and shape, never pickled: decoding a frame can build nothing but a dict of
JSON values and a NumPy array of an allowed dtype (the reason: unpickling untrusted bytes runs arbitrary code,
https://docs.python.org/3/library/pickle.html). Both lengths are checked against :class:`FrameLimits` before any
byte of the header or body is read, so an oversized frame costs the receiver nothing; every malformed or truncated
frame raises :class:`FrameError` naming what was wrong.
"""

from __future__ import annotations

import asyncio
import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAGIC = b"MF"
VERSION = 2
_PREFIX = struct.Struct("!2sBxII")
PREFIX_BYTES = _PREFIX.size

#: Dtypes a tensor may have on the wire (little-endian); anything else is rejected.
DTYPES: tuple[str, ...] = ("float16", "float32", "float64", "int8", "uint8", "int32", "int64", "bool")


#: The little-endian wire dtype of each allowed dtype name.
_WIRE_DTYPES = {name: np.dtype(name).newbyteorder("<") for name in DTYPES}
#: Kind and size code (``"f4"``: ``dtype.str`` without its byte order) → name; ``dtype.name`` is slow to compute.
_NAMES = {np.dtype(name).str[1:]: name for name in DTYPES}


class FrameError(ValueError):
    """A frame that cannot be accepted: malformed, truncated, oversized or of an unknown kind."""


@dataclass(frozen=True, kw_only=True)
class FrameLimits:
    """Largest header and body a receiver accepts, in bytes."""

    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 256 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.max_header_bytes < 16 or self.max_body_bytes < 0:
            raise ValueError(f"frame limits too small: {self}")


@dataclass(frozen=True, kw_only=True, eq=False)
class Message:
    """One decoded frame: its ``kind``, the other header fields, and its tensors by name (in body order)."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    tensors: dict[str, np.ndarray] = field(default_factory=dict)


def encode(message: Message) -> bytes:
    """The frame of ``message`` (prefix, header, body) as one ``bytes``."""
    return b"".join(encode_parts(message))


def encode_parts(message: Message) -> tuple[bytes, ...]:
    """The frame of ``message`` as (prefix and header, then one buffer per tensor): each buffer is a view of the
    tensor's memory, so a large tensor is not copied before the socket takes it."""
    header: dict[str, Any] = {**message.fields, "kind": message.kind}
    specs, bodies = [], []
    for name, tensor in message.tensors.items():
        array = np.asarray(tensor)
        dtype = _NAMES.get(array.dtype.str[1:])
        if dtype is None:
            raise FrameError(f"tensor {name!r}: dtype {array.dtype.name} cannot be sent; allowed: {', '.join(DTYPES)}")
        wire = _WIRE_DTYPES[dtype]
        if array.dtype != wire or not array.flags.c_contiguous:
            array = np.ascontiguousarray(array, dtype=wire)
        specs.append({"name": name, "dtype": dtype, "shape": list(array.shape)})
        if array.size:
            bodies.append(memoryview(array).cast("B"))
    if specs:
        header["tensors"] = specs
    head = _ENCODER.encode(header).encode()
    body_bytes = sum(len(body) for body in bodies)
    return (_PREFIX.pack(MAGIC, VERSION, len(head), body_bytes) + head, *bodies)


async def read_message(reader: asyncio.StreamReader, limits: FrameLimits) -> Message:
    """Read and decode one frame; raises :class:`FrameError` (``EOFError`` on a clean end before a frame)."""
    try:
        prefix = await reader.readexactly(PREFIX_BYTES)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise EOFError("connection closed") from None
        raise FrameError(f"truncated frame prefix ({len(exc.partial)} of {PREFIX_BYTES} bytes)") from None
    magic, version, head_bytes, body_bytes = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise FrameError(f"bad magic {magic!r}")
    if version != VERSION:
        raise FrameError(f"unsupported protocol version {version} (this is {VERSION})")
    if head_bytes > limits.max_header_bytes:
        raise FrameError(f"header of {head_bytes} bytes exceeds the limit of {limits.max_header_bytes}")
    if body_bytes > limits.max_body_bytes:
        raise FrameError(f"body of {body_bytes} bytes exceeds the limit of {limits.max_body_bytes}")
    try:
        frame = await reader.readexactly(head_bytes + body_bytes)
    except asyncio.IncompleteReadError as exc:
        raise FrameError(f"truncated frame ({len(exc.partial)} of {exc.expected} bytes)") from None
    head, body = frame[:head_bytes], memoryview(frame)[head_bytes:]
    return decode(head, body)


def decode(head: bytes, body: bytes | memoryview) -> Message:
    """Build a :class:`Message` from a frame's header and body bytes, validating both.

    Each tensor is a read-only view of ``body`` (no copy, possibly unaligned); copy it to change it.
    """
    try:
        header = _DECODER.decode(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrameError(f"header is not UTF-8 JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("kind"), str):
        raise FrameError("header must be a JSON object with a string 'kind'")
    kind = header.pop("kind")
    specs = header.pop("tensors", [])
    if not isinstance(specs, list):
        raise FrameError("header 'tensors' must be a list of {'name', 'dtype', 'shape'} objects")
    tensors: dict[str, np.ndarray] = {}
    offset = 0
    for spec in specs:
        name, wire, shape = _spec(spec)
        if name in tensors:
            raise FrameError(f"tensor {name!r} is described twice")
        size = math.prod(shape) * wire.itemsize
        if offset + size > len(body):
            raise FrameError(
                f"tensor {name!r} {wire.name}{shape} needs {size} bytes, the body has {len(body) - offset} left"
            )
        tensors[name] = np.frombuffer(body, dtype=wire, count=math.prod(shape), offset=offset).reshape(shape)
        offset += size
    if offset != len(body):
        raise FrameError(f"{len(body) - offset} body bytes beyond the tensors in the header")
    return Message(kind=kind, fields=header, tensors=tensors)


def _spec(spec: Any) -> tuple[str, np.dtype, list[int]]:
    """A tensor description's name, wire dtype and shape, validated."""
    if not isinstance(spec, dict) or set(spec) != {"name", "dtype", "shape"}:
        raise FrameError("each of header 'tensors' must be {'name': ..., 'dtype': ..., 'shape': [...]}")
    name, dtype, shape = spec["name"], spec["dtype"], spec["shape"]
    if not isinstance(name, str) or not name:
        raise FrameError(f"tensor name must be a non-empty string, got {name!r}")
    if dtype not in DTYPES:
        raise FrameError(f"tensor {name!r}: dtype {dtype!r} is not allowed; allowed: {', '.join(DTYPES)}")
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise FrameError(f"tensor {name!r}: shape must be a list of non-negative integers, got {shape!r}")
    return name, _WIRE_DTYPES[dtype], shape


def _reject_constant(name: str) -> float:
    raise FrameError(f"header contains {name}, which JSON does not allow")


#: Made once: ``json.dumps``/``json.loads`` with options build a new coder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
