"""What running one stage of a split model costs beyond its layers, measured where the layers are timed.

An agent runs a stage in a worker thread (:func:`mcfn.runtime.plan.run_stage`): the received arrays are copied into
tensors and moved to the device, the part is called, its outputs come back to the host (which waits for the
device) and become arrays. A per-layer table (:func:`mcfn.runtime.timing.measure_table`) times the layers of whole
forward passes whose input is already on the device, so none of that is in it: on a GPU it is about 1–1.5 ms per
stage, more than the layers of a small model take there.

:func:`measure_stage_overhead` runs a probe stage whose part computes nothing — it takes one tensor and returns a
fresh one of another size — through that same path, in a worker thread as the agent does and after :data:`IDLE_S`
of idleness as an agent's stage comes after a network hop, for every pair of input and output sizes in
:data:`PROBE_BYTES`, and fits ``call_s + in_s_per_byte * in + out_s_per_byte * out`` to the median times by
non-negative least squares (Lawson & Hanson, *Solving Least Squares Problems*, 1974, ch. 23: a copy cannot save
time, so no coefficient is negative).
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from mcfn.compute.node import Work
from mcfn.models.measure import StageOverhead
from mcfn.runtime.plan import StagePlan, TensorSpec, run_stage

if TYPE_CHECKING:
    import torch

#: Tensor sizes the probe takes and returns, in bytes: from a small activation to a large one (a 224×224 image is
#: 0.6 MB in float32, resnet18's first activations 0.8 MB).
PROBE_BYTES: tuple[int, ...] = (4 * 1024, 512 * 1024, 4 * 1024 * 1024)

#: Idle seconds before each probe call. An agent's stage starts after a network hop, on a processor that was idle
#: (cold caches, lower clocks): on two shared x86 cores a probe call took 27 µs back to back and 200 µs after
#: 20 ms idle, and a tiny-resnet stage 0.34 ms back to back, 0.47 ms after 2 ms idle and 0.57 ms after 100 ms.
IDLE_S = 0.01


def measure_stage_overhead(device: str = "cpu", *, warmup: int = 3, repeats: int = 10) -> StageOverhead:
    """The cost of one stage call on ``device`` here beyond its layers, fitted to the medians of ``repeats`` timed
    probe calls (after ``warmup``) per size pair; ``ValueError`` if torch cannot use ``device``.

    About ``9 * (warmup + repeats)`` calls moving up to 4 MiB each way, each after :data:`IDLE_S`: about 1.5 s with
    the defaults.
    """
    from mcfn.runtime.device import on_device, torch_device

    if warmup < 0 or repeats < 1:
        raise ValueError(f"warmup must be >= 0 and repeats >= 1, got {warmup} and {repeats}")
    target = torch_device(device)
    sizes, medians = [], []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage-overhead") as pool:
        for in_bytes, out_bytes in itertools.product(PROBE_BYTES, repeat=2):
            stage = _probe_stage(in_bytes, out_bytes)
            part = on_device(_probe_part(out_bytes // 4), target)
            arrays = {"x": np.zeros(in_bytes // 4, dtype=np.float32)}
            times = []
            for _ in range(warmup + repeats):
                time.sleep(IDLE_S)
                times.append(pool.submit(_timed_call, part, stage, arrays).result())
            sizes.append((in_bytes, out_bytes))
            medians.append(statistics.median(times[warmup:]))
    return fit_overhead(np.array(sizes, dtype=float), np.array(medians))


def fit_overhead(sizes: np.ndarray, seconds: np.ndarray) -> StageOverhead:
    """The non-negative least-squares fit of ``seconds[i] ≈ call_s + in_s_per_byte * sizes[i, 0] + out_s_per_byte
    * sizes[i, 1]`` (``sizes``: rows of bytes in and out); columns are scaled to one first, as bytes and a constant
    differ by six orders of magnitude."""
    from scipy.optimize import nnls

    design = np.column_stack([np.ones(len(sizes)), sizes])
    scale = design.max(axis=0)
    coefficients = nnls(design / scale, seconds)[0] / scale
    return StageOverhead(
        call_s=float(coefficients[0]), in_s_per_byte=float(coefficients[1]), out_s_per_byte=float(coefficients[2])
    )


def _timed_call(part: torch.nn.Module, stage: StagePlan, arrays: Mapping[str, np.ndarray]) -> float:
    """Seconds of one stage call, measured in the worker thread as the agent measures its compute time."""
    started = time.perf_counter()
    run_stage(part, stage, arrays)
    return time.perf_counter() - started


def _probe_stage(in_bytes: int, out_bytes: int) -> StagePlan:
    """A stage that receives and reads one float32 tensor ``x`` of ``in_bytes`` and sends one ``y`` of
    ``out_bytes``."""
    return StagePlan(
        model="probe",
        index=0,
        tier="probe",
        pinned=False,
        work=Work(0.0),
        receives=(TensorSpec(name="x", shape=(in_bytes // 4,)),),
        reads=("x",),
        outputs=("y",),
        sends=(TensorSpec(name="y", shape=(out_bytes // 4,)),),
    )


def _probe_part(out_numel: int) -> torch.nn.Module:
    """A part that computes nothing: it returns a fresh float32 tensor of ``out_numel`` on its input's device."""
    from torch import nn

    class Probe(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.new_empty(out_numel)

    return Probe().eval()
