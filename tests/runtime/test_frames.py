"""The data plane's frame I/O: the compiled FrameSocket held to the Python reference, message for message and
error for error, over real sockets."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from mcfn.runtime.wire import BODY_ALIGNMENT, FrameError, FrameLimits, Message, encode
from tests.runtime.conftest import FRAME_SOCKETS, frame_socket_class
from tests.runtime.test_transport import BAD_FRAMES

LIMITS = FrameLimits(max_body_bytes=1 << 26)


@pytest.fixture(params=FRAME_SOCKETS)
def implementation(request: pytest.FixtureRequest) -> type:
    return frame_socket_class(request.param)


@pytest.fixture
def pair(implementation: type) -> Iterator[tuple[object, object]]:
    """A connected pair of frame sockets of the implementation under test."""
    left, right = socket.socketpair()
    with left, right:
        yield implementation(left, LIMITS), implementation(right, LIMITS)


def _both(code) -> list:
    """What ``code(FrameSocket class)`` gives with each implementation (the compiled one where it was built)."""
    return [code(frame_socket_class(name)) for name in FRAME_SOCKETS]


def _received(cls: type, data: bytes, limits: FrameLimits = LIMITS) -> tuple[str, object]:
    """What a frame socket of ``cls`` makes of ``data`` followed by the peer's close: ``("message", summary)``
    for each message, then the first error as ``(type name, text)``."""
    left, right = socket.socketpair()
    with left, right:

        def write() -> None:
            with contextlib.suppress(OSError):  # the reader closes at the first error
                left.sendall(data)
                left.shutdown(socket.SHUT_WR)

        writer = threading.Thread(target=write)
        writer.start()
        frames = cls(right, limits)
        seen = []
        while True:
            try:
                message = frames.receive(timeout_s=5)
            except Exception as exc:
                seen.append((type(exc).__name__, str(exc), frames.failed))
                break
            seen.append(("message", _summary(message)))
        right.close()  # a writer still sending gets an error now
        writer.join()
    return seen


def _summary(message: Message) -> tuple:
    return (
        message.kind,
        message.fields,
        [(name, t.dtype.str, t.shape, t.flags.writeable, t.tobytes()) for name, t in message.tensors.items()],
    )


TENSORS = {
    "none": np.zeros((0, 3), np.float32),
    "small": np.arange(6, dtype=np.int64).reshape(2, 3),
    "odd": np.arange(5, dtype=np.int8),  # the next tensor starts unaligned
    "scalar": np.float64(2.5),  # not an ndarray
    "fortran": np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4)),
    "big-endian": np.arange(4, dtype=">i4"),
    "big": np.random.default_rng(0).standard_normal(300_000).astype(np.float32),  # beyond the read-ahead
}


@pytest.mark.parametrize("fields", [{}, {"request": 7, "route": ["a", "b"]}])
def test_messages_arrive_as_sent_and_alike_from_either_implementation(pair, fields):
    sender, receiver = pair
    sent = [Message(kind="x", fields=fields, tensors=TENSORS), Message(kind="ping"), Message(kind="x", tensors=TENSORS)]

    def send_all():
        for message in sent * 2:  # the second time round, every layout is cached
            sender.send(message, timeout_s=10)

    writer = threading.Thread(target=send_all)
    writer.start()
    got = [receiver.receive(timeout_s=10) for _ in range(len(sent) * 2)]
    writer.join()
    for message, answer in zip(sent * 2, got, strict=True):
        assert (answer.kind, answer.fields) == (message.kind, message.fields)
        assert list(answer.tensors) == list(message.tensors)
        for name, tensor in message.tensors.items():
            np.testing.assert_array_equal(answer.tensors[name], tensor)
            assert answer.tensors[name].dtype == np.dtype(tensor.dtype).newbyteorder("<")
            assert answer.tensors[name].flags.writeable
    assert not receiver.failed
    assert not sender.failed
    assert receiver.pending == 0
    assert all(next(iter(m.tensors.values())).ctypes.data % BODY_ALIGNMENT == 0 for m in got if m.tensors)


def test_both_implementations_make_the_same_of_every_frame():
    good = encode(Message(kind="x", fields={"n": 1}, tensors=TENSORS)) + encode(Message(kind="y"))
    python, compiled = _both(lambda cls: _received(cls, good * 2))
    assert python == compiled
    assert [kind for kind, *_ in python] == ["message"] * 4 + ["EOFError"]


@pytest.mark.parametrize("name", [*BAD_FRAMES, "truncated prefix", "empty"])
def test_both_implementations_reject_a_bad_frame_with_the_same_error(name):
    data = {**BAD_FRAMES, "truncated prefix": b"MF\x03", "empty": b""}[name]
    python, compiled = _both(lambda cls: _received(cls, data, FrameLimits(max_body_bytes=1 << 20)))
    assert python == compiled
    ((kind, text, failed),) = python
    assert failed
    assert kind == ("EOFError" if name == "empty" else "FrameError")
    assert name.split()[0] in text or name == "empty"


def test_a_frame_sent_behind_another_waits_read_ahead_until_it_is_received(pair, implementation):
    sender, receiver = pair
    frame = encode(Message(kind="n", fields={"n": 0}))
    for n in range(3):
        sender.send(Message(kind="n", fields={"n": n}), timeout_s=5)
    time.sleep(0.05)  # all three frames are in the receiver's socket
    first = receiver.receive(timeout_s=5)
    assert receiver.pending == (0 if implementation.__module__ == "mcfn.runtime.frames" else 2 * len(frame))
    assert [first.fields["n"]] + [receiver.receive(timeout_s=5).fields["n"] for _ in range(2)] == [0, 1, 2]
    assert receiver.pending == 0


def test_a_frame_whose_prefix_arrives_in_pieces_behind_another_is_received_whole(pair):
    sender, receiver = pair
    first, second = encode(Message(kind="a", fields={"n": 1})), encode(Message(kind="b", fields={"n": 2}))
    sender.sock.sendall(first + second[:5])  # the second frame's prefix is cut
    time.sleep(0.05)
    assert receiver.receive(timeout_s=5).kind == "a"
    threading.Timer(0.05, sender.sock.sendall, args=(second[5:],)).start()
    assert receiver.receive(timeout_s=5).fields == {"n": 2}


def test_frames_of_changing_sizes_sent_back_to_back_arrive_whole_and_in_order(pair):
    sender, receiver = pair
    sizes = [100_000, 10, 100_000, 100_000, 5_000, 30_000, 1, 100_000]  # beyond the read-ahead and within it
    sent = [Message(kind="s", fields={"n": n}, tensors={"t": np.full(m, n, np.uint8)}) for n, m in enumerate(sizes)]
    writer = threading.Thread(target=lambda: [sender.send(message, timeout_s=10) for message in sent])
    writer.start()
    time.sleep(0.05)  # the socket's buffers fill with frames
    got = [receiver.receive(timeout_s=10) for _ in sent]
    writer.join()
    assert [(m.fields["n"], m.tensors["t"].size, int(m.tensors["t"][-1])) for m in got] == [
        (n, size, n) for n, size in enumerate(sizes)
    ]


def test_a_layout_like_the_last_one_sent_but_for_a_dtype_shape_or_name_is_sent_as_its_own(pair):
    sender, receiver = pair
    tensors = [
        {"t": np.zeros((2, 3), np.float32)},
        {"t": np.zeros((2, 3), np.int32)},
        {"t": np.zeros((3, 2), np.int32)},
        {"u": np.zeros((3, 2), np.int32)},
        {"u": np.zeros((3, 2), np.int32), "v": np.zeros(1, np.int8)},
        {"u": np.zeros((3, 2), np.int32)},
    ]
    for sent in tensors * 2:
        sender.send(Message(kind="x", tensors=sent), timeout_s=5)
        got = receiver.receive(timeout_s=5).tensors
        assert [(name, t.dtype, t.shape) for name, t in got.items()] == [
            (name, t.dtype, t.shape) for name, t in sent.items()
        ]


def test_fill_takes_the_bytes_read_ahead_first(pair):
    sender, receiver = pair
    sender.send(Message(kind="a"), timeout_s=5)
    sender.sock.sendall(b"0123456789")
    time.sleep(0.05)
    receiver.receive(timeout_s=5)
    view = memoryview(bytearray(10))
    assert receiver.fill(view, timeout_s=5) == 10
    assert bytes(view) == b"0123456789"


def test_an_oversized_frame_is_refused_before_its_body_is_read(implementation):
    left, right = socket.socketpair()
    with left, right:
        message = Message(kind="big", tensors={"t": np.zeros(2000, np.uint8)})
        implementation(left, LIMITS).send(message, timeout_s=5)
        receiver = implementation(right, FrameLimits(max_body_bytes=1000))
        with pytest.raises(FrameError, match="body of 2000 bytes exceeds the limit of 1000"):
            receiver.receive(timeout_s=None)
        assert receiver.failed


def test_a_receive_times_out_at_its_deadline_and_marks_the_socket_failed(pair):
    _, receiver = pair
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        receiver.receive(timeout_s=0.15)
    assert 0.15 <= time.monotonic() - started < 0.3
    assert receiver.failed


def test_a_send_nobody_reads_times_out_and_one_read_slowly_completes_whole(pair):
    sender, receiver = pair
    sender.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    payload = np.random.default_rng(1).integers(0, 255, 4_000_000, dtype=np.uint8)
    started = time.monotonic()
    with pytest.raises(TimeoutError):  # the kernel's buffers fill: the write is cut short, then times out
        sender.send(Message(kind="blob", tensors={"b": payload}), timeout_s=0.2)
    assert 0.2 <= time.monotonic() - started < 0.5
    assert sender.failed

    left, right = socket.socketpair()
    with left, right:
        sender, receiver = type(sender)(left, LIMITS), type(receiver)(right, LIMITS)
        left.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        got = []
        reader = threading.Thread(target=lambda: got.append(receiver.receive(timeout_s=20)))
        reader.start()
        sender.send(Message(kind="blob", tensors={"b": payload}), timeout_s=20)
        reader.join()
    np.testing.assert_array_equal(got[0].tensors["b"], payload)


class _InterruptedError(Exception):
    pass


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timer here")
@pytest.mark.parametrize("handler_raises", [True, False])
def test_a_signal_during_a_blocking_receive_runs_its_handler_and_the_wait_goes_on_unless_it_raised(
    pair, handler_raises
):
    sender, receiver = pair
    handled = []

    def interrupt(signum, frame):
        handled.append(signum)
        if handler_raises:
            raise _InterruptedError

    previous = signal.signal(signal.SIGALRM, interrupt)
    late = threading.Timer(0.3, sender.send, args=(Message(kind="late"),), kwargs={"timeout_s": 5})
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        late.start()
        started = time.monotonic()
        if handler_raises:
            with pytest.raises(_InterruptedError):
                receiver.receive(timeout_s=5)
            assert time.monotonic() - started < 0.25
        else:
            assert receiver.receive(timeout_s=5).kind == "late"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        late.join()
    assert handled == [signal.SIGALRM]
    assert receiver.failed is handler_raises


def test_an_operation_on_a_closed_socket_is_an_os_error(pair):
    sender, _ = pair
    sender.sock.close()
    with pytest.raises(OSError, match="Bad file descriptor"):
        sender.send(Message(kind="late"), timeout_s=1)
    with pytest.raises(OSError, match="Bad file descriptor"):
        sender.receive(timeout_s=1)
    assert sender.failed
