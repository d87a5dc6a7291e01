"""Reused authenticated connections to many peers: the controller's to its agents, an agent's to the next stage's
agent and to the controller, a client's to its controller.

A request takes an idle connection to its peer's address or opens one (handshake included), and gives it back once
answered, so there are as many connections to a peer as requests in flight to it; an idle one that its peer closed
meanwhile (a restarted controller, a departed agent) is dropped when next taken. A connection that failed in any
other way than an ``error`` answer (:class:`~mcfn.runtime.channel.RemoteError`: the peer said no, the connection is
sound) is dropped, never reused: it may be mid-frame.
"""

from __future__ import annotations

import asyncio

from mcfn.runtime.channel import Channel, RemoteError, connect
from mcfn.runtime.link import LinkProfile
from mcfn.runtime.wire import FrameLimits, Message

Address = tuple[str, int]


class ChannelPool:
    """Idle authenticated connections by peer address."""

    def __init__(self, *, token: bytes, limits: FrameLimits | None = None) -> None:
        self._token = token
        self._limits = limits
        self._idle: dict[Address, list[Channel]] = {}

    async def request(
        self, address: Address, message: Message, *, timeout_s: float, link: LinkProfile | None = None
    ) -> Message:
        """Send ``message`` to ``address`` and return the answer, all within ``timeout_s``; raises what
        :func:`~mcfn.runtime.channel.connect` and :meth:`~mcfn.runtime.channel.Channel.request` raise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        idle = self._idle.get(address)
        while idle:
            channel = idle.pop()
            if channel.usable:
                break
            channel.abort()  # the peer closed it while idle (it left, or restarted): never send on it
        else:
            channel = await connect(*address, token=self._token, timeout_s=timeout_s, limits=self._limits)
        try:
            answer = await channel.request(message, timeout_s=deadline - loop.time(), link=link)
        except RemoteError:
            self._idle.setdefault(address, []).append(channel)
            raise
        except BaseException:
            channel.abort()  # not a graceful close: a hung peer might never take what is still buffered
            raise
        self._idle.setdefault(address, []).append(channel)
        return answer

    async def discard(self, address: Address) -> None:
        """Close the idle connections to ``address`` (its peer left or restarted)."""
        for channel in self._idle.pop(address, []):
            await channel.close()

    async def close(self) -> None:
        """Close every idle connection."""
        for address in list(self._idle):
            await self.discard(address)
