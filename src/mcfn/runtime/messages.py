"""The fields of the runtime's control messages, validated where they enter (one pydantic model per kind).

Kinds: ``hello`` and ``advert`` (agent → controller), ``infer`` (client → controller), ``run`` (controller or
agent → agent: a stage to compute and the route of the stages after it), ``result`` and ``failed`` (agent →
controller: a route's output, or which node failed it and why), ``load`` and ``unload`` (controller → agent only: a
stage to build or drop, :mod:`mcfn.runtime.deployment`) and the agent's answer ``loaded`` (what the load took, the
bytes measured, what the agent holds now). A message whose fields do not validate is a
protocol error (:class:`~mcfn.runtime.wire.FrameError`) that closes the connection, like a malformed frame.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

from pydantic import Field, ValidationError

from mcfn.runtime.link import LinkProfile
from mcfn.runtime.wire import FrameError
from mcfn.validation import StrictModel, validation_message

NonNegative = Annotated[float, Field(ge=0)]
#: A route's id: 128 random bits in hex (:func:`secrets.token_hex`), unguessable.
RequestId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class Hello(StrictModel):
    node: str
    tier: str
    host: str
    port: Annotated[int, Field(gt=0, lt=65536)]
    stages: tuple[str, ...]
    workers: Annotated[int, Field(ge=1)]
    advert_period_s: Annotated[float, Field(gt=0)]
    #: The fingerprint of the agent's plan of each model it hosts (:meth:`~mcfn.runtime.plan.ModelPlan.fingerprint`).
    plans: dict[str, str]
    #: Seconds of one run of each hosted stage, measured by the agent at start (:mod:`mcfn.runtime.stage_times`).
    stage_s: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    #: The stages loaded now (a subset of ``stages``) and the bytes of their modules' tensors, measured.
    loaded: tuple[str, ...] = ()
    memory_bytes: NonNegative = 0.0


class AdvertFields(StrictModel):
    queue_flops: NonNegative
    busy_workers: Annotated[int, Field(ge=0)]
    speed_flops_per_s: NonNegative
    arrival_flops_per_s: NonNegative
    #: Seconds of one run of each hosted stage, as the agent now knows them
    #: (:class:`~mcfn.runtime.stage_times.StageTimes`).
    stage_s: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    loaded: tuple[str, ...] = ()
    memory_bytes: NonNegative = 0.0


class Load(StrictModel):
    """Build ``stage`` (``load``) or drop it (``unload``): the controller's command to an agent."""

    stage: str


class Loaded(StrictModel):
    """An agent's answer to ``load`` or ``unload``: the seconds the load took (its cold start; 0 for an unload or a
    stage already loaded), the bytes of the stage's module measured, and what the agent holds after."""

    stage: str
    load_s: NonNegative
    stage_bytes: NonNegative
    loaded: tuple[str, ...]
    memory_bytes: NonNegative


class Infer(StrictModel):
    """A client's request: ``deadline_s`` is what its deadline leaves when the client sends it at ``sent_at_s``
    (its wall clock; the model's default deadline if ``None``); ``tag`` names the answer among the others on the
    same connection."""

    model: str
    deadline_s: Annotated[float, Field(gt=0)] | None = None
    sent_at_s: float | None = None
    policy: str | None = None
    tag: Annotated[int, Field(ge=0)] = 0


class LinkFields(StrictModel):
    """An emulated hop as :meth:`~mcfn.runtime.link.LinkProfile.fields` writes it (``None``: unlimited)."""

    bandwidth_bps: Annotated[float, Field(gt=0)] | None
    delay_s: NonNegative

    def profile(self) -> LinkProfile:
        return LinkProfile(bandwidth_bps=self.bandwidth_bps or math.inf, delay_s=self.delay_s)


class Hop(StrictModel):
    """A later stage of a route: where it runs, and the emulated link that the stage before sends it over."""

    stage: str
    node: str
    host: str
    port: Annotated[int, Field(gt=0, lt=65536)]
    link: LinkFields


class StageReport(StrictModel):
    """What a stage took: its queueing and compute, and the hop that brought its input (sender's send start to
    the receiver's arrival, on their wall clocks)."""

    stage: str
    node: str
    queue_s: NonNegative
    compute_s: NonNegative
    network_s: float


class Run(StrictModel):
    """Compute ``stage`` of request ``request``, then send the output on along ``route`` (the stages after this
    one), or, when ``route`` is empty, return it to the controller over ``reply_link``; ``budget_s`` is what the
    deadline leaves when the frame is sent; ``sent_at_s`` the sender's wall clock then; ``timings`` the reports of
    the stages before."""

    request: RequestId
    stage: str
    budget_s: Annotated[float, Field(gt=0)]
    sent_at_s: float
    route: tuple[Hop, ...] = ()
    reply_link: LinkFields
    timings: tuple[StageReport, ...] = ()


class Result(StrictModel):
    """The output of request ``request``'s last stage (the tensors), and every stage's report."""

    request: RequestId
    sent_at_s: float
    timings: tuple[StageReport, ...]


class Failed(StrictModel):
    """Request ``request`` failed at ``node`` (which refused, crashed, or could not be reached) for ``reason``."""

    request: RequestId
    node: str
    reason: str


Fields = TypeVar("Fields", bound=StrictModel)


def parse_fields(model: type[Fields], kind: str, fields: dict[str, Any]) -> Fields:
    """``fields`` of a ``kind`` message validated by ``model``; raises :class:`FrameError` naming the bad field."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise FrameError(f"bad {kind} message: {validation_message(exc)}") from None
