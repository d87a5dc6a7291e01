"""The wire format, the handshake and the server's resilience to bad input; link emulation."""

from __future__ import annotations

import asyncio
import struct
import time

import numpy as np
import pytest

from mcfn.runtime import handshake
from mcfn.runtime.auth import AuthError, client_credential
from mcfn.runtime.channel import Channel, RemoteError, ServerStats, connect, serve
from mcfn.runtime.link import LinkProfile
from mcfn.runtime.wire import ALIGNMENT, DTYPES, VERSION, FrameError, FrameLimits, Message, decode, encode
from tests.runtime.conftest import CLIENT, KEYS, run


async def _echo(channel: Channel) -> None:
    """Answers every message with its copy, except ``hush`` messages, which it never answers."""
    while True:
        message = await channel.receive(timeout_s=10)
        if message.kind == "hush":
            continue
        await channel.send(Message(kind="echo", fields=message.fields, tensors=message.tensors), timeout_s=10)


async def _server(limits: FrameLimits | None = None) -> tuple[asyncio.Server, ServerStats, int]:
    stats = ServerStats()
    server = await serve(_echo, keys=KEYS.keyring(), limits=limits, stats=stats)
    return server, stats, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_round_trip_keeps_dtype_shape_and_bytes(dtype):
    array = (np.arange(24) % 7).astype(dtype).reshape(2, 3, 4)
    frame = encode(Message(kind="x", fields={"a": 1}, tensors={"t": array}))
    head_len, body_len = struct.unpack("!II", frame[4:12])
    message = decode(frame[12 : 12 + head_len], bytearray(frame[12 + head_len :]))
    assert body_len == array.nbytes + -array.nbytes % ALIGNMENT  # padded to a multiple of 16 bytes
    assert message.kind == "x"
    assert message.fields == {"a": 1}
    assert message.tensors["t"].dtype == array.dtype
    assert message.tensors["t"].shape == (2, 3, 4)
    np.testing.assert_array_equal(message.tensors["t"], array)


def test_several_named_tensors_travel_in_order_in_one_frame():
    tensors = {
        "main": np.arange(6, dtype=np.float32).reshape(2, 3),
        "skip": np.arange(3, dtype=np.int8),  # an odd size: padded
        "empty": np.zeros((0, 4), np.float64),
        "last": np.arange(5, dtype=np.float64)[::2],  # not contiguous
    }
    frame = encode(Message(kind="x", tensors=tensors))
    head_len, body_len = struct.unpack("!II", frame[4:12])
    message = decode(frame[12 : 12 + head_len], bytearray(frame[12 + head_len :]))
    assert body_len == 32 + 16 + 0 + 32  # each tensor padded to a multiple of 16 bytes
    assert list(message.tensors) == list(tensors)
    for name, tensor in tensors.items():
        assert message.tensors[name].dtype == tensor.dtype
        np.testing.assert_array_equal(message.tensors[name], tensor)


def test_object_arrays_cannot_be_sent():
    with pytest.raises(FrameError, match="cannot be sent"):
        encode(Message(kind="x", tensors={"t": np.array([object()])}))


F32, I8 = DTYPES.index("float32"), DTYPES.index("int8")


def _header(kind: bytes = b"x", fields: bytes = b"", tensors: tuple = (), padded: bool = True) -> bytes:
    """A frame header written by hand: ``tensors`` are (dtype code, shape, name bytes); ``padded`` to
    :data:`~mcfn.runtime.wire.ALIGNMENT` bytes, prefix included."""
    head = struct.pack("!BBI", len(kind), len(tensors), len(fields)) + kind + fields
    for code, shape, name in tensors:
        head += struct.pack("!BBB", code, len(shape), len(name)) + struct.pack(f"!{len(shape)}I", *shape) + name
    return head + bytes(-(12 + len(head)) % ALIGNMENT if padded else 0)


def test_encode_writes_the_documented_header():
    frame = encode(Message(kind="run", fields={"a": 1}, tensors={"t": np.zeros((2, 3), np.float32)}))
    head_len, body_len = struct.unpack("!II", frame[4:12])
    assert frame[:3] == b"MF" + bytes([VERSION])
    assert frame[12 : 12 + head_len] == _header(b"run", b'{"a":1}', ((F32, (2, 3), b"t"),))
    assert (12 + head_len) % ALIGNMENT == 0
    assert body_len == 32 == len(frame) - 12 - head_len  # 24 bytes of tensor, 8 of padding


@pytest.mark.parametrize(
    "message",
    [
        Message(kind=""),
        Message(kind="x" * 256),
        Message(kind="ké"),
        Message(kind="x", tensors={"": np.zeros(1)}),
        Message(kind="x", tensors={f"t{i}": np.zeros(1) for i in range(256)}),
    ],
)
def test_encode_refuses_what_a_header_cannot_describe(message):
    with pytest.raises((FrameError, UnicodeEncodeError)):
        encode(message)


@pytest.mark.parametrize(
    ("header", "body", "complaint"),
    [
        (b"\x01\x00", b"", "shorter than its 6-byte start"),
        (_header(kind=b""), b"", "kind must be"),
        (_header(kind=b"\xff"), b"", "kind must be"),
        (struct.pack("!BBI", 5, 0, 0) + b"ab", b"", "kind must be"),
        (_header(fields=b"not json"), b"", "not UTF-8 JSON"),
        (_header(fields=b"[1, 2]"), b"", "JSON object"),
        (_header(fields=b'{"v": NaN}'), b"", "NaN"),
        (struct.pack("!BBI", 1, 0, 50) + b"x{}", b"", "ends inside the fields"),
        (_header(), b"abc", "3 body bytes beyond"),
        (_header(padded=False) + b"zz", b"", "2 bytes beyond its 0 tensor descriptions"),
        (_header(padded=False) + b"\0", b"", "has 1 bytes beyond its 0 tensor descriptions, not its 13 zero bytes"),
        (struct.pack("!BBI", 1, 1, 0) + b"x", b"", "ends inside the description of tensor 0"),
        (struct.pack("!BBI", 1, 1, 0) + b"x" + struct.pack("!BBB", F32, 0, 5) + b"ab", b"", "ends inside a tensor"),
        (_header(tensors=((F32, (1,), b""),)), b"1234", "non-empty"),
        (_header(tensors=((F32, (1,), b"\xff"),)), b"1234", "not UTF-8"),
        (_header(tensors=((99, (1,), b"a"),)), b"12345678", "dtype code 99"),
        (_header(tensors=((F32, (3,), b"a"),)), b"1234", "needs 12 bytes"),
        (_header(tensors=((I8, (2,), b"a"), (I8, (2,), b"a"))), b"1234", "described twice"),
        (_header(tensors=((I8, (2,), b"a"), (F32, (2,), b"b"))), b"1" * 22, "needs 8 bytes, the body has 6 left"),
        (_header(tensors=((I8, (2,), b"a"), (F32, (2,), b"b"))), b"1" * 8, "needs 8 bytes, the body has 0 left"),
        (_header(tensors=((I8, (2,), b"a"),)), b"123", "13 bytes short of its last tensor's padding"),
        (_header(tensors=((I8, (2,), b"a"),)), b"1" * 17, "1 body bytes beyond"),
    ],
)
def test_malformed_frames_are_named(header, body, complaint):
    with pytest.raises(FrameError, match=complaint):
        decode(header, bytearray(body))


def test_a_known_header_is_looked_up_whole_yet_every_frame_is_checked():
    """Decoding caches a header's kind and layout under the header without fields: a frame with fields finds the
    layout of one without, each frame keeps its own fields and body, and a header that differs from a known one
    (another tensor count, a body of another length) is still rejected."""
    plain = _header(b"k", tensors=((F32, (1,), b"a"),))
    pad = bytes(12)
    first, again = decode(plain, b"\0\0\x80\x3f" + pad), decode(plain, b"\0\0\0\x40" + pad)
    with_fields = decode(_header(b"k", b'{"n":2}', ((F32, (1,), b"a"),)), b"\0\0\x40\x40" + pad)
    assert [(m.kind, m.fields, m.tensors["a"].tolist()) for m in (first, again, with_fields)] == [
        ("k", {}, [1.0]),
        ("k", {}, [2.0]),
        ("k", {"n": 2}, [3.0]),
    ]
    with pytest.raises(FrameError, match="1 body bytes beyond"):
        decode(plain, bytes(17))
    with pytest.raises(FrameError, match="non-empty string"):  # its padding read as a second tensor, nameless
        decode(plain[:1] + b"\x02" + plain[2:], bytes(16))


def test_channel_carries_tensors_both_ways():
    async def scenario():
        server, stats, port = await _server()
        async with server:
            channel = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5)
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
                await connect(
                    "127.0.0.1", port, credential=client_credential("another-token-of-enough-length"), timeout_s=5
                )
            good = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5)
            answer = await good.request(Message(kind="ping"), timeout_s=5)
            await good.close()
        return stats, answer

    stats, answer = run(scenario())
    assert answer.kind == "echo"
    assert (stats.accepted, stats.rejected) == (1, 1)
    assert "wrong key" in stats.last_rejection


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
            await connect("127.0.0.1", server.sockets[0].getsockname()[1], credential=CLIENT, timeout_s=5)

    with pytest.raises(AuthError):
        run(scenario())


async def _read_frame(reader: asyncio.StreamReader) -> Message:
    prefix = await reader.readexactly(12)
    head_len, body_len = struct.unpack("!II", prefix[4:])
    frame = await reader.readexactly(head_len + body_len)
    return decode(frame[:head_len], frame[head_len:])


def _kinds(data: bytes) -> list[str]:
    """The kinds of the whole frames in ``data``."""
    kinds = []
    while len(data) >= 12:
        head_len, body_len = struct.unpack("!II", data[4:12])
        kinds.append(decode(data[12 : 12 + head_len], data[12 + head_len : 12 + head_len + body_len]).kind)
        data = data[12 + head_len + body_len :]
    return kinds


async def _authenticated_raw(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that has passed the handshake by hand, so the test can then write any bytes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode(handshake.answer(CLIENT, await _read_frame(reader))))
    welcome = await _read_frame(reader)
    assert welcome.kind == "welcome"
    return reader, writer


_V = b"MF" + bytes([VERSION, 0])
_TWO = _header(tensors=((F32, (2,), b"a"), (I8, (9,), b"b")))
_X = _header()
_NOT_JSON = _header(fields=b"\xff")
BAD_FRAMES = {
    "bad magic": b"XX" + bytes([VERSION, 0]) + struct.pack("!II", len(_X), 0) + _X,
    "unsupported protocol version": b"MF\x09\x00" + struct.pack("!II", len(_X), 0) + _X,
    "not UTF-8 JSON": _V + struct.pack("!II", len(_NOT_JSON), 0) + _NOT_JSON,
    "needs 9 bytes, the body has 4 left": _V + struct.pack("!II", len(_TWO), 20) + _TWO + b"abcdefghijklmnopqrst",
    "exceeds the limit": _V + struct.pack("!II", 2, 2**31),
    "truncated": _V + struct.pack("!II", 400, 0) + _X,
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
            good = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5)
            answer = await good.request(Message(kind="ping"), timeout_s=5)
            await good.close()
        return stats, answer, leftover

    stats, answer, leftover = run(scenario())
    assert stats.rejected == 1
    assert name in stats.last_rejection or (before_auth and "expected an auth" in stats.last_rejection)
    assert "error" in _kinds(leftover)
    assert answer.kind == "echo"


def test_oversized_frame_is_refused_before_its_body_is_read():
    async def scenario():
        server, stats, port = await _server(FrameLimits(max_body_bytes=1000))
        async with server:
            channel = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5)
            big = {"a": np.zeros(500, np.uint8), "b": np.zeros(501, np.uint8)}  # 512 bytes each, padded: over the limit
            with pytest.raises(RemoteError, match="exceeds the limit"):
                await channel.request(Message(kind="big", tensors=big), timeout_s=5)
            await channel.close()
        return stats

    stats = run(scenario())
    assert "1024 bytes exceeds the limit of 1000" in stats.last_rejection


def test_a_silent_client_is_dropped_after_the_handshake_timeout():
    async def scenario():
        stats = ServerStats()
        server = await serve(_echo, keys=KEYS.keyring(), stats=stats, handshake_timeout_s=0.2)
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
            data = await reader.read()  # challenge, then error and close once the timeout passes
            writer.close()
        return stats, data

    stats, data = run(scenario(), timeout_s=10)
    assert stats.rejected == 1
    assert _kinds(data) == ["challenge", "error"]


def test_deadlines_move_with_each_operation_and_other_cancellations_stay_cancellations():
    async def scenario():
        server, _, port = await _server()
        async with server:
            channel = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5)
            await channel.request(Message(kind="ping"), timeout_s=0.05)  # arms the timer 50 ms ahead
            started = time.perf_counter()
            with pytest.raises(TimeoutError):  # the timer finds this operation's end ahead and waits for it
                await channel.request(Message(kind="hush"), timeout_s=0.3)
            late = time.perf_counter() - started
            await channel.close()
            channel = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5)
            await channel.request(Message(kind="ping"), timeout_s=30)  # arms the timer 30 s ahead
            with pytest.raises(TimeoutError):  # ... and a shorter deadline moves it earlier
                await channel.request(Message(kind="hush"), timeout_s=0.05)
            await channel.close()
            channel = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5)
            task = asyncio.create_task(channel.request(Message(kind="hush"), timeout_s=30))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await channel.close()
        return late

    assert run(scenario(), timeout_s=20) >= 0.3


def test_emulated_link_delivers_one_megabyte_in_the_emulated_time():
    link = LinkProfile(bandwidth_bps=20e6, delay_s=5e-3)
    payload = np.zeros(1_000_000, dtype=np.uint8)
    frame_bytes = len(encode(Message(kind="blob", tensors={"blob": payload})))

    async def scenario():
        server, _, port = await _server()
        async with server:
            channel = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5, link=link)
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


def test_the_pool_drops_an_idle_connection_its_peer_closed_and_connects_anew():
    """A peer that closed a pooled connection while it was idle (a restarted controller, a departed agent) costs a
    new connection, not a request failed on a dead one."""
    from mcfn.runtime.pool import ChannelPool

    async def answer_once(channel: Channel) -> None:
        message = await channel.receive(timeout_s=10)
        await channel.send(Message(kind="echo", tensors=message.tensors), timeout_s=10)
        # returning ends the session: the server closes the connection the pool keeps idle

    async def scenario() -> list[np.ndarray]:
        server = await serve(answer_once, keys=KEYS.keyring())
        address = ("127.0.0.1", server.sockets[0].getsockname()[1])
        pool = ChannelPool(credential=CLIENT)
        answers = []
        for value in (1.0, 2.0):
            answer = await pool.request(address, Message(kind="x", tensors={"t": np.full(3, value)}), timeout_s=10)
            answers.append(answer.tensors["t"])
            for _ in range(200):  # until the server's close has reached the idle connection
                await asyncio.sleep(0.01)
                if not pool._idle[address][0][0].usable:
                    break
            assert not pool._idle[address][0][0].usable
        await pool.close()
        server.close()
        return answers

    first, second = run(scenario(), timeout_s=30)
    np.testing.assert_array_equal(first, np.full(3, 1.0))
    np.testing.assert_array_equal(second, np.full(3, 2.0))
