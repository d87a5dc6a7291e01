"""Worker processes for sweeps and comparisons: spawned, and never left behind by their parent.

A pool's workers are ended when the block that uses them ends, however it ends: its last result, an error, Ctrl-C,
or a SIGTERM to the parent (as CI and process managers send), which :func:`stop_on_sigterm` turns into
:class:`SystemExit` so that the pool is torn down before the parent exits. Left running, workers would keep
computing and hold the parent's output pipe open (``mcfn run --jobs 2 | tee log`` would never end).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

#: The exit status of a process ended by SIGTERM (128 + the signal's number), as shells report it.
SIGTERM_STATUS = 128 + signal.SIGTERM


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`SystemExit` (status 143) in the main thread, so that ``with`` and
    ``finally`` clauses run; outside the main thread (where no handler can be set) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def worker_pool(
    jobs: int, *, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> Iterator[multiprocessing.pool.Pool]:
    """A pool of ``jobs`` spawned worker processes (no thread of the caller is forked), terminated when the block
    ends, and on SIGTERM to the parent (:func:`stop_on_sigterm`)."""
    context = multiprocessing.get_context("spawn")
    with stop_on_sigterm(), context.Pool(jobs, initializer, initargs) as pool:  # Pool.__exit__ terminates workers
        yield pool


def progress_queue() -> Any:
    """A queue on which workers report progress to the parent: written straight to its pipe by ``put`` (no feeder
    thread, which a worker busy in compiled code starves until its run ends, leaving the parent's bars at 0)."""
    return multiprocessing.get_context("spawn").SimpleQueue()
