"""What the orchestration layer is asked to deploy: service requests of terminals, already split into stages.

The split planner (the partitioning issue) turns a model into stages; until it is wired in, a request carries the
stage list itself (:class:`~mcfn.routing.request.Stage`: work, output size, service id of the stage's instances),
so any planner's output maps onto it one to one.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcfn.allocation.problem import AccuracyCurve
from mcfn.routing.request import SplitRequest, Stage


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceRequest:
    """One terminal's request: its raw data, the stages that process it, deadline and accuracy needs, radio.

    ``accuracy`` is the service's accuracy vs processed data (seed eq. 1) and ``min_accuracy`` its floor;
    ``tx_power_w`` and ``channel_gain`` describe the terminal's uplink to ``ingress``; ``work_scales_with_input``
    says whether the first stage's work shrinks with the compressed input (seed §3.2's ``c α``) or stays fixed.
    """

    id: str
    terminal: str
    ingress: str
    data_bits: float
    stages: tuple[Stage, ...]
    deadline_s: float
    accuracy: AccuracyCurve
    min_accuracy: float
    tx_power_w: float
    channel_gain: float
    work_scales_with_input: bool = False

    def __post_init__(self) -> None:
        if not self.data_bits > 0:
            raise ValueError(f"request {self.id}: data_bits must be positive, got {self.data_bits}")
        if self.tx_power_w <= 0 or self.channel_gain <= 0:
            raise ValueError(f"request {self.id}: tx_power_w and channel_gain must be positive")
        if not 0 <= self.min_accuracy < self.accuracy.p:
            raise ValueError(f"request {self.id}: min_accuracy must be in [0, p) = [0, {self.accuracy.p:g})")
        self.split()  # validates data, stages and deadline

    def split(self) -> SplitRequest:
        """The request as the router sees it, once its data is at the base station."""
        return SplitRequest(
            ingress=self.ingress, data_bits=self.data_bits, stages=self.stages, deadline_s=self.deadline_s
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RadioSettings:
    """Uplink and allocation settings shared by every base station (docs/formats/allocation.md's system inputs)."""

    bandwidth_hz: float = 20e6
    noise_psd_dbm_hz: float = -174.0
    weight: float = 0.5
    min_compression: float = 0.05
    method: str = "exact"
