"""What is routed: a request for a service, or a split request whose stages run in sequence."""

from __future__ import annotations

from dataclasses import dataclass, field

from mcfn.compute.node import OP_CLASSES, Work


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
    """One sub-task of a split request: ``work`` on an instance of ``service_id``, producing ``output_bits``.

    With ``tiles > 1`` it is split vertically into ``tiles`` parallel sub-tasks on distinct instances, each taking
    :attr:`share` ``= (1 + halo) / tiles`` of the stage's input and work (``tile_work``) and producing ``1 / tiles``
    of its output (DeepThings' fused tiles, Zhao et al., IEEE TCAD 2018; ``halo``: the extra input each tile needs
    from its neighbours' region)."""

    service_id: str
    work: Work
    output_bits: float
    memory_bytes: float = 0.0
    tiles: int = 1
    halo: float = 0.0
    tile_work: Work = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check(f"stage {self.service_id}", output_bits=self.output_bits, memory_bytes=self.memory_bytes, halo=self.halo)
        if not 1 <= self.tiles <= 16:
            raise ValueError(f"stage {self.service_id}: tiles must be 1 to 16, got {self.tiles}")
        share = self.share
        work = self.work
        if self.tiles > 1:
            work = Work(dict(zip(OP_CLASSES, (f * share for f in work.per_op_flops), strict=True)))
        object.__setattr__(self, "tile_work", work)

    @property
    def share(self) -> float:
        """The share of the stage's input and work that each tile takes: ``(1 + halo) / tiles`` (1 untiled: a
        halo is an overlap between tiles)."""
        return 1.0 if self.tiles == 1 else (1.0 + self.halo) / self.tiles


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
