"""The fields of the runtime's control messages, validated where they enter (one pydantic model per kind).

Kinds: ``hello`` and ``advert`` (agent → controller), ``infer`` (client → controller), ``run`` (controller →
agent). A message whose fields do not validate is a protocol error (:class:`~mcfn.runtime.wire.FrameError`) that
closes the connection, like a malformed frame.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import Field, ValidationError

from mcfn.runtime.wire import FrameError
from mcfn.validation import StrictModel, validation_message

NonNegative = Annotated[float, Field(ge=0)]


class Hello(StrictModel):
    node: str
    tier: str
    host: str
    port: Annotated[int, Field(gt=0, lt=65536)]
    stages: tuple[str, ...]
    workers: Annotated[int, Field(ge=1)]
    advert_period_s: Annotated[float, Field(gt=0)]


class AdvertFields(StrictModel):
    queue_flops: NonNegative
    busy_workers: Annotated[int, Field(ge=0)]
    speed_flops_per_s: NonNegative
    arrival_flops_per_s: NonNegative


class Infer(StrictModel):
    model: str
    deadline_s: Annotated[float, Field(gt=0)] | None = None
    policy: str | None = None


Fields = TypeVar("Fields", bound=StrictModel)


def parse_fields(model: type[Fields], kind: str, fields: dict[str, Any]) -> Fields:
    """``fields`` of a ``kind`` message validated by ``model``; raises :class:`FrameError` naming the bad field."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise FrameError(f"bad {kind} message: {validation_message(exc)}") from None
