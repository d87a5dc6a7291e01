"""The wire format: length-prefixed binary frames, a small JSON header and an optional raw tensor body.

One frame::

    magic b"MF" | version (1 byte) | reserved (1 byte) | header length (uint32) | body length (uint32)   big-endian
    header: a UTF-8 JSON object with at least ``"kind"``; a tensor body is described by ``"tensor": {dtype, shape}``
    body:   the tensor's bytes, C order, little-endian

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
VERSION = 1
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
    """One decoded frame: its ``kind``, the other header fields, and an optional tensor."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    tensor: np.ndarray | None = None


def encode(message: Message) -> bytes:
    """The frame of ``message`` (prefix, header, body) as one ``bytes``."""
    return b"".join(encode_parts(message))


def encode_parts(message: Message) -> tuple[bytes, memoryview | bytes]:
    """The frame of ``message`` as (prefix and header, body): the body is a view of the tensor's memory, so a
    large tensor is not copied before the socket takes it."""
    header: dict[str, Any] = {**message.fields, "kind": message.kind}
    body: memoryview | bytes = b""
    if message.tensor is not None:
        array = np.asarray(message.tensor)
        name = _NAMES.get(array.dtype.str[1:])
        if name is None:
            raise FrameError(f"tensor dtype {array.dtype.name} cannot be sent; allowed: {', '.join(DTYPES)}")
        wire = _WIRE_DTYPES[name]
        if array.dtype != wire or not array.flags.c_contiguous:
            array = np.ascontiguousarray(array, dtype=wire)
        header["tensor"] = {"dtype": name, "shape": list(array.shape)}
        body = memoryview(array).cast("B") if array.size else b""
    head = _ENCODER.encode(header).encode()
    return _PREFIX.pack(MAGIC, VERSION, len(head), len(body)) + head, body


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

    The tensor is a read-only view of ``body`` (no copy); copy it to change it.
    """
    try:
        header = _DECODER.decode(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrameError(f"header is not UTF-8 JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("kind"), str):
        raise FrameError("header must be a JSON object with a string 'kind'")
    kind = header.pop("kind")
    spec = header.pop("tensor", None)
    if spec is None:
        if body:
            raise FrameError(f"{len(body)} body bytes but no tensor in the header")
        return Message(kind=kind, fields=header)
    return Message(kind=kind, fields=header, tensor=_tensor(spec, body))


def _tensor(spec: Any, body: bytes | memoryview) -> np.ndarray:
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape"}:
        raise FrameError("header 'tensor' must be {'dtype': ..., 'shape': [...]}")
    dtype, shape = spec["dtype"], spec["shape"]
    if dtype not in DTYPES:
        raise FrameError(f"tensor dtype {dtype!r} is not allowed; allowed: {', '.join(DTYPES)}")
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise FrameError(f"tensor shape must be a list of non-negative integers, got {shape!r}")
    wire = _WIRE_DTYPES[dtype]
    expected = math.prod(shape) * wire.itemsize
    if expected != len(body):
        raise FrameError(f"tensor {dtype}{shape} needs {expected} bytes, the body has {len(body)}")
    return np.frombuffer(body, dtype=wire).reshape(shape)


def _reject_constant(name: str) -> float:
    raise FrameError(f"header contains {name}, which JSON does not allow")


#: Made once: ``json.dumps``/``json.loads`` with options build a new coder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
