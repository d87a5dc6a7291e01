"""Open-loop load: requests arrive as a Poisson process whatever the answers, so queueing shows as it would
with many independent users (a closed loop would slow down with the system and hide it: Schroeder, Wierman &
Harchol-Balter, "Open Versus Closed: A Cautionary Tale", NSDI 2006).

Every request carries the same deadline, and the report judges the cluster by it: *goodput* is the rate of
requests served within their deadline; a refusal (the controller shed the request at once, saying so) and a
failure are counted by reason; an answer of either kind that came later than the deadline and
:data:`LATE_MARGIN_S` is *late* — what a client must never see. :func:`capacity` measures the most the cluster
serves with a given number of requests in flight (a closed loop), :func:`saturation` the most it serves in time
under open-loop load (doubling the rate until it no longer keeps up: a closed loop of one client is bound by its
own round trips, and may not fill a cluster whose stages pipeline), and :func:`sweep` runs the open loop at rates
relative to either, the overload curve of ``mcfn load --sweep`` and ``benchmarks/runtime.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcfn.runtime.client import Client
from mcfn.runtime.controller import InferError

#: How late past its deadline an answer may come before it counts as late (the issue's bound).
LATE_MARGIN_S = 0.1
#: Share of the offered rate served in time below which :func:`saturation` takes the cluster to be saturated.
KEEPING_UP = 0.9
#: How many times :func:`saturation` doubles the rate at most.
MAX_DOUBLINGS = 5
#: Reason prefix of a request the controller shed (:meth:`~mcfn.runtime.controller.Controller.infer`).
OVERLOADED = "overloaded"


@dataclass(frozen=True, kw_only=True)
class LoadReport:
    """What one run of load did: requests sent, served (and within the deadline), latency percentiles of the
    served ones, failures by reason (refusals among them), answers later than the deadline and the margin."""

    rate_per_s: float
    deadline_s: float
    sent: int
    served: int
    on_time: int
    elapsed_s: float
    latency_s: dict[str, float]
    failures: dict[str, int]
    late: int
    #: Loads the served requests waited for, and the seconds they waited (:mod:`mcfn.runtime.deployment`).
    cold_starts: int = 0
    cold_start_s: float = 0.0
    #: Seconds of the served requests' latencies, summed.
    latency_sum_s: float = 0.0

    @property
    def throughput_per_s(self) -> float:
        return self.served / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def goodput_per_s(self) -> float:
        """Requests served within their deadline, per second."""
        return self.on_time / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def refused(self) -> int:
        return sum(count for reason, count in self.failures.items() if reason.startswith(OVERLOADED))

    @property
    def cold_starts_per_request(self) -> float:
        return self.cold_starts / self.served if self.served else 0.0

    @property
    def cold_start_share(self) -> float:
        """The share of the served requests' latency spent waiting for loads."""
        return self.cold_start_s / self.latency_sum_s if self.latency_sum_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "rate_per_s": self.rate_per_s,
            "deadline_s": self.deadline_s,
            "sent": self.sent,
            "served": self.served,
            "on_time": self.on_time,
            "refused": self.refused,
            "late": self.late,
            "elapsed_s": self.elapsed_s,
            "throughput_per_s": self.throughput_per_s,
            "goodput_per_s": self.goodput_per_s,
            "latency_s": self.latency_s,
            "failures": self.failures,
            "cold_starts_per_request": self.cold_starts_per_request,
            "cold_start_share": self.cold_start_share,
        }


async def open_loop(
    client: Client,
    *,
    model: str,
    inputs: np.ndarray,
    rate_per_s: float,
    duration_s: float,
    deadline_s: float,
    rng: np.random.Generator,
    policy: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> LoadReport:
    """Send ``model`` requests (input ``inputs``) at Poisson rate ``rate_per_s`` for ``duration_s``, each with
    ``deadline_s``; wait for every answer (the client bounds each by its deadline) and report. Throughput counts
    over the whole ``duration_s``, or over the time the requests took to send if this client fell behind."""
    if not rate_per_s > 0 or not duration_s > 0 or not deadline_s > 0:
        raise ValueError(f"rate, duration and deadline must be positive, got {rate_per_s}, {duration_s}, {deadline_s}")
    arrivals = np.cumsum(rng.exponential(1.0 / rate_per_s, size=int(rate_per_s * duration_s * 2) + 10))
    arrivals = arrivals[arrivals < duration_s]
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    late = 0
    cold: list[tuple[int, float]] = []

    async def one() -> None:
        nonlocal late
        sent = time.perf_counter()
        try:
            reply = await client.infer(model, inputs, deadline_s=deadline_s, policy=policy)
        except (InferError, OSError, EOFError, TimeoutError) as exc:
            failures[_reason(exc)] += 1
        else:
            latencies.append(time.perf_counter() - sent)
            cold.append((reply.fields.get("cold_starts", 0), reply.fields.get("cold_start_s", 0.0)))
        if time.perf_counter() - sent > deadline_s + LATE_MARGIN_S:
            late += 1

    started = time.perf_counter()
    tasks = []
    for at in arrivals:
        await asyncio.sleep(max(0.0, started + at - time.perf_counter()))
        tasks.append(asyncio.create_task(one()))
        if on_progress is not None:
            on_progress(float(at))
    sending_s = time.perf_counter() - started  # longer than the arrivals' span if this client could not keep up
    await asyncio.gather(*tasks)
    values = np.array(latencies)
    percentiles = {}
    if values.size:
        percentiles = {f"p{q}": float(np.percentile(values, q)) for q in (50, 90, 99)}
        percentiles["mean"] = float(values.mean())
    return LoadReport(
        rate_per_s=rate_per_s,
        deadline_s=deadline_s,
        sent=len(arrivals),
        served=len(latencies),
        on_time=int((values <= deadline_s).sum()),
        elapsed_s=max(duration_s, sending_s),
        latency_s=percentiles,
        failures=dict(failures),
        late=late,
        cold_starts=sum(n for n, _ in cold),
        cold_start_s=sum(s for _, s in cold),
        latency_sum_s=float(values.sum()),
    )


async def capacity(
    client: Client, *, model: str, inputs: np.ndarray, deadline_s: float, duration_s: float, in_flight: int
) -> float:
    """Requests per second the cluster serves with ``in_flight`` requests always outstanding (a closed loop, so it
    never queues more than that; a refused one is sent again after a fiftieth of its deadline), counted over the
    last three quarters of ``duration_s`` (the first warms the cluster up): its capacity, if ``in_flight`` keeps
    every worker busy."""
    served = 0
    started = time.perf_counter()
    counted_from, end = started + duration_s / 4, started + duration_s

    async def worker() -> None:
        nonlocal served
        while time.perf_counter() < end:
            try:
                await client.infer(model, inputs, deadline_s=deadline_s)
            except InferError:
                await asyncio.sleep(deadline_s / 50)  # shed: the cluster is full; ask again shortly
                continue
            if time.perf_counter() >= counted_from:
                served += 1

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return served / (time.perf_counter() - counted_from)


async def saturation(
    client: Client, *, start_per_s: float, on_progress: Callable[[float], None] | None = None, **load: Any
) -> float:
    """The most requests per second served within their deadline under :func:`open_loop` with the options
    ``load``, from ``start_per_s`` doubling the rate until goodput falls below :data:`KEEPING_UP` of the rate
    offered, at most :data:`MAX_DOUBLINGS` times (each rate's goodput is told to ``on_progress``)."""
    rate, best = start_per_s, 0.0
    for _ in range(MAX_DOUBLINGS + 1):
        report = await open_loop(client, rate_per_s=rate, **load)
        best = max(best, report.goodput_per_s)
        if on_progress is not None:
            on_progress(report.goodput_per_s)
        if report.goodput_per_s < KEEPING_UP * rate:
            break
        rate *= 2
    return best


async def sweep(
    client: Client,
    *,
    rates_per_s: Sequence[float],
    on_progress: Callable[[int], None] | None = None,
    **load: Any,
) -> list[LoadReport]:
    """:func:`open_loop` with the options ``load`` at each of ``rates_per_s`` in turn (after the answers of the one
    before are in); ``on_progress`` is told how many are done."""
    reports = []
    for k, rate in enumerate(rates_per_s):
        reports.append(await open_loop(client, rate_per_s=rate, **load))
        if on_progress is not None:
            on_progress(k + 1)
    return reports


def _reason(exc: BaseException) -> str:
    """A failure's reason without the per-request details, so equal causes count together."""
    text = str(exc) or type(exc).__name__
    return OVERLOADED if text.startswith(OVERLOADED) else text.split(" (")[0]
