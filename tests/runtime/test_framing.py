"""The frame protocol on its own: frames cut anywhere by the socket, frames larger than its buffer, bad frames."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcfn.runtime.channel import Channel
from mcfn.runtime.framing import BUFFER_BYTES, MAX_QUEUED, FrameProtocol
from mcfn.runtime.wire import BODY_ALIGNMENT, FrameError, FrameLimits, Message, encode, encode_parts
from tests.runtime.conftest import run


class _Transport(asyncio.Transport):
    """Just enough of a transport to see the protocol pause and resume reading, and what it writes."""

    def __init__(self) -> None:
        super().__init__()
        self.paused = False
        self.written = bytearray()
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def is_closing(self) -> bool:
        return self.closing


def _feed(protocol: FrameProtocol, data: bytes, cuts: list[int]) -> None:
    """Hand ``data`` to the protocol as a socket would, in pieces ending at ``cuts`` (and never more than the
    buffer it offers)."""
    at = 0
    for end in [*sorted(cuts), len(data)]:
        while at < end:
            buffer = protocol.get_buffer(-1)
            n = min(len(buffer), end - at)
            buffer[:n] = data[at : at + n]
            protocol.buffer_updated(n)
            at += n


MESSAGES = [
    Message(kind="a", fields={"n": 1}, tensors={"x": np.arange(10, dtype=np.float32)}),
    Message(kind="big", tensors={"x": np.arange(BUFFER_BYTES // 2, dtype=np.int64), "y": np.ones(3, np.int8)}),
    Message(kind="empty"),
    Message(kind="b", tensors={"z": np.arange(1000, dtype=np.float64).reshape(10, 100)}),
]
STREAM = b"".join(encode(m) for m in MESSAGES)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, len(STREAM)), max_size=30))
def test_frames_cut_anywhere_decode_to_the_messages_sent(cuts):
    async def scenario():
        protocol = FrameProtocol(FrameLimits())
        protocol.connection_made(_Transport())
        _feed(protocol, STREAM, cuts)
        return [await protocol.read() for _ in MESSAGES]

    received = run(scenario())
    for got, sent in zip(received, MESSAGES, strict=True):
        assert (got.kind, got.fields, list(got.tensors)) == (sent.kind, sent.fields, list(sent.tensors))
        for name, tensor in sent.tensors.items():
            np.testing.assert_array_equal(got.tensors[name], tensor)
    assert received[1].tensors["x"].ctypes.data % BODY_ALIGNMENT == 0  # received in a buffer of its own


def test_reading_pauses_while_messages_wait_and_a_bad_frame_ends_the_stream():
    async def scenario():
        transport = _Transport()
        protocol = FrameProtocol(FrameLimits(max_body_bytes=100))
        protocol.connection_made(transport)
        small = encode(Message(kind="s"))
        _feed(protocol, small * MAX_QUEUED, [])
        paused = transport.paused
        for _ in range(MAX_QUEUED):
            await protocol.read()
        resumed = not transport.paused
        _feed(protocol, small + encode(Message(kind="x", tensors={"t": np.zeros(101, np.uint8)})), [])
        first = await protocol.read()
        with pytest.raises(FrameError, match="112 bytes exceeds the limit of 100"):  # padded to 16 bytes
            await protocol.read()
        return paused, resumed, first

    paused, resumed, first = run(scenario())
    assert paused
    assert resumed
    assert first.kind == "s"


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (encode(Message(kind="s"))[:5], "truncated frame prefix (5 of 12 bytes)"),
        (encode(Message(kind="s", tensors={"t": np.zeros(8)}))[:20], "truncated frame (8 of 84 bytes)"),
        (encode(Message(kind="s", tensors={"t": np.zeros(BUFFER_BYTES // 4)}))[:100_000], "truncated frame (99988 of"),
    ],
    ids=["prefix", "small frame", "frame beyond the buffer"],
)
def test_an_end_inside_a_frame_is_a_truncated_frame(data, complaint):
    async def scenario():
        protocol = FrameProtocol(FrameLimits(max_body_bytes=1 << 20))
        protocol.connection_made(_Transport())
        _feed(protocol, data, [])
        protocol.eof_received()
        with pytest.raises(FrameError, match=re.escape(complaint)):
            await protocol.read()

    run(scenario())


def test_a_small_frame_is_written_at_once_and_a_paused_transport_holds_the_writer_until_it_resumes():
    """The synchronous write path takes a frame only while the transport is not paused; a frame sent while it is
    paused still reaches the transport, in order, and its sender waits until the transport resumes."""
    first, second, third = (Message(kind=kind, tensors={"t": np.arange(4, dtype=np.int32)}) for kind in "abc")

    async def scenario():
        transport = _Transport()
        protocol = FrameProtocol(FrameLimits())
        protocol.connection_made(transport)
        channel = Channel(protocol)
        await channel.send(first, timeout_s=5)
        sent_at_once = bytes(transport.written)
        protocol.pause_writing()
        refused = not protocol.write_now(encode_parts(second))
        sending = asyncio.create_task(channel.send(second, timeout_s=5))
        for _ in range(5):
            await asyncio.sleep(0)
        held = not sending.done()
        protocol.resume_writing()
        await sending
        await channel.send(third, timeout_s=5)
        return sent_at_once, refused, held, bytes(transport.written)

    sent_at_once, refused, held, written = run(scenario())
    assert sent_at_once == encode(first)
    assert refused
    assert held
    assert written == encode(first) + encode(second) + encode(third)


def test_a_writer_held_by_a_paused_transport_learns_that_the_connection_was_lost():
    async def scenario():
        transport = _Transport()
        protocol = FrameProtocol(FrameLimits())
        protocol.connection_made(transport)
        channel = Channel(protocol)
        protocol.pause_writing()
        sending = asyncio.create_task(channel.send(Message(kind="a"), timeout_s=5))
        await asyncio.sleep(0)
        transport.closing = True
        protocol.connection_lost(None)
        with pytest.raises(ConnectionResetError):
            await sending
        with pytest.raises(ConnectionResetError):  # and a frame after it is refused at once
            protocol.write_now(encode_parts(Message(kind="b")))

    run(scenario())
