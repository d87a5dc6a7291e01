"""Measured per-node latency: time every traced node of a model on this machine.

An ``fx.Interpreter`` runs the traced module node by node; after ``warmup`` untimed passes, ``repeats`` timed
passes give each node's median wall time (medians resist the scheduler's outliers). The table is JSON::

    {"model": "resnet18", "machine": "x86_64, 2 threads", "warmup": 3, "repeats": 10,
     "node_latency_s": {"conv1": 0.0021, ...}}

The planner's ``measured`` cost model (:func:`mcfn.partition.cost.measured_compute_s`) scales these times to
each tier. Only :func:`measure_latency` needs torch.
"""

from __future__ import annotations

import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, ValidationError

from mcfn.validation import StrictModel, read_json, validation_message

if TYPE_CHECKING:
    import torch
    from torch import fx


class LatencyTableError(ValueError):
    """A latency table that cannot be used; the message is one line naming the problem."""


@dataclass(frozen=True)
class LatencyTable:
    """Median seconds of each node of ``model`` on the machine described by ``machine``."""

    model: str
    machine: str
    warmup: int
    repeats: int
    node_latency_s: dict[str, float]

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "machine": self.machine,
            "warmup": self.warmup,
            "repeats": self.repeats,
            "node_latency_s": self.node_latency_s,
        }


class _Table(StrictModel):
    model: Annotated[str, Field(min_length=1)]
    machine: str = ""
    warmup: Annotated[int, Field(ge=0)] = 0
    repeats: Annotated[int, Field(ge=1)] = 1
    node_latency_s: dict[str, Annotated[float, Field(ge=0)]]


def load_latency_table(path: str | Path) -> LatencyTable:
    """Read and validate a latency table JSON file; errors name the file and field."""
    document = read_json(path, LatencyTableError)
    try:
        table = _Table.model_validate(document)
    except ValidationError as exc:
        raise LatencyTableError(f"{path}: {validation_message(exc)}") from None
    return LatencyTable(table.model, table.machine, table.warmup, table.repeats, dict(table.node_latency_s))


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
