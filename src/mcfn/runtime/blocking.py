"""Authenticated message channels on blocking sockets, for threads: the data plane that agents forward tensors on.

The wire is that of :mod:`mcfn.runtime.channel` — the same frames (:mod:`mcfn.runtime.wire`), handshake
(:mod:`mcfn.runtime.handshake`), frame limits and link pacing (:mod:`mcfn.runtime.link`) — so either end of a
connection may be an event-loop :class:`~mcfn.runtime.channel.Channel` and the other a :class:`BlockingChannel`
(the controller, on its event loop, sends to agents that serve here). What differs is who waits: here the calling
thread, in the kernel, with nothing between the socket and the frame. An agent's worker threads compute its stages
anyway (torch and blocking socket calls release the GIL), so sending the result from a thread and serving each
connection in a thread of its own costs no hand-over to an event loop. Measured on this project's 2-core machine
(1 KB round trips to an echo in another process, back to back, medians; all on one CPU for steady figures): plain
blocking sockets take 20 µs; a bare uvloop protocol as the client 22.5 µs, whatever it does with the frame; the
event-loop channel pair 65 µs (futures, task wake-ups and deadline bookkeeping at each end on top of the loop's
own); this pair 46 µs, the rest being the Python work of framing, encoding and decoding two messages (6 µs a
message within one process, about doubled between two processes that take turns on a CPU and evict each other's
caches). Left to the scheduler on both CPUs the event-loop pair's median grows to 140-170 µs and this pair's to
61 µs. ``benchmarks/runtime.py`` measures it (section 1, ``remote``).

Reading a frame takes two calls, its prefix and then the rest, each with ``MSG_WAITALL`` (the kernel returns once
all the bytes asked for are there), into a buffer of the frame's own (``np.empty``: not zero-filled), so each
tensor is a view of the bytes the kernel delivered — no copy at any size, and no more system calls for 10 MB than
for 1 KB. The prefix is checked against the frame limits before anything more is read. Writing is one
``sendmsg`` of the frame's parts (a tensor's part is its own memory).

Every operation has a deadline. The socket stays blocking (a Python socket timeout would ``poll`` before every
call); the kernel bounds each call by ``SO_RCVTIMEO`` / ``SO_SNDTIMEO``, which is set again only when the time
left differs from the bound by more than :data:`TIMEOUT_SLACK` (a stream of operations under one timeout costs no
extra system call), and a bound that ends before the deadline is set again for what is left, so an operation times
out neither early nor more than :data:`TIMEOUT_SLACK` late. A channel whose operation failed or timed out may be
mid-frame, and is no longer :attr:`~BlockingChannel.usable`.

:class:`BlockingServer` accepts connections in a thread and serves each in a thread of its own: the handshake, then
the handler; like :func:`~mcfn.runtime.channel.serve`, it survives anything a client sends (a bad token, a
malformed, truncated or oversized frame, a dropped connection end that connection only, answered with an
``error`` where it still can be, and counted in its :class:`~mcfn.runtime.channel.ServerStats`).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable

import numpy as np

from mcfn.runtime import handshake
from mcfn.runtime.channel import GONE, HANDSHAKE_LIMITS, REJECTED, ServerStats, answered
from mcfn.runtime.link import IDEAL, LinkProfile, Pacer
from mcfn.runtime.wire import PREFIX_BYTES, FrameError, FrameLimits, Message, decode, encode_parts, frame_lengths

#: How far the kernel's bound on a call may lie beyond an operation's deadline, as a share of the time left.
TIMEOUT_SLACK = 0.01
#: ``struct timeval``, as ``SO_RCVTIMEO`` and ``SO_SNDTIMEO`` take it.
_TIMEVAL = struct.Struct("@ll")
#: ``SO_LINGER`` on, zero seconds: closing resets the connection, dropping what is unsent.
_RESET = struct.pack("@ii", 1, 0)

log = logging.getLogger(__name__)


class BlockingChannel:
    """One authenticated connection on a blocking socket: send and receive messages, each within a timeout (one
    thread at a time; module docstring)."""

    def __init__(self, sock: socket.socket, *, limits: FrameLimits = HANDSHAKE_LIMITS, link: LinkProfile = IDEAL):
        sock.settimeout(None)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.limits = limits
        self._sock = sock
        self._pacer = Pacer(link)
        self._prefix = memoryview(bytearray(PREFIX_BYTES))
        self._bounds = {socket.SO_RCVTIMEO: 0.0, socket.SO_SNDTIMEO: 0.0}  # seconds set; 0: none
        self._failed = False

    @property
    def usable(self) -> bool:
        """False once an operation failed or timed out, the channel was closed, or the peer closed the connection
        or sent what nobody asked for (looked at without waiting)."""
        if self._failed:
            return False
        try:
            self._sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return True  # nothing to read: idle and open
        except OSError:
            return False
        return False

    @property
    def local_host(self) -> str:
        """This end's address: the interface through which the peer is reached."""
        return str(self._sock.getsockname()[0])

    def send(self, message: Message, *, timeout_s: float, link: LinkProfile | None = None) -> None:
        """Send one message after its emulated transfer time (``link`` overrides the channel's for it)."""
        try:
            self._send(message, time.monotonic() + timeout_s, link)
        except BaseException:
            self._failed = True  # it may have stopped mid-frame
            raise

    def receive(self, *, timeout_s: float | None) -> Message:
        """The next message; ``EOFError`` when the peer closed, :class:`FrameError` for a bad or truncated frame,
        ``TimeoutError`` after ``timeout_s``."""
        try:
            return self._receive(None if timeout_s is None else time.monotonic() + timeout_s)
        except BaseException:
            self._failed = True
            raise

    def request(self, message: Message, *, timeout_s: float, link: LinkProfile | None = None) -> Message:
        """Send ``message`` and return the answer, both within ``timeout_s``; an ``error`` answer raises
        :class:`~mcfn.runtime.channel.RemoteError`."""
        deadline = time.monotonic() + timeout_s
        try:
            self._send(message, deadline, link)
            answer = self._receive(deadline)
        except BaseException:
            self._failed = True
            raise
        return answered(answer)

    def close(self) -> None:
        """Close the connection (what is still unsent goes out)."""
        self._failed = True
        self._sock.close()

    def finish(self, *, timeout_s: float) -> None:
        """Close gracefully after a last message to a peer that may still be sending: end this side, then drop
        what the peer sends until it closes too, at most ``timeout_s`` (closing with bytes unread would reset the
        connection, and the peer could lose the message)."""
        deadline = time.monotonic() + timeout_s
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)
            sink = memoryview(bytearray(64 * 1024))
            while self._fill(sink, deadline) == len(sink):
                pass
        self.close()

    def abort(self) -> None:
        """Drop the connection at once, unsent bytes and all (it failed)."""
        self._failed = True
        with contextlib.suppress(OSError):
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
        self._sock.close()

    # --- internals -------------------------------------------------------------------------------------------
    def _send(self, message: Message, deadline: float, link: LinkProfile | None) -> None:
        parts = encode_parts(message)
        size = sum(map(len, parts))
        if not (link or self._pacer.profile).is_ideal:
            self._pacer.wait(size, link)
        self._bound(socket.SO_SNDTIMEO, deadline)
        sent = self._sock.sendmsg(parts)
        if sent < size:  # a signal or the kernel's bound cut the write short
            self._send_rest(parts, sent, deadline)

    def _send_rest(self, parts: list[bytes | memoryview], sent: int, deadline: float) -> None:
        """Send what is left of ``parts`` after their first ``sent`` bytes."""
        for part in parts:
            if sent >= len(part):
                sent -= len(part)
                continue
            view, sent = memoryview(part)[sent:], 0
            while view:
                self._bound(socket.SO_SNDTIMEO, deadline)
                try:
                    view = view[self._sock.send(view) :]
                except BlockingIOError:  # the kernel's bound passed; the deadline may lie a little further
                    self._bounds[socket.SO_SNDTIMEO] = -1.0  # bound again what is left

    def _receive(self, deadline: float | None) -> Message:
        got = self._fill(self._prefix, deadline)
        if got < PREFIX_BYTES:
            if got == 0:
                raise EOFError("connection closed")
            raise FrameError(f"truncated frame prefix ({got} of {PREFIX_BYTES} bytes)")
        head, body = frame_lengths(self._prefix, 0, self.limits)
        frame = memoryview(np.empty(head + body, np.uint8))  # not zero-filled: all of it is written
        got = self._fill(frame, deadline)
        if got < head + body:
            raise FrameError(f"truncated frame ({got} of {head + body} bytes)")
        return decode(bytes(frame[:head]), frame[head:])

    def _fill(self, view: memoryview, deadline: float | None) -> int:
        """Read into all of ``view``; the bytes read, fewer only if the peer closed the connection."""
        got = 0
        while got < len(view):
            self._bound(socket.SO_RCVTIMEO, deadline)
            try:
                n = self._sock.recv_into(view[got:] if got else view, 0, socket.MSG_WAITALL)
            except BlockingIOError:  # the kernel's bound passed; the deadline may lie a little further
                self._bounds[socket.SO_RCVTIMEO] = -1.0  # bound again what is left
                continue
            if n == 0:
                break
            got += n
        return got

    def _bound(self, option: int, deadline: float | None) -> None:
        """Have the kernel end the next call through ``option`` by ``deadline`` (``None``: never), to within
        :data:`TIMEOUT_SLACK`; ``TimeoutError`` if it has passed."""
        bound = self._bounds[option]
        if deadline is None:
            if bound == 0.0:
                return
            left = 0.0
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline exceeded")
            if abs(left - bound) <= TIMEOUT_SLACK * left:
                return
        seconds = int(left)
        micros = max(int((left - seconds) * 1e6), 1 if left else 0)  # (0, 0) would be no bound at all
        self._sock.setsockopt(socket.SOL_SOCKET, option, _TIMEVAL.pack(seconds, micros))
        self._bounds[option] = left


def connect(
    host: str,
    port: int,
    *,
    token: bytes,
    timeout_s: float,
    limits: FrameLimits | None = None,
    link: LinkProfile = IDEAL,
) -> BlockingChannel:
    """Open a connection and prove membership, all within ``timeout_s``; raises
    :class:`~mcfn.runtime.auth.AuthError`, ``OSError`` or ``TimeoutError``."""
    deadline = time.monotonic() + timeout_s
    channel = BlockingChannel(socket.create_connection((host, port), timeout=timeout_s), link=link)
    try:
        challenge = channel._receive(deadline)
        answer = handshake.answer(token, challenge)
        channel._send(answer, deadline, IDEAL)
        handshake.check_welcome(token, challenge, answer, channel._receive(deadline))
    except BaseException:
        channel.close()
        raise
    channel.limits = limits or FrameLimits()
    return channel


#: A connection's handler: runs in the connection's own thread once the client is authenticated.
Handler = Callable[[BlockingChannel], None]


class BlockingServer:
    """A TCP server on ``host:port`` (loopback by default) that runs ``handler`` for each authenticated
    connection, in a thread of its own; a connection's protocol errors end it and are counted in :attr:`stats`.
    Serves from construction until :meth:`close`."""

    def __init__(
        self,
        handler: Handler,
        *,
        token: bytes,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: FrameLimits | None = None,
        handshake_timeout_s: float = 5.0,
        stats: ServerStats | None = None,
    ) -> None:
        self.stats = stats if stats is not None else ServerStats()
        self._handler = handler
        self._token = token
        self._limits = limits or FrameLimits()
        self._handshake_timeout_s = handshake_timeout_s
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        self._listener = socket.create_server((host, port), family=family)  # IPv6 only for "::", as asyncio's
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._closed = False
        self._accepting = threading.Thread(target=self._accept_forever, name=f"serve-{self.address[1]}", daemon=True)
        self._accepting.start()

    def close(self) -> None:
        """Stop accepting, and end every connection (a handler waiting on one sees it closed)."""
        with self._lock:
            self._closed = True
            connections = list(self._connections)
        for sock in (self._listener, *connections):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked on it
        self._listener.close()
        self._accepting.join()

    def __enter__(self) -> BlockingServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _accept_forever(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if self._closed:
                    sock.close()
                    return
                self._connections.add(sock)
            threading.Thread(target=self._session, args=(sock,), name=f"{self._accepting.name}-c", daemon=True).start()

    def _session(self, sock: socket.socket) -> None:
        """Handshake, then the handler; protocol errors are counted and answered, a vanished peer is not an error."""
        channel = BlockingChannel(sock)
        try:
            deadline = time.monotonic() + self._handshake_timeout_s
            challenge = handshake.challenge()
            channel._send(challenge, deadline, IDEAL)
            channel._send(handshake.welcome(self._token, challenge, channel._receive(deadline)), deadline, IDEAL)
            channel.limits = self._limits
            self.stats.accept()
            self._handler(channel)
        except REJECTED as exc:
            error = self.stats.reject(exc)
            with contextlib.suppress(*REJECTED, *GONE):
                channel.send(error, timeout_s=1.0)
                channel.finish(timeout_s=1.0)
        except GONE:
            pass  # the peer went away
        except Exception:  # a handler bug must not take the server down; it is logged, the connection closed
            log.exception("connection handler failed")
        finally:
            with self._lock:
                self._connections.discard(sock)
            channel.close()
