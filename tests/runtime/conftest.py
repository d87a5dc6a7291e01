"""Helpers for the runtime tests: run a coroutine with a hard time limit, on the runtime's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from mcfn.runtime import loop as event_loop

TOKEN = b"test-cluster-token-0123456789"


def run(coroutine: Coroutine[Any, Any, Any], timeout_s: float = 60.0) -> Any:
    """:func:`mcfn.runtime.loop.run` (the loop that ``MCFN_EVENT_LOOP`` picks) that fails the test instead of
    hanging after ``timeout_s``."""

    async def bounded() -> Any:
        async with asyncio.timeout(timeout_s):
            return await coroutine

    return event_loop.run(bounded())
