"""Authenticated message channels over asyncio TCP: connect, serve, send and receive with timeouts.

Every connection starts with the handshake of :mod:`mcfn.runtime.auth`; until it succeeds the server accepts only
small bodiless frames. After it, each side sends :class:`~mcfn.runtime.wire.Message` frames, paced by the
sender's emulated link (:mod:`mcfn.runtime.link`), with ``TCP_NODELAY`` (a small frame leaves at once).

Identity is proved once per connection, not per frame (:mod:`mcfn.runtime.auth`: each side proves the key of its
role, and the server's handler sees the peer as :attr:`Channel.peer`): there is no per-frame MAC, as there is no
encryption — the transport is for loopback or a trusted network, and the keys keep strangers from connecting (an
on-path attacker who can inject into an established TCP stream is out of scope). A MAC over every body would cost more
than the transfer: HMAC-SHA256 runs at about 1.8 GB/s on this project's machines, so signing and checking both
frames of a 10 MB round trip would add about 22 ms to the round trip's 7-11 ms (``benchmarks/runtime.py``).

A server survives anything a client sends: a bad key, a malformed, truncated or oversized frame, or a dropped
connection ends that connection only (the server answers with an ``error`` message naming the problem where it
still can) and is counted in :class:`ServerStats`. Before a connection has authenticated it holds a small buffer
(:data:`~mcfn.runtime.framing.HANDSHAKE_BUFFER_BYTES`) and no more than :data:`MAX_UNAUTHENTICATED` of them wait at
once: a flood of idle connections is refused (counted) instead of costing memory or threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mcfn.runtime import handshake
from mcfn.runtime.auth import AuthError, Credential, Keyring, Peer
from mcfn.runtime.deadline import Deadline
from mcfn.runtime.framing import FrameProtocol
from mcfn.runtime.link import IDEAL, LinkProfile, Pacer
from mcfn.runtime.tls import refused as tls_refused
from mcfn.runtime.wire import FrameError, FrameLimits, Message, encode_parts

#: Limits during the handshake: small headers, no body.
HANDSHAKE_LIMITS = FrameLimits(max_header_bytes=1024, max_body_bytes=0)
#: What ends a server's session as the client's fault: counted as a rejection and answered with an ``error``.
REJECTED = (AuthError, FrameError, TimeoutError)
#: What ends a server's session because the client went away: not an error.
GONE = (EOFError, ConnectionError, OSError)
#: Connections a server lets wait for their handshake at once; more are closed at once and counted as rejected.
MAX_UNAUTHENTICATED = 64

log = logging.getLogger(__name__)


class RemoteError(RuntimeError):
    """The peer answered a request with an ``error`` message; ``reason`` is what it said."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def answered(answer: Message) -> Message:
    """``answer`` to a request, unless it is an ``error``: then :class:`RemoteError` with the peer's reason."""
    if answer.kind == "error":
        raise RemoteError(str(answer.fields.get("reason", "unspecified error")))
    return answer


class Channel:
    """One authenticated connection: send and receive messages, each within a timeout.

    Frames are read by the connection's :class:`~mcfn.runtime.framing.FrameProtocol` (into preallocated buffers,
    no stream copies). Timeouts use the connection's :class:`~mcfn.runtime.deadline.Deadline` s (one lazily
    re-armed timer for reading and one for writing), not a timer per operation, so one task may read while others
    take turns to write (a multiplexed connection: the writers hold a lock of their own); an operation that times
    out may leave the connection mid-frame, so close it after a ``TimeoutError``. :attr:`peer` is who the other end
    proved to be (on a server's connection; a client knows whom it called).
    """

    def __init__(self, protocol: FrameProtocol, *, link: LinkProfile = IDEAL) -> None:
        self._protocol = protocol
        if protocol.transport is None:
            raise ConnectionResetError("the protocol is not connected")
        self._transport = protocol.transport
        self._pacer = Pacer(link)
        self._reading = Deadline()
        self._writing = Deadline()
        self.peer = Peer("")
        sock = self._transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # asyncio's default; relied on here

    @property
    def usable(self) -> bool:
        """False once the peer has closed the connection or it failed: an idle connection to drop, not reuse."""
        return self._protocol.usable and not self._transport.is_closing()

    @property
    def local_host(self) -> str:
        """This end's address: the interface through which the peer is reached."""
        return str(self._transport.get_extra_info("sockname")[0])

    def accept_frames(self, limits: FrameLimits) -> None:
        """From now on accept frames within ``limits`` (the handshake's are smaller)."""
        self._protocol.accept(limits)

    async def send(self, message: Message, *, timeout_s: float, link: LinkProfile | None = None) -> None:
        """Send one message after its emulated transfer time (``link`` overrides the channel's for it)."""
        self._writing.start(timeout_s)
        try:
            parts = encode_parts(message)
            if not self._written(parts, link):
                await self._send(parts, link)
        except asyncio.CancelledError as exc:
            raise self._writing.cause(exc) from None
        finally:
            self._writing.stop()

    async def receive(self, *, timeout_s: float | None) -> Message:
        """The next message; ``EOFError`` when the peer closed, ``TimeoutError`` after ``timeout_s``."""
        self._reading.start(timeout_s)
        try:
            return await self._protocol.read()
        except asyncio.CancelledError as exc:
            raise self._reading.cause(exc) from None
        finally:
            self._reading.stop()

    async def request(self, message: Message, *, timeout_s: float, link: LinkProfile | None = None) -> Message:
        """Send ``message`` and return the answer; an ``error`` answer raises :class:`RemoteError` (one request at
        a time, and no other writer meanwhile: the whole request runs on the reading deadline)."""
        self._reading.start(timeout_s)
        try:
            parts = encode_parts(message)
            if not self._written(parts, link):
                await self._send(parts, link)
            answer = await self._protocol.read()
        except asyncio.CancelledError as exc:
            raise self._reading.cause(exc) from None
        finally:
            self._reading.stop()
        return answered(answer)

    def _written(self, parts: list[bytes | memoryview], link: LinkProfile | None) -> bool:
        """Whether the frame went to the transport at once: the link is not emulated, and the protocol took it
        (:meth:`~mcfn.runtime.framing.FrameProtocol.write_now`). Else :meth:`_send` sends it."""
        return (link or self._pacer.profile).is_ideal and self._protocol.write_now(parts)

    async def _send(self, parts: list[bytes | memoryview], link: LinkProfile | None) -> None:
        """Send a frame after its emulated transfer time, waiting while the transport is paused."""
        if not (link or self._pacer.profile).is_ideal:
            await self._pacer.hold(sum(len(part) for part in parts), link)
        await self._protocol.write(parts)

    def abort(self) -> None:
        """Drop the connection at once, unsent bytes and all (it failed, or the loop is going away)."""
        self._reading.close()
        self._writing.close()
        self._transport.abort()

    async def close(self) -> None:
        self._reading.close()
        self._writing.close()
        self._transport.close()
        with contextlib.suppress(ConnectionError, OSError):
            await asyncio.shield(self._protocol.closed)


async def connect(
    host: str,
    port: int,
    *,
    credential: Credential,
    timeout_s: float,
    limits: FrameLimits | None = None,
    link: LinkProfile = IDEAL,
    tls: ssl.SSLContext | None = None,
) -> Channel:
    """Open a connection (over TLS with context ``tls``, :mod:`mcfn.runtime.tls`) and prove ``credential``; raises
    :class:`AuthError`, ``OSError`` or ``TimeoutError``."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout_s):
        try:
            _, protocol = await loop.create_connection(
                lambda: FrameProtocol(HANDSHAKE_LIMITS),
                host,
                port,
                **({} if tls is None else {"ssl": tls, "server_hostname": "", "ssl_handshake_timeout": timeout_s}),
            )
        except ssl.SSLError as exc:
            raise tls_refused(exc, f"{host}:{port}") from None
        channel = Channel(protocol, link=link)
        try:
            try:
                challenge = await channel.receive(timeout_s=handshake.challenge_wait_s(timeout_s))
            except TimeoutError:
                raise handshake.no_challenge(f"{host}:{port}") from None
            except (EOFError, ConnectionError) as exc:
                if tls is None:
                    raise
                raise AuthError(  # under TLS 1.3 the server checks the client's certificate after the handshake
                    f"TLS: {host}:{port} closed the connection before its challenge: it refused this end's "
                    f"certificate (not issued by the cluster CA?) ({type(exc).__name__}: {exc})"
                ) from None
            answer = handshake.answer(credential, challenge)
            await channel.send(answer, timeout_s=timeout_s, link=IDEAL)
            handshake.check_welcome(credential, challenge, answer, await channel.receive(timeout_s=None))
        except BaseException:
            await channel.close()
            raise
    channel.accept_frames(limits or FrameLimits())
    return channel


@dataclass
class ServerStats:
    """What a server has seen: connections accepted after the handshake, and connections it rejected (updated
    under a lock: a blocking server's connections run in threads of their own)."""

    accepted: int = 0
    rejected: int = 0
    last_rejection: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def accept(self) -> None:
        """Count a connection that passed the handshake."""
        with self._lock:
            self.accepted += 1

    def reject(self, exc: BaseException) -> Message:
        """Count a connection ended by ``exc`` (one of :data:`REJECTED`); the ``error`` message that tells the
        client why."""
        with self._lock:
            self.rejected += 1
            self.last_rejection = str(exc) or type(exc).__name__
            return Message(kind="error", fields={"reason": self.last_rejection})


Handler = Callable[[Channel], Awaitable[None]]


async def serve(
    handler: Handler,
    *,
    keys: Keyring,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: FrameLimits | None = None,
    handshake_timeout_s: float = 5.0,
    stats: ServerStats | None = None,
    tls: ssl.SSLContext | None = None,
) -> asyncio.Server:
    """Start a TCP server on ``host:port`` (loopback by default) whose connections run ``handler`` once the peer
    has proved a key that ``keys`` admits; a connection's protocol errors close it and are counted in ``stats``.
    With ``tls``, connections are TLS (:mod:`mcfn.runtime.tls`): one whose TLS handshake fails is closed by the
    event loop before it reaches the runtime's handshake (and is not counted)."""
    counts = stats if stats is not None else ServerStats()
    frame_limits = limits or FrameLimits()

    sessions: set[asyncio.Task[None]] = set()
    unauthenticated = [0]

    async def on_connect(channel: Channel) -> None:
        try:
            await _session(channel, handler, keys, handshake_timeout_s, frame_limits, counts, unauthenticated)
            await channel.close()
        except asyncio.CancelledError:  # the loop is shutting down; asyncio 3.11 would log a cancelled handler
            channel.abort()

    def start_session(protocol: FrameProtocol) -> None:
        if unauthenticated[0] >= MAX_UNAUTHENTICATED:
            counts.reject(ConnectionRefusedError(f"more than {MAX_UNAUTHENTICATED} connections in their handshake"))
            if protocol.transport is not None:
                protocol.transport.abort()
            return
        unauthenticated[0] += 1
        task = asyncio.create_task(on_connect(Channel(protocol)))
        sessions.add(task)
        task.add_done_callback(sessions.discard)

    loop = asyncio.get_running_loop()
    options = {} if tls is None else {"ssl": tls, "ssl_handshake_timeout": handshake_timeout_s}
    return await loop.create_server(lambda: FrameProtocol(HANDSHAKE_LIMITS, start_session), host, port, **options)


async def _session(
    channel: Channel,
    handler: Handler,
    keys: Keyring,
    timeout_s: float,
    limits: FrameLimits,
    counts: ServerStats,
    unauthenticated: list[int],
) -> None:
    """Handshake, then the handler; protocol errors are counted and answered, a vanished peer is not an error."""
    try:
        try:
            channel.peer = await _handshake(channel, keys, timeout_s)
        finally:
            unauthenticated[0] -= 1
        channel.accept_frames(limits)
        counts.accept()
        await handler(channel)
    except REJECTED as exc:
        error = counts.reject(exc)
        with contextlib.suppress(*REJECTED, *GONE):
            await channel.send(error, timeout_s=1.0)
    except GONE:
        pass  # the peer went away
    except Exception:  # a handler bug must not take the server down; it is logged, the connection closed
        log.exception("connection handler failed")


async def _handshake(channel: Channel, keys: Keyring, timeout_s: float) -> Peer:
    challenge = handshake.challenge()
    await channel.send(challenge, timeout_s=timeout_s)
    welcome, peer = handshake.welcome(keys, challenge, await channel.receive(timeout_s=timeout_s))
    await channel.send(welcome, timeout_s=timeout_s)
    return peer
