"""What each stage an agent hosts takes on the agent's own hardware, measured when the agent starts (or read from a
cache), and the work the controller's router charges for a stage once its agents have said so.

A plan's work per stage (:mod:`mcfn.runtime.plan`) comes from the scenario: one speed per node (op-class FLOPs over
its throughputs) or per-layer tables measured offline on a machine like the node's (:mod:`mcfn.runtime.timing`).
Both misjudge what a stage costs on the agent that runs it: small layers (depthwise convolutions, squeeze-and-excite
blocks, batch norms) cost a fixed interpreter and kernel-launch overhead each, which FLOPs do not see; a table timed
node by node with other thread counts or on another machine does not hold here; and a stage also costs the copy of
its input into tensors and of its outputs back (:mod:`mcfn.runtime.overhead`). So an agent times every stage it
hosts the way it will run it — :func:`~mcfn.runtime.plan.run_stage` on the stage's real input shapes, in a worker
thread with the agent's torch thread count, after a short idleness as a stage that follows a network hop
(:data:`~mcfn.runtime.overhead.IDLE_S`) — and says so in its hello (times its ``slowdown`` when it emulates a slower
processor). Then, in every advert, it gives the median of each stage's latest compute times as it serves
(:class:`StageTimes`): a time measured at start, while the other agents of a machine were starting too, or before
the machine got busier, does not stay wrong. The profile-once-per-deployment approach of Neurosurgeon (Kang et al.,
ASPLOS 2017) predicts per layer on the target; measuring whole stages on the target itself keeps every per-layer
overhead in. The measurement is bounded (:data:`MEASURE_BUDGET_S`, at least one timed run of each stage after the
warm-up the agent does anyway) and kept in a cache keyed by the hardware and the plans
(:func:`hardware_fingerprint`), so an agent restarted on the same machine starts at once.

The router (:mod:`mcfn.routing`) predicts a stage's compute on node ``j`` as ``Σ_c W_c / r_{j,c}`` from the
scenario's throughputs. :func:`calibrated_work` scales a stage's work so that this prediction equals the measured
time on its hosts (the mean ratio over the hosts that measured it: exact where one agent or agents on equal
hardware host it), keeping its op-class mix; the router's contention and queueing terms apply on top unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mcfn.compute.node import OP_CLASSES, Work
from mcfn.runtime.overhead import IDLE_S
from mcfn.runtime.plan import StagePlan, run_stage

if TYPE_CHECKING:
    import torch

#: Seconds an agent spends at most timing its stages at start, beyond one timed run of each (assumed: a few
#: seconds against the tens an agent takes to import torch and build its parts on a shared two-core machine).
MEASURE_BUDGET_S = 3.0
#: Timed runs of each stage when the budget allows; the median is kept.
REPEATS = 7
#: An agent advertises the median of a stage's latest ``WINDOW`` compute times once it has served ``MIN_RUNS``.
WINDOW, MIN_RUNS = 9, 3


def hardware_fingerprint(device: str, torch_threads: int) -> str:
    """What decides a stage's time besides the stage: the processor, the torch build and threads, the device."""
    import torch

    cpu = platform.processor() or platform.machine()
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip() for line in with_cpuinfo.read_text().splitlines() if "model name" in line
        ]
        cpu = names[0] if names else cpu
    accelerator = torch.cuda.get_device_name(device) if device.startswith("cuda") else ""
    return f"{cpu}|{os.cpu_count()}|torch {torch.__version__}|threads {torch_threads}|{device} {accelerator}"


def measure_stage_times(
    parts: Mapping[str, torch.nn.Module],
    stages: Mapping[str, StagePlan],
    *,
    budget_s: float = MEASURE_BUDGET_S,
    repeats: int = REPEATS,
) -> dict[str, float]:
    """Median seconds of one run of each stage (service id → seconds) as an agent runs it (module docstring): rounds
    of one timed run per stage, each after :data:`~mcfn.runtime.overhead.IDLE_S` idle, until ``repeats`` rounds or
    ``budget_s`` have passed (at least one round). The parts should be warm (their first run is slow)."""
    inputs = {
        name: {spec.name: np.zeros(spec.shape, dtype=np.float32) for spec in stage.receives}
        for name, stage in stages.items()
    }
    times: dict[str, list[float]] = {name: [] for name in stages}
    ends = time.monotonic() + budget_s
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage-times") as worker:
        for _ in range(max(repeats, 1)):
            for name, stage in stages.items():
                time.sleep(IDLE_S)
                times[name].append(worker.submit(_timed, parts[name], stage, inputs[name]).result())
            if time.monotonic() >= ends:
                break
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def cached_stage_times(
    cache: Path | None,
    key: str,
    measure: Callable[[], dict[str, float]],
) -> dict[str, float]:
    """The stage times kept in folder ``cache`` under ``key``, or ``measure()``'s, kept there for next time (no cache
    with ``None``; a cache that cannot be read or written is measured past)."""
    path = None if cache is None else cache / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
    if path is not None:
        try:
            return {str(k): float(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
        except (OSError, ValueError, AttributeError):
            pass
    times = measure()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            scratch = path.with_suffix(f".{os.getpid()}.tmp")
            scratch.write_text(json.dumps(times), encoding="utf-8")
            scratch.replace(path)  # atomic: agents of one machine may write the same entry at once
        except OSError:
            pass
    return times


class StageTimes:
    """What each stage of an agent takes: the time measured at start until the stage has served :data:`MIN_RUNS`
    requests, then the median of its latest :data:`WINDOW` compute times (the median: a run that the machine's
    other work delayed does not move it). Thread-safe: the agent's workers observe, its event loop reads."""

    def __init__(self, measured_s: Mapping[str, float]) -> None:
        self._measured = dict(measured_s)
        self._runs: dict[str, deque[float]] = {name: deque(maxlen=WINDOW) for name in measured_s}
        self._lock = threading.Lock()

    def observe(self, name: str, seconds: float) -> None:
        """Record one run of stage ``name`` (ignored for a stage neither measured at start nor tracked)."""
        with self._lock:
            runs = self._runs.get(name)
            if runs is not None and seconds > 0:
                runs.append(seconds)

    def track(self, name: str) -> None:
        """Record the runs of stage ``name`` too, not measured at start (loaded since): known once it has served
        :data:`MIN_RUNS` requests."""
        with self._lock:
            self._runs.setdefault(name, deque(maxlen=WINDOW))

    def current(self) -> dict[str, float]:
        """Seconds of one run of each stage, as now known."""
        with self._lock:
            served = {name: statistics.median(runs) for name, runs in self._runs.items() if len(runs) >= MIN_RUNS}
            return self._measured | served


def calibrated_work(work: Work, seconds_per_flop: np.ndarray, measured_s: Sequence[float]) -> Work:
    """``work`` scaled so that the router's compute prediction ``Σ_c W_c · seconds_per_flop[k, c]`` on host ``k``
    equals ``measured_s[k]`` on average over the hosts (rows of ``seconds_per_flop``, in ``OP_CLASSES`` order);
    ``work`` itself when no host measured it or it has none.

    The scale is taken on the work's mix (its shares of the total), not on the work itself: a work of a few
    subnormal FLOPs would otherwise predict a time that underflows, or whose inverse overflows."""
    total = work.total_flops
    if len(measured_s) == 0 or not total > 0:
        return work
    mix = np.asarray(work.per_op_flops) / total
    predicted = seconds_per_flop @ mix  # seconds a FLOP of this mix takes on each host
    if not np.all(predicted > 0):
        return work
    scaled_total = float(np.mean(np.asarray(measured_s, dtype=float) / predicted))
    return Work(dict(zip(OP_CLASSES, (share * scaled_total for share in mix), strict=True)))


def _timed(part: torch.nn.Module, stage: StagePlan, arrays: Mapping[str, np.ndarray]) -> float:
    started = time.perf_counter()
    run_stage(part, stage, arrays)
    return time.perf_counter() - started
