"""Instance JSON (``docs/formats/allocation.md``, SI units): validated reading and writing.

Validation happens here, once, at the boundary; errors are :class:`InstanceError` with one line that names the
offending field, e.g. ``tasks[3].accuracy.p: must exceed min_accuracy (0.55), got 0.5``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from mcfn.allocation.problem import AccuracyCurve, Instance, Task
from mcfn.validation import StrictModel, load_json, validation_message


class InstanceError(ValueError):
    """An instance file or document that cannot be used; the message is one line naming the problem."""


Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class _Accuracy(StrictModel):
    p: Annotated[float, Field(le=1)]
    q: Positive
    r: Positive


class _Task(StrictModel):
    id: Annotated[str, Field(min_length=1)]
    terminal: Annotated[str, Field(min_length=1)]
    data_bits: Positive
    cycles_per_bit: Positive
    accuracy: _Accuracy
    min_accuracy: Annotated[float, Field(ge=0, lt=1)]
    deadline_s: Positive
    tx_power_w: Positive
    channel_gain: Positive
    parallel: Annotated[int, Field(ge=1)]
    upload_power_w: Positive | None = None

    @model_validator(mode="after")
    def _floor_below_p(self) -> _Task:
        if self.accuracy.p <= self.min_accuracy:
            raise ValueError(
                f"accuracy.p ({self.accuracy.p:g}) must exceed min_accuracy ({self.min_accuracy:g}): "
                "the accuracy curve never reaches the floor"
            )
        return self


class _Instance(StrictModel):
    bandwidth_hz: Positive
    noise_psd_dbm_hz: float
    edge_capacity_hz: Positive
    vm_capacity_hz: Positive
    degradation: Annotated[float, Field(ge=0)]
    weight: Annotated[float, Field(ge=0, le=1)]
    min_compression: Annotated[float, Field(gt=0, le=1)]
    energy_weight: NonNegative = 0.0
    tasks: Annotated[list[_Task], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> _Instance:
        seen: set[str] = set()
        for task in self.tasks:
            if task.id in seen:
                raise ValueError(f"task id {task.id!r} appears twice")
            seen.add(task.id)
        return self


def parse_instance(document: Any) -> Instance:
    """Validate a decoded JSON document and build the :class:`Instance`; raises :class:`InstanceError`."""
    try:
        model = _Instance.model_validate(document)
    except ValidationError as exc:
        raise InstanceError(validation_message(exc)) from None
    tasks = tuple(
        Task(
            id=t.id,
            terminal=t.terminal,
            data_bits=t.data_bits,
            cycles_per_bit=t.cycles_per_bit,
            accuracy=AccuracyCurve(t.accuracy.p, t.accuracy.q, t.accuracy.r),
            min_accuracy=t.min_accuracy,
            deadline_s=t.deadline_s,
            tx_power_w=t.tx_power_w,
            channel_gain=t.channel_gain,
            parallel=t.parallel,
            upload_power_w=t.upload_power_w,
        )
        for t in model.tasks
    )
    return Instance(
        bandwidth_hz=model.bandwidth_hz,
        noise_psd_dbm_hz=model.noise_psd_dbm_hz,
        edge_capacity_hz=model.edge_capacity_hz,
        vm_capacity_hz=model.vm_capacity_hz,
        degradation=model.degradation,
        weight=model.weight,
        min_compression=model.min_compression,
        tasks=tasks,
        energy_weight=model.energy_weight,
    )


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance JSON file; raises :class:`InstanceError` with the file name."""
    return load_json(path, parse_instance, InstanceError)


def dump_instance(instance: Instance) -> dict[str, Any]:
    """The instance as the spec's JSON document (round-trips through :func:`parse_instance`); ``energy_weight`` and
    ``upload_power_w`` are written only where they are set (so the seed's instances read as they did)."""
    document: dict[str, Any] = {
        "bandwidth_hz": instance.bandwidth_hz,
        "noise_psd_dbm_hz": instance.noise_psd_dbm_hz,
        "edge_capacity_hz": instance.edge_capacity_hz,
        "vm_capacity_hz": instance.vm_capacity_hz,
        "degradation": instance.degradation,
        "weight": instance.weight,
        "min_compression": instance.min_compression,
        "tasks": [
            {
                "id": t.id,
                "terminal": t.terminal,
                "data_bits": t.data_bits,
                "cycles_per_bit": t.cycles_per_bit,
                "accuracy": {"p": t.accuracy.p, "q": t.accuracy.q, "r": t.accuracy.r},
                "min_accuracy": t.min_accuracy,
                "deadline_s": t.deadline_s,
                "tx_power_w": t.tx_power_w,
                "channel_gain": t.channel_gain,
                "parallel": t.parallel,
                **({} if t.upload_power_w is None else {"upload_power_w": t.upload_power_w}),
            }
            for t in instance.tasks
        ],
    }
    if instance.energy_weight > 0:
        document["energy_weight"] = instance.energy_weight
    return document
