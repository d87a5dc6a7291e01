"""The data plane on blocking sockets: the wire, handshake and limits of the event-loop channels, in threads, and
either end talking to the other kind."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time

import numpy as np
import pytest

from mcfn.runtime import blocking, handshake
from mcfn.runtime.auth import AuthError, client_credential
from mcfn.runtime.blocking import BlockingChannel, BlockingServer
from mcfn.runtime.channel import Channel, RemoteError, ServerStats, connect, serve
from mcfn.runtime.link import LinkProfile, Pacer
from mcfn.runtime.pool import BlockingPool
from mcfn.runtime.wire import FrameError, FrameLimits, Message, decode, encode
from tests.runtime.conftest import CLIENT, FRAME_SOCKETS, KEYS, frame_socket_class, run
from tests.runtime.test_transport import BAD_FRAMES, _kinds


@pytest.fixture(autouse=True, params=FRAME_SOCKETS)
def frame_socket(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs on the Python frame socket and on the compiled one."""
    monkeypatch.setattr(blocking, "FrameSocket", frame_socket_class(request.param))


def _echo(channel: BlockingChannel) -> None:
    """Answers every message with its copy, except ``hush`` messages, which it never answers, and ``half``
    messages, which it answers with half a frame before it hangs up."""
    while True:
        message = channel.receive(timeout_s=10)
        if message.kind == "hush":
            continue
        if message.kind == "half":
            frame = encode(Message(kind="echo", tensors={"t": np.zeros(100, np.uint8)}))
            channel._sock.sendall(frame[: len(frame) // 2])
            return
        channel.send(Message(kind="echo", fields=message.fields, tensors=message.tensors), timeout_s=10)


def _server(limits: FrameLimits | None = None, **options) -> BlockingServer:
    return BlockingServer(_echo, keys=KEYS.keyring(), limits=limits, stats=ServerStats(), **options)


def _connect(server: BlockingServer, **options) -> BlockingChannel:
    return blocking.connect(*server.address, credential=CLIENT, timeout_s=5, **options)


def test_tensors_of_every_size_travel_both_ways_and_arrive_as_sent():
    tensors = {
        "none": np.zeros((0, 3), np.float32),
        "small": np.arange(6, dtype=np.int64).reshape(2, 3),
        "odd": np.arange(5, dtype=np.int8),  # the next tensor starts unaligned
        "big": np.random.default_rng(0).standard_normal(3_000_000).astype(np.float32),  # beyond a socket buffer
    }
    with _server() as server:
        channel = _connect(server)
        answers = [channel.request(Message(kind="x", fields={"n": n}, tensors=tensors), timeout_s=10) for n in (1, 2)]
        assert channel.usable
        channel.close()
        assert not channel.usable
    for n, answer in enumerate(answers, 1):
        assert (answer.kind, answer.fields) == ("echo", {"n": n})
        assert list(answer.tensors) == list(tensors)
        for name, tensor in tensors.items():
            assert answer.tensors[name].dtype == tensor.dtype
            np.testing.assert_array_equal(answer.tensors[name], tensor)
    assert (server.stats.accepted, server.stats.rejected) == (1, 0)


def test_messages_sent_back_to_back_are_answered_in_order():
    with _server() as server:
        channel = _connect(server)
        for n in range(50):
            channel.send(Message(kind="x", fields={"n": n}, tensors={"t": np.full(n, n)}), timeout_s=5)
        answers = [channel.receive(timeout_s=5) for _ in range(50)]
        channel.close()
    assert [a.fields["n"] for a in answers] == list(range(50))
    assert all((a.tensors["t"] == n).all() and a.tensors["t"].size == n for n, a in enumerate(answers))


def test_either_end_may_be_an_event_loop_channel():
    async def loop_echo(channel: Channel) -> None:
        while True:
            message = await channel.receive(timeout_s=10)
            await channel.send(Message(kind="loop", tensors=message.tensors), timeout_s=10)

    tensor = np.arange(100_000, dtype=np.float32)

    async def scenario():
        server = await serve(loop_echo, keys=KEYS.keyring())
        async with server:  # a thread's blocking channel to the event loop's server
            port = server.sockets[0].getsockname()[1]

            def ask() -> Message:
                channel = blocking.connect("127.0.0.1", port, credential=CLIENT, timeout_s=5)
                try:
                    return channel.request(Message(kind="x", tensors={"t": tensor}), timeout_s=5)
                finally:
                    channel.close()

            from_loop = await asyncio.to_thread(ask)
        with _server() as threads:  # and the event loop's channel to the threads' server
            channel = await connect(*threads.address, credential=CLIENT, timeout_s=5)
            from_threads = await channel.request(Message(kind="x", tensors={"t": tensor}), timeout_s=5)
            await channel.close()
        return from_loop, from_threads

    from_loop, from_threads = run(scenario())
    assert (from_loop.kind, from_threads.kind) == ("loop", "echo")
    np.testing.assert_array_equal(from_loop.tensors["t"], tensor)
    np.testing.assert_array_equal(from_threads.tensors["t"], tensor)


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 here")
def test_a_server_listens_on_ipv6_too():
    try:
        server = BlockingServer(_echo, keys=KEYS.keyring(), host="::1")
    except OSError as exc:  # IPv6 built in but not configured
        pytest.skip(f"no IPv6 loopback: {exc}")
    with server:
        channel = blocking.connect(*server.address, credential=CLIENT, timeout_s=5)
        assert channel.request(Message(kind="ping"), timeout_s=5).kind == "echo"
        assert channel.local_host == "::1"
        channel.close()


def test_wrong_token_is_rejected_and_the_server_goes_on():
    with _server() as server:
        with pytest.raises(AuthError, match="authentication failed"):
            blocking.connect(
                *server.address, credential=client_credential("another-token-of-enough-length"), timeout_s=5
            )
        good = _connect(server)
        assert good.request(Message(kind="ping"), timeout_s=5).kind == "echo"
        good.close()
    assert (server.stats.accepted, server.stats.rejected) == (1, 1)
    assert "wrong key" in server.stats.last_rejection


def _read_frame(sock: socket.socket) -> Message:
    prefix = sock.recv(12, socket.MSG_WAITALL)
    head_len, body_len = struct.unpack("!II", prefix[4:])
    frame = sock.recv(head_len + body_len, socket.MSG_WAITALL) if head_len + body_len else b""
    return decode(frame[:head_len], frame[head_len:])


def _authenticated_raw(server: BlockingServer) -> socket.socket:
    """A connection that has passed the handshake by hand, so the test can then write any bytes."""
    sock = socket.create_connection(server.address, timeout=5)
    sock.sendall(encode(handshake.answer(CLIENT, _read_frame(sock))))
    assert _read_frame(sock).kind == "welcome"
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """What the peer sent until it closed the connection (or reset it: closing with bytes it did not read)."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize(("before_auth", "name"), [(False, name) for name in BAD_FRAMES] + [(True, "bad magic")])
def test_bad_frames_close_only_their_connection(before_auth, name):
    with _server(FrameLimits(max_body_bytes=1 << 20)) as server:
        sock = socket.create_connection(server.address, timeout=5) if before_auth else _authenticated_raw(server)
        sock.sendall(BAD_FRAMES[name])
        sock.shutdown(socket.SHUT_WR)
        leftover = _read_all(sock)  # the server's error message (if any), then its close
        sock.close()
        good = _connect(server)
        answer = good.request(Message(kind="ping"), timeout_s=5)
        good.close()
    assert server.stats.rejected == 1
    assert name in server.stats.last_rejection or (before_auth and "expected an auth" in server.stats.last_rejection)
    assert "error" in _kinds(leftover)
    assert answer.kind == "echo"


def test_oversized_frame_is_refused_before_its_body_is_read():
    with _server(FrameLimits(max_body_bytes=1000)) as server:
        channel = _connect(server)
        big = {"a": np.zeros(500, np.uint8), "b": np.zeros(501, np.uint8)}  # 512 bytes each, padded: over the limit
        with pytest.raises(RemoteError, match="exceeds the limit"):
            channel.request(Message(kind="big", tensors=big), timeout_s=5)
        channel.close()
    assert "1024 bytes exceeds the limit of 1000" in server.stats.last_rejection


def test_a_peer_that_dies_mid_frame_is_a_truncated_frame_and_one_that_hangs_up_is_the_end():
    with _server() as server:
        channel = _connect(server)
        with pytest.raises(FrameError, match=r"truncated frame \(\d+ of \d+ bytes\)"):
            channel.request(Message(kind="half"), timeout_s=5)
        assert not channel.usable
        sock = _authenticated_raw(server)
        sock.sendall(encode(Message(kind="x", tensors={"t": np.zeros(1000, np.uint8)}))[:500])
        sock.close()  # a client dying mid-frame: the server counts it and goes on
        for _ in range(200):
            if server.stats.rejected:
                break
            time.sleep(0.01)
        channel = _connect(server)
        channel.send(Message(kind="bye"), timeout_s=5)
        assert channel.receive(timeout_s=5).kind == "echo"
        server.close()  # ends the connection: the next read finds it closed
        with pytest.raises(EOFError):
            channel.receive(timeout_s=5)
    assert server.stats.rejected == 1
    assert "truncated frame (488 of" in server.stats.last_rejection


def test_timeouts_end_an_operation_neither_early_nor_late_and_leave_the_channel_unusable():
    with _server() as server:
        channel = _connect(server)
        channel.request(Message(kind="ping"), timeout_s=30)  # the kernel's bound: 30 s
        started = time.perf_counter()
        with pytest.raises(TimeoutError):  # ... set again for a shorter deadline
            channel.request(Message(kind="hush"), timeout_s=0.2)
        late = time.perf_counter() - started
        assert not channel.usable
        channel = _connect(server)
        channel._frames.timeout_slack = 0.5
        channel.request(Message(kind="ping"), timeout_s=0.2)  # the kernel's bound: 0.2 s
        started = time.perf_counter()
        with pytest.raises(TimeoutError):  # within the slack: the kernel's bound passes first, then what is left
            channel.request(Message(kind="hush"), timeout_s=0.28)
        later = time.perf_counter() - started
        channel.close()
    assert 0.2 <= late < 0.3
    assert 0.28 <= later < 0.38


def test_a_silent_client_is_dropped_after_the_handshake_timeout():
    with _server(handshake_timeout_s=0.2) as server:
        sock = socket.create_connection(server.address, timeout=5)
        data = _read_all(sock)  # challenge, then error and close once the timeout passes
        sock.close()
    assert server.stats.rejected == 1
    assert _kinds(data) == ["challenge", "error"]


def test_emulated_link_delivers_one_megabyte_in_the_emulated_time():
    link = LinkProfile(bandwidth_bps=20e6, delay_s=5e-3)
    payload = np.zeros(1_000_000, dtype=np.uint8)
    expected = link.transfer_s(len(encode(Message(kind="blob", tensors={"blob": payload}))))
    with _server() as server:
        channel = _connect(server, link=link)
        times = []
        for _ in range(3):  # best of three: a busy machine only ever adds time
            started = time.perf_counter()
            channel.send(Message(kind="blob", tensors={"blob": payload}), timeout_s=5)
            answer = channel.receive(timeout_s=5)
            times.append(time.perf_counter() - started)
        channel.close()
    assert answer.tensors["blob"].size == payload.size
    assert abs(min(times) - expected) <= 0.1 * expected


def test_a_threads_pacer_holds_each_frame_as_long_as_the_link_says_not_a_sleep_longer():
    pacer = Pacer(LinkProfile(bandwidth_bps=8e6, delay_s=1e-3))  # 1000 bytes: 1 ms to send, 1 ms to arrive
    lateness = []
    for _ in range(21):
        started = time.perf_counter()
        pacer.wait(1000)
        lateness.append(time.perf_counter() - started - 2e-3)
    assert min(lateness) >= 0
    assert sorted(lateness)[10] < 5e-5  # time.sleep alone comes 80-210 µs late here


def test_the_pool_keeps_a_refusing_connection_drops_a_failed_or_closed_one_and_serves_threads():
    def serve_until_bye(channel: BlockingChannel) -> None:
        while True:
            message = channel.receive(timeout_s=10)
            kind = "error" if message.kind == "no" else "echo"
            channel.send(Message(kind=kind, fields={"reason": "refused", **message.fields}), timeout_s=10)
            if message.kind == "bye":
                return  # ends the session: the server closes the connection that the pool keeps idle

    def ask(n: int) -> None:
        answers.append(pool.request(server.address, Message(kind="x", fields={"n": n}), timeout_s=5))

    answers: list[Message] = []
    with BlockingServer(serve_until_bye, keys=KEYS.keyring()) as server:
        pool = BlockingPool(credential=CLIENT)
        with pytest.raises(RemoteError, match="refused"):
            pool.request(server.address, Message(kind="no"), timeout_s=5)
        kept = _idle(pool, server.address)[0]
        assert kept.usable  # an error answer: the connection is sound, and kept
        pool.request(server.address, Message(kind="bye"), timeout_s=5)
        assert _idle(pool, server.address) == [kept]
        for _ in range(200):  # until the server's close has reached the idle connection
            if not kept.usable:
                break
            time.sleep(0.01)
        threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert kept not in _idle(pool, server.address)
        with pytest.raises(TimeoutError):
            pool.request(server.address, Message(kind="no"), timeout_s=0.0)
        idle = pool.idle
        pool.close()
    assert sorted(a.fields["n"] for a in answers) == [0, 1, 2, 3]
    assert server.stats.accepted >= 2  # the closed connection was dropped, not reused
    assert idle == server.stats.accepted - 2  # the one that timed out was dropped too


def _idle(pool: BlockingPool, address: tuple[str, int]) -> list[BlockingChannel]:
    """The idle connections ``pool`` holds to ``address``, oldest first."""
    return [channel for channel, _ in pool._idle[address]]


def test_a_pool_closes_connections_idle_for_longer_than_its_limit():
    with BlockingServer(_echo, keys=KEYS.keyring()) as server:
        pool = BlockingPool(credential=CLIENT, idle_s=0.05)
        threads = [
            threading.Thread(target=pool.request, args=(server.address, Message(kind="x")), kwargs={"timeout_s": 5})
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        burst = pool.idle
        time.sleep(0.1)
        pool.request(server.address, Message(kind="x"), timeout_s=5)
        after = pool.idle
        pool.close()
    assert burst >= 1
    assert after == 1  # the burst's connections, idle too long, were closed; the one just used is kept
