"""Measured per-node latency: time every traced node of a model on this machine.

An ``fx.Interpreter`` runs the traced module node by node; after ``warmup`` untimed passes, ``repeats`` timed
passes give each node's median wall time (medians resist the scheduler's outliers). The table is JSON::

    {"model": "resnet18", "machine": "x86_64, 2 threads", "warmup": 3, "repeats": 10,
     "node_latency_s": {"conv1": 0.0021, ...},
     "stage_overhead": {"call_s": 0.00012, "in_s_per_byte": 1.1e-10, "out_s_per_byte": 9e-11}}

``stage_overhead`` is optional (:class:`StageOverhead`): what running one stage of a split model costs beyond its
layers on the measuring machine and device (:func:`mcfn.runtime.overhead.measure_stage_overhead`); tables without
it are read as before.

The planner's ``measured`` cost model (:func:`mcfn.partition.cost.measured_compute_s`) scales these times to
each tier. Only :func:`measure_latency` needs torch.
"""

from __future__ import annotations

import math
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, ValidationError

from mcfn.validation import StrictModel, read_json, validation_message

if TYPE_CHECKING:
    import torch
    from torch import fx


class LatencyTableError(ValueError):
    """A latency table that cannot be used; the message is one line naming the problem."""


@dataclass(frozen=True, kw_only=True)
class StageOverhead:
    """Seconds one stage of a split model costs beyond its layers' time, for ``in_bytes`` of tensors taken in and
    ``out_bytes`` given back: ``call_s + in_s_per_byte * in_bytes + out_s_per_byte * out_bytes`` (a per-call cost
    plus per-byte copy costs, host to device and back on a GPU)."""

    call_s: float
    in_s_per_byte: float
    out_s_per_byte: float

    def __post_init__(self) -> None:
        for name in ("call_s", "in_s_per_byte", "out_s_per_byte"):
            value = getattr(self, name)
            if not 0 <= value < math.inf:
                raise ValueError(f"stage overhead: {name} must be finite and >= 0, got {value}")

    def seconds(self, in_bytes: float, out_bytes: float) -> float:
        """The overhead of one stage call taking ``in_bytes`` and returning ``out_bytes``."""
        return self.call_s + self.in_s_per_byte * in_bytes + self.out_s_per_byte * out_bytes


@dataclass(frozen=True)
class LatencyTable:
    """Median seconds of each node of ``model`` on the machine described by ``machine``, and optionally the
    overhead of running a stage there (module docstring)."""

    model: str
    machine: str
    warmup: int
    repeats: int
    node_latency_s: dict[str, float]
    stage_overhead: StageOverhead | None = None

    def to_json_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "model": self.model,
            "machine": self.machine,
            "warmup": self.warmup,
            "repeats": self.repeats,
            "node_latency_s": self.node_latency_s,
        }
        if self.stage_overhead is not None:
            document["stage_overhead"] = asdict(self.stage_overhead)
        return document


NonNegative = Annotated[float, Field(ge=0)]


class _Overhead(StrictModel):
    call_s: NonNegative
    in_s_per_byte: NonNegative
    out_s_per_byte: NonNegative


class _Table(StrictModel):
    model: Annotated[str, Field(min_length=1)]
    machine: str = ""
    warmup: Annotated[int, Field(ge=0)] = 0
    repeats: Annotated[int, Field(ge=1)] = 1
    node_latency_s: dict[str, NonNegative]
    stage_overhead: _Overhead | None = None


def load_latency_table(path: str | Path) -> LatencyTable:
    """Read and validate a latency table JSON file; errors name the file and field."""
    document = read_json(path, LatencyTableError)
    try:
        table = _Table.model_validate(document)
    except ValidationError as exc:
        raise LatencyTableError(f"{path}: {validation_message(exc)}") from None
    overhead = None if table.stage_overhead is None else StageOverhead(**table.stage_overhead.model_dump())
    return LatencyTable(table.model, table.machine, table.warmup, table.repeats, dict(table.node_latency_s), overhead)


def measure_latency(
    module: fx.GraphModule,
    example: torch.Tensor,
    *,
    name: str,
    warmup: int = 3,
    repeats: int = 10,
    device: str = "cpu",
) -> LatencyTable:
    """Time every node of ``module`` (from :func:`mcfn.models.profile.profile_model`) on ``example``.

    On a CUDA ``device`` the stream is synchronised before and after each node, so a node's time is its own
    kernels' (plus launch overhead), not whatever was still queued when it started.
    """
    import torch
    from torch import fx

    target = torch.device(device)
    if target.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but torch sees no CUDA device here")
    sync = torch.cuda.synchronize if target.type == "cuda" else (lambda: None)
    module = module.to(target).eval()
    example = example.to(target)
    samples: dict[str, list[float]] = {}

    class _Timer(fx.Interpreter):
        def run_node(self, n: fx.Node) -> Any:
            sync()
            start = time.perf_counter()
            result = super().run_node(n)
            sync()
            if n.op not in ("output", "get_attr"):
                samples.setdefault(n.name, []).append(time.perf_counter() - start)
            return result

    timer = _Timer(module)
    with torch.no_grad():
        for _ in range(warmup):
            timer.run(example)
        samples.clear()
        for _ in range(repeats):
            timer.run(example)
    latency = {node: statistics.median(times) for node, times in samples.items()}
    return LatencyTable(
        model=name, machine=machine_name(target), warmup=warmup, repeats=repeats, node_latency_s=latency
    )


def machine_name(device: torch.device) -> str:
    """What the times were measured on: the GPU's name, or the CPU and its thread count."""
    import torch

    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    return f"{platform.machine()}, {platform.processor() or 'cpu'}, {torch.get_num_threads()} threads"
