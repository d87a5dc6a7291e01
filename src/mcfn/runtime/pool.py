"""Reused authenticated connections to many peers: the controller's to its agents, an agent's to the next stage's
agent and to the controller, a client's to its controller.

A request takes an idle connection to its peer's address or opens one (handshake included), and gives it back once
answered, so there are as many connections to a peer as requests in flight to it; an idle one that its peer closed
meanwhile (a restarted controller, a departed agent) is dropped when next taken. A connection that failed in any
other way than an ``error`` answer (:class:`~mcfn.runtime.channel.RemoteError`: the peer said no, the connection is
sound) is dropped, never reused: it may be mid-frame. A connection idle for longer than :data:`IDLE_S` is closed
when the pool is next used for its peer (the peer's server closes it after as long anyway: its thread or buffer
is not kept for a burst long past). With a TLS context (:mod:`mcfn.runtime.tls`) every connection is TLS.
:class:`ChannelPool` holds event-loop channels (:mod:`mcfn.runtime.channel`), :class:`BlockingPool` blocking ones for
threads (:mod:`mcfn.runtime.blocking`).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from typing import Any

from mcfn.runtime import blocking
from mcfn.runtime.auth import Credential
from mcfn.runtime.blocking import BlockingChannel
from mcfn.runtime.channel import Channel, RemoteError, connect
from mcfn.runtime.link import LinkProfile
from mcfn.runtime.wire import FrameLimits, Message

Address = tuple[str, int]

#: Seconds a pooled connection may stay idle; servers close connections idle for as long.
IDLE_S = 30.0


class _Idle:
    """Idle connections by peer address, taken and given back under a lock (a blocking pool serves threads)."""

    def __init__(
        self,
        *,
        credential: Credential,
        limits: FrameLimits | None = None,
        idle_s: float = IDLE_S,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._credential = credential
        self._tls = tls
        self._limits = limits
        self._idle_s = idle_s
        self._idle: dict[Address, list[tuple[Any, float]]] = {}  # by peer: (connection, idle since), oldest first
        self._lock = threading.Lock()

    def _take(self, address: Address) -> Any:
        """An idle connection to ``address`` that its peer has not closed, or ``None``."""
        while True:
            with self._lock:
                idle = self._idle.get(address)
                if not idle:
                    return None
                channel, _ = idle.pop()
            if channel.usable:
                return channel
            channel.abort()  # the peer closed it while idle (it left, or restarted): never send on it

    def _give(self, address: Address, channel: Any) -> None:
        """Keep ``channel`` for the next request to ``address``; abort the connections idle for too long there."""
        now = time.monotonic()
        with self._lock:
            idle = self._idle.setdefault(address, [])
            idle.append((channel, now))
            stale = 0
            while stale < len(idle) and now - idle[stale][1] > self._idle_s:
                stale += 1
            expired, idle[:stale] = idle[:stale], []
        for old, _ in expired:
            old.abort()

    @property
    def idle(self) -> int:
        """Idle connections held, to every peer."""
        with self._lock:
            return sum(map(len, self._idle.values()))

    def _drop(self, address: Address | None) -> list[Any]:
        """Forget the idle connections to ``address`` (``None``: to every peer), to be closed by the caller."""
        with self._lock:
            if address is not None:
                return [channel for channel, _ in self._idle.pop(address, [])]
            dropped = [channel for channels in self._idle.values() for channel, _ in channels]
            self._idle.clear()
            return dropped


class ChannelPool(_Idle):
    """Idle authenticated event-loop connections by peer address."""

    async def request(
        self, address: Address, message: Message, *, timeout_s: float, link: LinkProfile | None = None
    ) -> Message:
        """Send ``message`` to ``address`` and return the answer, all within ``timeout_s``; raises what
        :func:`~mcfn.runtime.channel.connect` and :meth:`~mcfn.runtime.channel.Channel.request` raise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        channel: Channel = self._take(address) or await connect(
            *address, credential=self._credential, timeout_s=timeout_s, limits=self._limits, tls=self._tls
        )
        try:
            answer = await channel.request(message, timeout_s=deadline - loop.time(), link=link)
        except RemoteError:
            self._give(address, channel)
            raise
        except BaseException:
            channel.abort()  # not a graceful close: a hung peer might never take what is still buffered
            raise
        self._give(address, channel)
        return answer

    async def discard(self, address: Address) -> None:
        """Close the idle connections to ``address`` (its peer left or restarted)."""
        for channel in self._drop(address):
            await channel.close()

    async def close(self) -> None:
        """Close every idle connection."""
        for channel in self._drop(None):
            await channel.close()


class BlockingPool(_Idle):
    """Idle authenticated blocking connections by peer address, for any number of threads."""

    def request(
        self, address: Address, message: Message, *, timeout_s: float, link: LinkProfile | None = None
    ) -> Message:
        """Send ``message`` to ``address`` and return the answer, all within ``timeout_s``; raises what
        :func:`~mcfn.runtime.blocking.connect` and :meth:`~mcfn.runtime.blocking.BlockingChannel.request` raise."""
        deadline = time.monotonic() + timeout_s
        channel: BlockingChannel = self._take(address) or blocking.connect(
            *address, credential=self._credential, timeout_s=timeout_s, limits=self._limits, tls=self._tls
        )
        try:
            answer = channel.request(message, timeout_s=deadline - time.monotonic(), link=link)
        except RemoteError:
            self._give(address, channel)
            raise
        except BaseException:
            channel.abort()
            raise
        self._give(address, channel)
        return answer

    def close(self) -> None:
        """Close every idle connection."""
        for channel in self._drop(None):
            channel.close()
