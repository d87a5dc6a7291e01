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

Frames are read and written by a :class:`~mcfn.runtime.frames.FrameSocket`: two ``MSG_WAITALL`` reads straight
into the frame's buffer (tensors are views of it), one ``sendmsg`` from the tensors' own memory, each call bounded
by the kernel to the operation's deadline; in C where ``mcfn.runtime._frames`` was compiled. A channel whose
operation failed or timed out may be mid-frame, and is no longer :attr:`~BlockingChannel.usable`.

:class:`BlockingServer` accepts connections in a thread and serves each in a thread of its own: the handshake, then
the handler; like :func:`~mcfn.runtime.channel.serve`, it survives anything a client sends (a bad key, a
malformed, truncated or oversized frame, a dropped connection end that connection only, answered with an
``error`` where it still can be, and counted in its :class:`~mcfn.runtime.channel.ServerStats`). At most
:data:`~mcfn.runtime.channel.MAX_UNAUTHENTICATED` connections may be in their handshake at once, and at most
:data:`MAX_CONNECTIONS` open: more are closed at once (counted as rejected), so a flood costs neither threads nor
memory.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable

from mcfn import _accelerated
from mcfn.runtime import handshake
from mcfn.runtime.auth import AuthError, Credential, Keyring, Peer
from mcfn.runtime.channel import GONE, HANDSHAKE_LIMITS, MAX_UNAUTHENTICATED, REJECTED, ServerStats
from mcfn.runtime.frames import FrameSocket, TlsFrameSocket, idle_and_open
from mcfn.runtime.link import IDEAL, LinkProfile
from mcfn.runtime.tls import refused as tls_refused
from mcfn.runtime.tls import wrap_client, wrap_server
from mcfn.runtime.wire import FrameLimits

if not _accelerated.pure_python_requested():
    with contextlib.suppress(ImportError):  # not compiled: the reference
        from mcfn.runtime._frames import FrameSocket

#: Connections a :class:`BlockingServer` serves at once (a thread each); more are closed at once.
MAX_CONNECTIONS = 512
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
        self._sock = sock
        self._tls = isinstance(sock, ssl.SSLSocket)
        self._frames = (TlsFrameSocket if self._tls else FrameSocket)(sock, limits, link)
        #: Who the other end proved to be (on a server's connection).
        self.peer = Peer("")
        # The hot path is the frame socket's own methods, bound here: no Python call on the way to a compiled one.
        #: ``send(message, *, timeout_s, link=None)``: send one message after its emulated transfer time (``link``
        #: overrides the channel's for it).
        self.send = self._frames.send
        #: ``receive(*, timeout_s)``: the next message; ``EOFError`` when the peer closed, :class:`FrameError` for a
        #: bad or truncated frame, ``TimeoutError`` after ``timeout_s`` (``None``: never).
        self.receive = self._frames.receive
        #: ``request(message, *, timeout_s, link=None)``: send ``message`` and return the answer, both within
        #: ``timeout_s``; an ``error`` answer raises :class:`~mcfn.runtime.channel.RemoteError`.
        self.request = self._frames.request

    @property
    def limits(self) -> FrameLimits:
        """The largest frame this end accepts."""
        return self._frames.limits

    @limits.setter
    def limits(self, limits: FrameLimits) -> None:
        self._frames.limits = limits

    @property
    def usable(self) -> bool:
        """False once an operation failed or timed out, the channel was closed, or the peer closed the connection
        or sent what nobody asked for (looked at without waiting)."""
        if self._frames.failed or self._frames.pending:
            return False
        if self._tls:
            return idle_and_open(self._sock)  # type: ignore[arg-type]
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

    def close(self) -> None:
        """Close the connection (what is still unsent goes out)."""
        self._frames.failed = True
        self._sock.close()

    def finish(self, *, timeout_s: float) -> None:
        """Close gracefully after a last message to a peer that may still be sending: end this side, then drop
        what the peer sends until it closes too, at most ``timeout_s`` (closing with bytes unread would reset the
        connection, and the peer could lose the message)."""
        deadline = time.monotonic() + timeout_s
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)
            sink = memoryview(bytearray(64 * 1024))
            while self._frames.fill(sink, timeout_s=deadline - time.monotonic()) == len(sink):
                pass
        self.close()

    def abort(self) -> None:
        """Drop the connection at once, unsent bytes and all (it failed)."""
        self._frames.failed = True
        with contextlib.suppress(OSError):
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
        self._sock.close()


def connect(
    host: str,
    port: int,
    *,
    credential: Credential,
    timeout_s: float,
    limits: FrameLimits | None = None,
    link: LinkProfile = IDEAL,
    tls: ssl.SSLContext | None = None,
) -> BlockingChannel:
    """Open a connection (over TLS with context ``tls``, :mod:`mcfn.runtime.tls`) and prove ``credential``, all
    within ``timeout_s``; raises :class:`~mcfn.runtime.auth.AuthError`, ``OSError`` or ``TimeoutError``."""
    deadline = time.monotonic() + timeout_s
    sock = socket.create_connection((host, port), timeout=timeout_s)
    if tls is not None:
        sock = wrap_client(sock, tls, where=f"{host}:{port}", timeout_s=deadline - time.monotonic())
    channel = BlockingChannel(sock, link=link)
    try:
        wait_s = handshake.challenge_wait_s(deadline - time.monotonic())
        try:
            challenge = channel.receive(timeout_s=deadline - time.monotonic() if wait_s is None else wait_s)
        except TimeoutError:
            if wait_s is None:
                raise
            raise handshake.no_challenge(f"{host}:{port}") from None
        answer = handshake.answer(credential, challenge)
        channel.send(answer, timeout_s=deadline - time.monotonic(), link=IDEAL)
        handshake.check_welcome(credential, challenge, answer, channel.receive(timeout_s=deadline - time.monotonic()))
    except ssl.SSLError as exc:  # under TLS 1.3 the server checks the client's certificate after the handshake
        channel.close()
        raise tls_refused(exc, f"{host}:{port}") from None
    except BaseException:
        channel.close()
        raise
    channel.limits = limits or FrameLimits()
    return channel


#: A connection's handler: runs in the connection's own thread once the client is authenticated.
Handler = Callable[[BlockingChannel], None]


class BlockingServer:
    """A TCP server on ``host:port`` (loopback by default) that runs ``handler`` for each connection whose peer
    proved a key that ``keys`` admits, in a thread of its own; a connection's protocol errors end it and are
    counted in :attr:`stats`. Serves from construction until :meth:`close`."""

    def __init__(
        self,
        handler: Handler,
        *,
        keys: Keyring,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: FrameLimits | None = None,
        handshake_timeout_s: float = 5.0,
        stats: ServerStats | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.stats = stats if stats is not None else ServerStats()
        self._tls = tls
        self._handler = handler
        self._keys = keys
        self._limits = limits or FrameLimits()
        self._handshake_timeout_s = handshake_timeout_s
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        self._listener = socket.create_server((host, port), family=family)  # IPv6 only for "::", as asyncio's
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._unauthenticated = 0
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
                full = len(self._connections) >= MAX_CONNECTIONS or self._unauthenticated >= MAX_UNAUTHENTICATED
                if not full:
                    self._connections.add(sock)
                    self._unauthenticated += 1
            if full:
                self.stats.reject(ConnectionRefusedError("too many connections"))
                sock.close()
                continue
            threading.Thread(target=self._session, args=(sock,), name=f"{self._accepting.name}-c", daemon=True).start()

    def _session(self, sock: socket.socket) -> None:
        """Handshake (TLS first, if the server uses it), then the handler; protocol errors are counted and answered,
        a vanished peer is not an error."""
        deadline = time.monotonic() + self._handshake_timeout_s
        if self._tls is not None:
            try:
                wrapped = wrap_server(sock, self._tls, timeout_s=self._handshake_timeout_s)
            except (AuthError, *GONE) as exc:
                self._end_unauthenticated(sock, exc)
                return
            with self._lock:  # the plain socket was detached into the TLS one: close() must reach that
                self._connections.discard(sock)
                self._connections.add(wrapped)
            sock = wrapped
        channel = BlockingChannel(sock)
        try:
            try:
                challenge = handshake.challenge()
                channel.send(challenge, timeout_s=deadline - time.monotonic())
                answer = channel.receive(timeout_s=deadline - time.monotonic())
                welcome, channel.peer = handshake.welcome(self._keys, challenge, answer)
                channel.send(welcome, timeout_s=deadline - time.monotonic())
            finally:
                with self._lock:
                    self._unauthenticated -= 1
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

    def _end_unauthenticated(self, sock: socket.socket, exc: BaseException) -> None:
        """Close a connection whose TLS handshake failed (counted as refused unless the peer just went away)."""
        if isinstance(exc, AuthError | TimeoutError):
            self.stats.reject(exc)
        with self._lock:
            self._unauthenticated -= 1
            self._connections.discard(sock)
        sock.close()
