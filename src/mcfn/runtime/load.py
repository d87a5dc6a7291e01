"""Open-loop load: requests arrive as a Poisson process whatever the answers, so queueing shows as it would
with many independent users (a closed loop would slow down with the system and hide it: Schroeder, Wierman &
Harchol-Balter, "Open Versus Closed: A Cautionary Tale", NSDI 2006)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcfn.runtime.client import Client
from mcfn.runtime.controller import InferError


@dataclass(frozen=True, kw_only=True)
class LoadReport:
    """Latency percentiles of the served requests, throughput, and failures by reason."""

    sent: int
    served: int
    elapsed_s: float
    latency_s: dict[str, float]
    failures: dict[str, int]

    @property
    def throughput_per_s(self) -> float:
        return self.served / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "served": self.served,
            "elapsed_s": self.elapsed_s,
            "throughput_per_s": self.throughput_per_s,
            "latency_s": self.latency_s,
            "failures": self.failures,
        }


async def open_loop(
    client: Client,
    *,
    model: str,
    inputs: np.ndarray,
    rate_per_s: float,
    duration_s: float,
    rng: np.random.Generator,
    deadline_s: float | None = None,
    policy: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> LoadReport:
    """Send ``model`` requests (input ``inputs``) at Poisson rate ``rate_per_s`` for ``duration_s``; wait for
    every answer (each bounded by its deadline at the controller) and report."""
    if not rate_per_s > 0 or not duration_s > 0:
        raise ValueError(f"rate and duration must be positive, got {rate_per_s} and {duration_s}")
    arrivals = np.cumsum(rng.exponential(1.0 / rate_per_s, size=int(rate_per_s * duration_s * 2) + 10))
    arrivals = arrivals[arrivals < duration_s]
    latencies: list[float] = []
    failures: Counter[str] = Counter()

    async def one() -> None:
        sent = time.perf_counter()
        try:
            await client.infer(model, inputs, deadline_s=deadline_s, policy=policy)
        except (InferError, OSError, EOFError, TimeoutError) as exc:
            failures[_reason(exc)] += 1
            return
        latencies.append(time.perf_counter() - sent)

    started = time.perf_counter()
    tasks = []
    for at in arrivals:
        await asyncio.sleep(max(0.0, started + at - time.perf_counter()))
        tasks.append(asyncio.create_task(one()))
        if on_progress is not None:
            on_progress(float(at))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    values = np.array(latencies)
    percentiles = {}
    if values.size:
        percentiles = {f"p{q}": float(np.percentile(values, q)) for q in (50, 90, 99)}
        percentiles["mean"] = float(values.mean())
    return LoadReport(
        sent=len(arrivals), served=len(latencies), elapsed_s=elapsed, latency_s=percentiles, failures=dict(failures)
    )


def _reason(exc: BaseException) -> str:
    """A failure's reason without the per-request details, so equal causes count together."""
    text = str(exc) or type(exc).__name__
    return text.split(" (")[0]
