"""A client of the controller: send an input, get the output and the per-stage timings (or the reason why not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mcfn.runtime.channel import RemoteError
from mcfn.runtime.controller import INPUT, OUTPUT, InferError
from mcfn.runtime.pool import ChannelPool
from mcfn.runtime.wire import Message


@dataclass(frozen=True, kw_only=True, eq=False)
class Reply:
    """The controller's answer to one request: the output tensor and the timing fields of
    :meth:`~mcfn.runtime.controller.InferOutcome.fields`."""

    output: np.ndarray
    fields: dict[str, Any]


class Client:
    """Requests to one controller over a small pool of authenticated connections (one per request in flight)."""

    def __init__(self, host: str, port: int, *, token: bytes, timeout_s: float = 30.0) -> None:
        self._address = (host, port)
        self._timeout_s = timeout_s
        self._pool = ChannelPool(token=token)

    async def infer(
        self, model: str, tensor: np.ndarray, *, deadline_s: float | None = None, policy: str | None = None
    ) -> Reply:
        """Serve ``tensor`` with ``model``; raises :class:`InferError` with the controller's reason."""
        fields: dict[str, Any] = {"model": model}
        if deadline_s is not None:
            fields["deadline_s"] = deadline_s
        if policy is not None:
            fields["policy"] = policy
        answer = await self._request(Message(kind="infer", fields=fields, tensors={INPUT: np.asarray(tensor)}))
        if OUTPUT not in answer.tensors:
            raise InferError("the controller answered without an output")
        return Reply(output=answer.tensors[OUTPUT], fields=answer.fields)

    async def status(self) -> dict[str, Any]:
        """The controller's registered agents and their advertised state."""
        return (await self._request(Message(kind="status"))).fields

    async def close(self) -> None:
        await self._pool.close()

    async def _request(self, message: Message) -> Message:
        try:
            return await self._pool.request(self._address, message, timeout_s=self._timeout_s)
        except RemoteError as exc:
            raise InferError(exc.reason) from None
