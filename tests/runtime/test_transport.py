"""The wire format, the handshake and the server's resilience to bad input; link emulation."""

from __future__ import annotations

import asyncio
import json
import struct
import time

import numpy as np
import pytest
from tests.runtime.conftest import TOKEN, run

from mcfn.runtime.auth import AuthError, proof
from mcfn.runtime.channel import Channel, RemoteError, ServerStats, connect, serve
from mcfn.runtime.link import LinkProfile
from mcfn.runtime.wire import DTYPES, VERSION, FrameError, FrameLimits, Message, decode, encode


async def _echo(channel: Channel) -> None:
    while True:
        message = await channel.receive(timeout_s=10)
        await channel.send(Message(kind="echo", fields=message.fields, tensors=message.tensors), timeout_s=10)


async def _server(limits: FrameLimits | None = None) -> tuple[asyncio.Server, ServerStats, int]:
    stats = ServerStats()
    server = await serve(_echo, token=TOKEN, limits=limits, stats=stats)
    return server, stats, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_round_trip_keeps_dtype_shape_and_bytes(dtype):
    array = (np.arange(24) % 7).astype(dtype).reshape(2, 3, 4)
    frame = encode(Message(kind="x", fields={"a": 1}, tensors={"t": array}))
    head_len, body_len = struct.unpack("!II", frame[4:12])
    message = decode(frame[12 : 12 + head_len], bytearray(frame[12 + head_len :]))
    assert body_len == array.nbytes
    assert message.kind == "x"
    assert message.fields == {"a": 1}
    assert message.tensors["t"].dtype == array.dtype
    assert message.tensors["t"].shape == (2, 3, 4)
    np.testing.assert_array_equal(message.tensors["t"], array)


def test_several_named_tensors_travel_in_order_in_one_frame():
    tensors = {
        "main": np.arange(6, dtype=np.float32).reshape(2, 3),
        "skip": np.arange(3, dtype=np.int8),  # an odd size: the next tensor starts unaligned
        "empty": np.zeros((0, 4), np.float64),
        "last": np.arange(5, dtype=np.float64)[::2],  # not contiguous
    }
    frame = encode(Message(kind="x", tensors=tensors))
    head_len, body_len = struct.unpack("!II", frame[4:12])
    message = decode(frame[12 : 12 + head_len], bytearray(frame[12 + head_len :]))
    assert body_len == sum(t.nbytes for t in tensors.values())
    assert list(message.tensors) == list(tensors)
    for name, tensor in tensors.items():
        assert message.tensors[name].dtype == tensor.dtype
        np.testing.assert_array_equal(message.tensors[name], tensor)


def test_object_arrays_cannot_be_sent():
    with pytest.raises(FrameError, match="cannot be sent"):
        encode(Message(kind="x", tensors={"t": np.array([object()])}))


@pytest.mark.parametrize(
    ("header", "body", "complaint"),
    [
        (b"not json", b"", "not UTF-8 JSON"),
        (b"[1, 2]", b"", "JSON object"),
        (b'{"a": 1}', b"", "string 'kind'"),
        (b'{"kind": "x", "v": NaN}', b"", "NaN"),
        (b'{"kind": "x"}', b"abc", "3 body bytes beyond"),
        (b'{"kind": "x", "tensors": {"name": "a"}}', b"", "must be a list"),
        (b'{"kind": "x", "tensors": [{"dtype": "float32", "shape": [1]}]}', b"1234", "'name'"),
        (b'{"kind": "x", "tensors": [{"name": "", "dtype": "float32", "shape": [1]}]}', b"1234", "non-empty"),
        (b'{"kind": "x", "tensors": [{"name": "a", "dtype": "object", "shape": [1]}]}', b"12345678", "not allowed"),
        (b'{"kind": "x", "tensors": [{"name": "a", "dtype": "float32", "shape": [-1]}]}', b"", "non-negative"),
        (b'{"kind": "x", "tensors": [{"name": "a", "dtype": "float32", "shape": [3]}]}', b"1234", "needs 12 bytes"),
        (
            b'{"kind": "x", "tensors": [{"name": "a", "dtype": "int8", "shape": [2]},'
            b' {"name": "a", "dtype": "int8", "shape": [2]}]}',
            b"1234",
            "described twice",
        ),
        (
            b'{"kind": "x", "tensors": [{"name": "a", "dtype": "int8", "shape": [2]},'
            b' {"name": "b", "dtype": "float32", "shape": [2]}]}',
            b"12345678",
            "needs 8 bytes, the body has 6 left",
        ),
        (b'{"kind": "x", "tensors": [{"name": "a", "dtype": "int8", "shape": [2]}]}', b"123", "1 body bytes beyond"),
    ],
)
def test_malformed_frames_are_named(header, body, complaint):
    with pytest.raises(FrameError, match=complaint):
        decode(header, bytearray(body))


def test_channel_carries_tensors_both_ways():
    async def scenario():
        server, stats, port = await _server()
        async with server:
            channel = await connect("127.0.0.1", port, token=TOKEN, timeout_s=5)
            tensor = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
            answer = await channel.request(Message(kind="ping", fields={"n": 3}, tensors={"t": tensor}), timeout_s=5)
            await channel.close()
        return answer, stats

    answer, stats = run(scenario())
    assert answer.kind == "echo"
    assert answer.fields == {"n": 3}
    np.testing.assert_array_equal(
        answer.tensors["t"], np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    )
    assert (stats.accepted, stats.rejected) == (1, 0)


def test_server_binds_to_loopback_by_default():
    async def scenario():
        server, _, _ = await _server()
        async with server:
            return server.sockets[0].getsockname()[0]

    assert run(scenario()) == "127.0.0.1"


def test_wrong_token_is_rejected_and_the_server_goes_on():
    async def scenario():
        server, stats, port = await _server()
        async with server:
            with pytest.raises(AuthError, match="authentication failed"):
                await connect("127.0.0.1", port, token=b"another-token-of-enough-length", timeout_s=5)
            good = await connect("127.0.0.1", port, token=TOKEN, timeout_s=5)
            answer = await good.request(Message(kind="ping"), timeout_s=5)
            await good.close()
        return stats, answer

    stats, answer = run(scenario())
    assert answer.kind == "echo"
    assert (stats.accepted, stats.rejected) == (1, 1)
    assert "wrong cluster token" in stats.last_rejection


def test_a_server_impostor_is_rejected_by_the_client():
    async def impostor(reader, writer):
        writer.write(encode(Message(kind="challenge", fields={"nonce": "ab" * 32})))
        await reader.read(4096)
        writer.write(encode(Message(kind="welcome", fields={"mac": "00" * 32})))
        await writer.drain()
        writer.close()

    async def scenario():
        server = await asyncio.start_server(impostor, "127.0.0.1", 0)
        async with server:
            await connect("127.0.0.1", server.sockets[0].getsockname()[1], token=TOKEN, timeout_s=5)

    with pytest.raises(AuthError):
        run(scenario())


async def _authenticated_raw(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that has passed the handshake by hand, so the test can then write any bytes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    prefix = await reader.readexactly(12)
    challenge = json.loads(await reader.readexactly(struct.unpack("!II", prefix[4:])[0]))
    nonce = "cd" * 32
    mac = proof(TOKEN, "client", challenge["nonce"], nonce)
    writer.write(encode(Message(kind="auth", fields={"nonce": nonce, "mac": mac})))
    prefix = await reader.readexactly(12)
    welcome = json.loads(await reader.readexactly(struct.unpack("!II", prefix[4:])[0]))
    assert welcome["kind"] == "welcome"
    return reader, writer


_V = b"MF" + bytes([VERSION, 0])
_TWO = b'{"kind":"x","tensors":[{"name":"a","dtype":"float32","shape":[2]},{"name":"b","dtype":"int8","shape":[9]}]}'
BAD_FRAMES = {
    "bad magic": b"XX" + bytes([VERSION, 0]) + struct.pack("!II", 2, 0) + b"{}",
    "unsupported protocol version": b"MF\x09\x00" + struct.pack("!II", 2, 0) + b"{}",
    "not UTF-8 JSON": _V + struct.pack("!II", 3, 0) + b"\xff\xfe{",
    "needs 9 bytes, the body has 4 left": _V + struct.pack("!II", len(_TWO), 12) + _TWO + b"abcdefghijkl",
    "exceeds the limit": _V + struct.pack("!II", 2, 2**31),
    "truncated": _V + struct.pack("!II", 400, 0) + b'{"kind": "x"',
}


@pytest.mark.parametrize(("before_auth", "name"), [(False, name) for name in BAD_FRAMES] + [(True, "bad magic")])
def test_bad_frames_close_only_their_connection(before_auth, name):
    async def scenario():
        server, stats, port = await _server(FrameLimits(max_body_bytes=1 << 20))
        async with server:
            if before_auth:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            else:
                reader, writer = await _authenticated_raw(port)
            writer.write(BAD_FRAMES[name])
            writer.write_eof()
            leftover = await reader.read()  # the server's error message (if any), then its close
            writer.close()
            good = await connect("127.0.0.1", port, token=TOKEN, timeout_s=5)
            answer = await good.request(Message(kind="ping"), timeout_s=5)
            await good.close()
        return stats, answer, leftover

    stats, answer, leftover = run(scenario())
    assert stats.rejected == 1
    assert name in stats.last_rejection or (before_auth and "expected an auth" in stats.last_rejection)
    assert b'"kind":"error"' in leftover
    assert answer.kind == "echo"


def test_oversized_frame_is_refused_before_its_body_is_read():
    async def scenario():
        server, stats, port = await _server(FrameLimits(max_body_bytes=1000))
        async with server:
            channel = await connect("127.0.0.1", port, token=TOKEN, timeout_s=5)
            big = {"a": np.zeros(500, np.uint8), "b": np.zeros(501, np.uint8)}  # the sum is over the limit
            with pytest.raises(RemoteError, match="exceeds the limit"):
                await channel.request(Message(kind="big", tensors=big), timeout_s=5)
            await channel.close()
        return stats

    stats = run(scenario())
    assert "1001 bytes exceeds the limit of 1000" in stats.last_rejection


def test_a_silent_client_is_dropped_after_the_handshake_timeout():
    async def scenario():
        stats = ServerStats()
        server = await serve(_echo, token=TOKEN, stats=stats, handshake_timeout_s=0.2)
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
            data = await reader.read()  # challenge, then error and close once the timeout passes
            writer.close()
        return stats, data

    stats, data = run(scenario(), timeout_s=10)
    assert stats.rejected == 1
    assert b'"kind":"error"' in data


def test_emulated_link_delivers_one_megabyte_in_the_emulated_time():
    link = LinkProfile(bandwidth_bps=20e6, delay_s=5e-3)
    payload = np.zeros(1_000_000, dtype=np.uint8)
    frame_bytes = len(encode(Message(kind="blob", tensors={"blob": payload})))

    async def scenario():
        server, _, port = await _server()
        async with server:
            channel = await connect("127.0.0.1", port, token=TOKEN, timeout_s=5, link=link)
            times = []
            for _ in range(3):  # best of three: a busy machine only ever adds time
                started = time.perf_counter()
                await channel.send(Message(kind="blob", tensors={"blob": payload}), timeout_s=5)
                answer = await channel.receive(timeout_s=5)
                times.append(time.perf_counter() - started)
            await channel.close()
        return min(times), answer

    elapsed, answer = run(scenario())
    expected = link.transfer_s(frame_bytes)
    assert expected == pytest.approx(0.405, rel=0.01)
    assert answer.tensors["blob"].size == payload.size
    assert abs(elapsed - expected) <= 0.1 * expected


def test_frames_queue_behind_each_other_on_one_link():
    from mcfn.runtime.link import Pacer

    async def scenario():
        pacer = Pacer(LinkProfile(bandwidth_bps=8e5, delay_s=0.01))  # 100 kB/s
        started = time.perf_counter()
        await asyncio.gather(pacer.hold(5000), pacer.hold(5000))  # 50 ms each, then 10 ms delay
        return time.perf_counter() - started

    elapsed = run(scenario())
    assert 0.109 <= elapsed < 0.2  # one after the other: not 0.06 s, as two frames side by side would take
