"""Helpers for the runtime tests: run a coroutine with a hard time limit, on the runtime's event loop; the frame
socket implementations to hold to one another."""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Coroutine
from typing import Any

import pytest

from mcfn import _accelerated
from mcfn.runtime import frames
from mcfn.runtime import loop as event_loop
from mcfn.runtime.auth import ClusterKeys, client_credential

#: The cluster secret of the tests' clusters; their keys (which admit clients and agents of the nodes the tests'
#: scenarios use), a client's token and credential.
SECRET = "test-cluster-token-0123456789"
KEYS = ClusterKeys(SECRET, ("edge0", "edge1", "cloud", "ue0"))
CLIENT_TOKEN = KEYS.client_token
CLIENT = client_credential(CLIENT_TOKEN)


def run(coroutine: Coroutine[Any, Any, Any], timeout_s: float = 60.0) -> Any:
    """:func:`mcfn.runtime.loop.run` (the loop that ``MCFN_EVENT_LOOP`` picks) that fails the test instead of
    hanging after ``timeout_s``."""

    async def bounded() -> Any:
        async with asyncio.timeout(timeout_s):
            return await coroutine

    return event_loop.run(bounded())


def frame_socket_class(name: str) -> type:
    """The frame socket implementation ``name``: ``"python"`` (the reference, :mod:`mcfn.runtime.frames`) or
    ``"compiled"`` (``mcfn.runtime._frames``: skips the test where it was not built, fails it where the build must
    have compiled, as ``make test`` says with ``MCFN_REQUIRE_COMPILED=1``)."""
    if name == "python":
        return frames.FrameSocket
    try:
        return importlib.import_module("mcfn.runtime._frames").FrameSocket
    except ModuleNotFoundError:
        if os.environ.get("MCFN_REQUIRE_COMPILED") == "1" and not _accelerated.pure_python_requested():
            raise
        pytest.skip("mcfn.runtime._frames is not compiled here")


FRAME_SOCKETS = ["python", "compiled"]
