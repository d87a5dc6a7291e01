"""What the controller tells a request it will take: the router's placement, with each stage's compute and network
as measured on this cluster rather than as the scenario's figures say.

The router (:mod:`mcfn.routing`) places stages with one work per stage (its agents' mean measured time,
:func:`~mcfn.runtime.stage_times.calibrated_work`) and the topology's links: a hop costs its delays and its bits over
the bottleneck bandwidth. What it predicts for the placement it chose is then corrected twice (:func:`predict`):

- **compute**: each stage's time is that of the agent it was placed on (its measured stage time, times the
  contention factor the router applied there), not the mean over the stage's hosts;
- **network**: a hop also costs what no link figure holds — framing and copying the tensors, the system calls, the
  wake-up of the thread that receives them, and on a busy machine its wait for a CPU — about a millisecond or more
  per hop on a shared two-core machine, which is most of a small model's route. :class:`HopOverhead` keeps, per
  stage, the median over its latest :data:`~mcfn.runtime.stage_times.WINDOW` served requests of the difference
  between the measured and the predicted network time of the stage's hop in (and, for the last stage, the
  result's way home), and adds it.

Measuring in operation and correcting the model's parameters is what the runtime's monitoring-and-feedback loops
do in adaptive DNN partitioning (e.g. Li et al., "Edge AI: On-Demand Accelerating Deep Neural Network Inference
via Edge Computing", IEEE TWC 2020, which fits per-layer regression models to measured times).
"""

from __future__ import annotations

import statistics
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from mcfn.routing import StagedRoute
from mcfn.runtime.stage_times import MIN_RUNS, WINDOW


@dataclass(frozen=True, kw_only=True)
class StagePrediction:
    """What one placed stage is predicted to take: its hop in (and home, for the last), queueing, compute."""

    network_s: float
    queue_s: float
    compute_s: float


class HopOverhead:
    """Per stage, the median of the latest measured-minus-predicted network times (module docstring); 0 until
    a stage has :data:`~mcfn.runtime.stage_times.MIN_RUNS` of them."""

    def __init__(self) -> None:
        self._residuals: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def observe(self, stage: str, measured_s: float, predicted_s: float) -> None:
        with self._lock:
            self._residuals.setdefault(stage, deque(maxlen=WINDOW)).append(measured_s - predicted_s)

    def seconds(self, stage: str) -> float:
        with self._lock:
            residuals = self._residuals.get(stage)
            return statistics.median(residuals) if residuals is not None and len(residuals) >= MIN_RUNS else 0.0


def predict(
    route: StagedRoute,
    stages: Sequence[str],
    *,
    charged_s: Sequence[float],
    measured_s: Sequence[float | None],
    overhead: HopOverhead,
) -> tuple[StagePrediction, ...]:
    """Each stage of ``route`` (service ids ``stages``) as predicted on this cluster: compute scaled from the
    ``charged_s`` the router's work costs alone on the placed node to the ``measured_s`` there (unchanged where
    ``None``), network plus the stage's learnt hop overhead (never below zero)."""
    predictions = []
    for k, placed in enumerate(route.stages):
        compute_s = placed.compute_s
        if measured_s[k] is not None and charged_s[k] > 0:
            compute_s *= measured_s[k] / charged_s[k]  # keeps the router's contention factor
        network_s = max(placed.network_s + overhead.seconds(stages[k]), 0.0)
        predictions.append(StagePrediction(network_s=network_s, queue_s=placed.queue_s, compute_s=compute_s))
    return tuple(predictions)


def total_s(predictions: Sequence[StagePrediction]) -> float:
    """The end-to-end latency of a route so predicted."""
    return sum(p.network_s + p.queue_s + p.compute_s for p in predictions)
