"""A client of the controller: send an input, get the output and the per-stage timings (or the reason why not).

A client keeps one authenticated connection to its controller and multiplexes its requests on it: each carries a
``tag``, and one reader task hands every answer to the request of that tag, in whatever order they come (so a
burst of requests costs no handshake each, nor a connection each in the controller's listen backlog). The
deadline is the client's: a request carries what it leaves when it is sent, and the call returns — answered, or
with the reason why not — within the deadline and :data:`MARGIN_S`, whatever the controller does (a stopped
controller included). A connection that the controller closed while idle is opened again on the next request.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcfn.runtime.auth import AuthError, client_credential
from mcfn.runtime.channel import GONE, Channel, RemoteError, answered, connect
from mcfn.runtime.controller import INPUT, OUTPUT, InferError
from mcfn.runtime.wire import FrameError, Message

#: Seconds a call may take beyond its deadline: the controller's last answer on its way back.
MARGIN_S = 0.05


@dataclass(frozen=True, kw_only=True, eq=False)
class Reply:
    """The controller's answer to one request: the output tensor and the timing fields of
    :meth:`~mcfn.runtime.controller.InferOutcome.fields`."""

    output: np.ndarray
    fields: dict[str, Any]


class Client:
    """Requests to one controller over one multiplexed connection (module docstring); ``token`` is the client token
    of the cluster file; a request without a deadline waits at most ``timeout_s``; ``tls``: a client TLS context
    (:meth:`~mcfn.runtime.tls.TlsFiles.client_context`) for a controller that uses TLS."""

    def __init__(
        self, host: str, port: int, *, token: str, timeout_s: float = 30.0, tls: ssl.SSLContext | None = None
    ) -> None:
        self._address = (host, port)
        self._tls = tls
        self._credential = client_credential(token)
        self._timeout_s = timeout_s
        self._channel: Channel | None = None
        self._connecting = asyncio.Lock()
        self._writing = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._answers: dict[int, tuple[Channel, asyncio.Future[Message]]] = {}
        self._tags = itertools.count()

    async def infer(
        self, model: str, tensor: np.ndarray, *, deadline_s: float | None = None, policy: str | None = None
    ) -> Reply:
        """Serve ``tensor`` with ``model`` within ``deadline_s`` (the model's default at the controller if
        ``None``); raises :class:`InferError` with the controller's reason, or saying that no answer came in time."""
        fields: dict[str, Any] = {"model": model, "sent_at_s": time.time()}
        if deadline_s is not None:
            fields["deadline_s"] = deadline_s
        if policy is not None:
            fields["policy"] = policy
        message = Message(kind="infer", fields=fields, tensors={INPUT: np.asarray(tensor)})
        wait_s = self._timeout_s if deadline_s is None else deadline_s + MARGIN_S
        answer = await self._request(message, wait_s)
        if OUTPUT not in answer.tensors:
            raise InferError("the controller answered without an output")
        return Reply(output=answer.tensors[OUTPUT], fields=answer.fields)

    async def status(self) -> dict[str, Any]:
        """The controller's registered agents and their advertised state."""
        return (await self._request(Message(kind="status"), self._timeout_s)).fields

    async def close(self) -> None:
        """Close the connection (requests in flight fail)."""
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _request(self, message: Message, wait_s: float) -> Message:
        """``message``'s answer within ``wait_s``, over a connection opened anew once if the one there was lost
        (the controller closes idle connections)."""
        where = f"{self._address[0]}:{self._address[1]}"
        try:
            async with asyncio.timeout(wait_s):
                try:
                    answer = await self._exchange(message)
                except AuthError:
                    raise  # refused: trying again would be refused again
                except (*GONE, FrameError):
                    answer = await self._exchange(message)
            return answered(answer)
        except RemoteError as exc:
            raise InferError(exc.reason) from None
        except TimeoutError:
            raise InferError(f"no answer from the controller at {where} within {wait_s:g} s") from None

    async def _exchange(self, message: Message) -> Message:
        channel = await self._connected()
        tag = next(self._tags)
        answer: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._answers[tag] = (channel, answer)
        try:
            async with self._writing:
                try:
                    tagged = Message(kind=message.kind, fields=message.fields | {"tag": tag}, tensors=message.tensors)
                    await channel.send(tagged, timeout_s=self._timeout_s)
                except BaseException:  # cut short, it may have left a frame half sent
                    self._lose(channel, ConnectionResetError("the connection failed while sending"))
                    raise
            return await answer
        finally:
            del self._answers[tag]
            if answer.done() and not answer.cancelled():
                answer.exception()  # seen: a connection lost after this request gave up fails it unawaited

    async def _connected(self) -> Channel:
        async with self._connecting:
            if self._channel is None or not self._channel.usable:
                channel = await connect(
                    *self._address, credential=self._credential, timeout_s=self._timeout_s, tls=self._tls
                )
                self._channel = channel
                self._reader = asyncio.create_task(self._read(channel))
            return self._channel

    async def _read(self, channel: Channel) -> None:
        """Hand every answer on ``channel`` to its request; when the connection ends, fail those still waiting."""
        try:
            while True:
                answer = await channel.receive(timeout_s=None)
                _, waiting = self._answers.get(answer.fields.get("tag", -1), (None, None))
                if waiting is not None and not waiting.done():
                    waiting.set_result(answer)
        except (*GONE, FrameError) as exc:
            self._lose(channel, exc)

    def _lose(self, channel: Channel, error: Exception) -> None:
        """``channel`` is gone: drop it and fail the requests waiting on it."""
        if self._channel is channel:
            self._channel = None
        channel.abort()
        for on, waiting in self._answers.values():
            if on is channel and not waiting.done():
                waiting.set_exception(error)
