"""What is routed: a request for a service, or a split request whose stages run in sequence."""

from __future__ import annotations

from dataclasses import dataclass

from mcfn.compute.node import Work


def _check(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"{owner}: {name} must be finite and >= 0, got {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """One task: ``data_bits`` enter at base station ``ingress``, ``work`` runs on an instance of ``service_id``,
    ``result_bits`` return to ``ingress``; everything within ``deadline_s``. With ``result_bits = 0`` nothing
    returns, so no return delay is counted."""

    service_id: str
    ingress: str
    data_bits: float
    work: Work
    deadline_s: float
    result_bits: float = 0.0
    memory_bytes: float = 0.0

    def __post_init__(self) -> None:
        _check("request", data_bits=self.data_bits, result_bits=self.result_bits, memory_bytes=self.memory_bytes)
        if not self.deadline_s > 0:
            raise ValueError(f"request: deadline_s must be positive, got {self.deadline_s}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """One sub-task of a split request: ``work`` on an instance of ``service_id``, producing ``output_bits``."""

    service_id: str
    work: Work
    output_bits: float
    memory_bytes: float = 0.0

    def __post_init__(self) -> None:
        _check(f"stage {self.service_id}", output_bits=self.output_bits, memory_bytes=self.memory_bytes)


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitRequest:
    """A split service: ``data_bits`` enter at ``ingress``, pass through ``stages`` in order (each stage's output
    is the next one's input), and the last stage's output returns to ``ingress`` (unless it is empty), all within
    ``deadline_s``."""

    ingress: str
    data_bits: float
    stages: tuple[Stage, ...]
    deadline_s: float

    def __post_init__(self) -> None:
        _check("split request", data_bits=self.data_bits)
        if not self.stages:
            raise ValueError("split request: needs at least one stage")
        if not self.deadline_s > 0:
            raise ValueError(f"split request: deadline_s must be positive, got {self.deadline_s}")
