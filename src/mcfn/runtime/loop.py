"""The runtime's event loop: uvloop (https://github.com/MagicStack/uvloop) where it is installed, asyncio's own
otherwise; ``MCFN_EVENT_LOOP=asyncio`` (or ``uvloop``) forces one.

uvloop runs asyncio's protocols and transports on libuv, with the event loop, transports and timers in C: on this
project's machines a 1 KB echo through a bare protocol took 15 µs on uvloop against 46 µs on asyncio's
pure-Python loop, and through an authenticated :mod:`mcfn.runtime.channel` 42 µs against 50 µs
(``benchmarks/runtime.py`` measures both). Every entry point of the runtime — the
controller and agents of ``mcfn serve`` (agent processes read the same variable), ``mcfn infer``, ``mcfn load``
and the benchmarks — starts its loop with :func:`run`. Agents placed as Ray actors run on Ray's own loop.

uvloop's ``loop.time()`` counts whole milliseconds (libuv's clock), so the runtime bounds operations with it but
measures durations with ``time.perf_counter``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

#: The environment variable that picks the loop.
LOOP_ENV = "MCFN_EVENT_LOOP"
#: The loops there are to pick.
LOOPS = ("uvloop", "asyncio")

Result = TypeVar("Result")


def uvloop_available() -> bool:
    """Whether uvloop can be imported here (it is not built for Windows)."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def available_loops() -> tuple[str, ...]:
    """The loops of :data:`LOOPS` that can run here."""
    return LOOPS if uvloop_available() else tuple(name for name in LOOPS if name != "uvloop")


def loop_name(name: str | None = None) -> str:
    """The loop to use: ``name`` if given, else :data:`LOOP_ENV`'s value, else uvloop where it is installed;
    ``ValueError`` for a name not in :data:`LOOPS`, or uvloop asked for where it is missing."""
    chosen = (name or os.environ.get(LOOP_ENV, "")).strip().lower()
    if not chosen:
        return "uvloop" if uvloop_available() else "asyncio"
    if chosen not in LOOPS:
        raise ValueError(f"unknown event loop {chosen!r} (from {LOOP_ENV} or an option); known: {', '.join(LOOPS)}")
    if chosen == "uvloop" and not uvloop_available():
        raise ValueError(f"event loop uvloop was asked for ({LOOP_ENV}) but is not installed: pip install uvloop")
    return chosen


def loop_factory(name: str | None = None) -> Callable[[], asyncio.AbstractEventLoop]:
    """A function that makes a new event loop of the chosen kind (:func:`loop_name`)."""
    if loop_name(name) == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(coroutine: Coroutine[Any, Any, Result], *, loop: str | None = None) -> Result:
    """``asyncio.run`` on the chosen event loop (:func:`loop_name`)."""
    try:
        factory = loop_factory(loop)
    except ValueError:
        coroutine.close()  # never to run: no "never awaited" warning on top of the error
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coroutine)
