"""Executable split plans for the runtime: a model cut by :mod:`mcfn.partition` into stages that run in order.

A plan is made once, where the scenario is read, and rebuilt identically by every agent:

1. the model (:mod:`mcfn.runtime.models`, weights from a seed) is traced and profiled into its layer graph
   (:func:`mcfn.models.profile.profile_model`);
2. every graph node gets a tier: the exact latency optimum of :func:`mcfn.partition.plan_horizontal` over ordered
   tiers, with each node's time on each tier that of the compute node that plays the tier — measured per layer
   on its machine, or from its op-class throughputs (:mod:`mcfn.runtime.timing`; :func:`plan_over_tiers`); or
   contiguous runs of the topological order of about equal FLOPs, one per given tier or a given number of them
   (:func:`plan_balanced`);
3. :func:`mcfn.partition.split_by_tier` cuts the traced module into one part per used tier, each reading and
   returning named tensors.

Stages run in a chain, so a tensor made by stage ``k`` and read by stage ``k + 2`` travels on through stage
``k + 1`` (which returns it unchanged), as the partition model charges it once per link it crosses. A stage's
``receives`` are the tensors crossing into it, ``reads`` the ones its part takes (in argument order), ``sends``
the ones crossing out of it (the model's output for the last stage). A stage's ``work`` is what the router charges
for it: op-class FLOPs, nominal ones when its tier's player has a measured table
(:func:`~mcfn.runtime.timing.nominal_work`), plus the table's measured cost of running a stage for the bytes its
part takes and returns (:func:`~mcfn.runtime.timing.overhead_work`). Making a plan runs the example input
through the parts and checks the result against the unsplit model, relative to the output's largest magnitude
(≤ 1e-5): with weights drawn from a seed, some zoo models output values near 1e-9 (mobilenet_v2) or 1e-14
(efficientnet_b0), which any absolute tolerance would pass.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mcfn.compute.node import OP_CLASSES, Work
from mcfn.partition.stages import balanced_stages
from mcfn.runtime.timing import Player, layer_seconds, nominal_work, overhead_work

if TYPE_CHECKING:
    import torch

    from mcfn.models.profile import Profile
    from mcfn.partition.execute import SplitModel
    from mcfn.partition.tiers import Tiers

#: Largest difference allowed between the split and the unsplit model on the example input, relative to the
#: output's largest magnitude.
TOLERANCE = 1e-5


@dataclass(frozen=True, kw_only=True)
class TensorSpec:
    """A float32 tensor crossing between stages: its fx value name and shape."""

    name: str
    shape: tuple[int, ...]

    @property
    def bits(self) -> float:
        return 32.0 * math.prod(self.shape)


@dataclass(frozen=True, kw_only=True)
class StagePlan:
    """Stage ``index`` of a model: the part of tier ``tier``, its work, the tensors it receives, reads and sends.

    ``pinned``: only agents of tier ``tier`` host it (a plan over the scenario's tiers); otherwise any agent of
    the model does (a plan by number of stages). ``weights_bytes`` are its layers' parameter and buffer bytes as the
    layer graph counts them, ``activation_bytes`` the peak of its tensors alive at once
    (:func:`mcfn.deployment.activation_bytes`): what it holds while loaded (:mod:`mcfn.runtime.deployment`).
    """

    model: str
    index: int
    tier: str
    pinned: bool
    work: Work
    receives: tuple[TensorSpec, ...]
    reads: tuple[str, ...]
    outputs: tuple[str, ...]
    sends: tuple[TensorSpec, ...]
    weights_bytes: float = 0.0
    activation_bytes: float = 0.0

    @property
    def service_id(self) -> str:
        """The stage's service id in the routing catalogue: ``model/index``."""
        return f"{self.model}/{self.index}"

    @property
    def flops(self) -> float:
        return self.work.total_flops

    @property
    def output_bits(self) -> float:
        return sum(spec.bits for spec in self.sends)


@dataclass(frozen=True, kw_only=True)
class ModelPlan:
    """A model cut into stages that run in order; ``assignment`` (node id, tier) rebuilds the parts anywhere."""

    model: str
    seed: int
    tier_names: tuple[str, ...]
    assignment: tuple[tuple[str, str], ...]
    input: TensorSpec
    output: str
    stages: tuple[StagePlan, ...]

    @property
    def input_bits(self) -> float:
        return self.input.bits

    def fingerprint(self) -> str:
        """A short digest of everything that decides the parts (model, weight seed, cuts, tensors, work), equal
        wherever the plan is made from the same scenario: an agent started on another machine (``mcfn agent``)
        proves with it that it cut the model as the controller did."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]


def plan_over_tiers(name: str, *, seed: int, tiers: Tiers, players: Sequence[Player]) -> ModelPlan:
    """The latency-optimal plan of ``name`` over ``tiers``, tier ``k`` played by ``players[k]`` (whose measured
    table or op-class throughputs time each graph node, :func:`~mcfn.runtime.timing.layer_seconds`); each stage is
    pinned to its tier."""
    from mcfn.partition.horizontal import plan_horizontal

    if len(players) != len(tiers):
        raise ValueError(f"{len(tiers)} tiers need {len(tiers)} players, got {len(players)}")
    profile, example = _profile(name, seed)
    plan = plan_horizontal(profile.graph, tiers, compute_s=layer_seconds(profile.graph, players))
    assignment = plan.to_json_dict()["assignment"]
    return _executable(name, seed, profile, example, assignment, tiers.names, players=players, pinned=True)


def plan_balanced(
    name: str, *, seed: int, stages: int | tuple[str, ...], players: Sequence[Player] | None = None
) -> ModelPlan:
    """``name`` cut into contiguous runs of its topological order of about equal FLOPs: ``stages`` of them, which
    any agent of the model may run, or one per tier of ``stages``, each pinned to its tier and, with ``players``
    (one per tier), its work timed on the tier's player."""
    profile, example = _profile(name, seed)
    graph = profile.graph
    pinned = not isinstance(stages, int)
    tier_names = stages if isinstance(stages, tuple) else tuple(f"stage{k}" for k in range(stages))
    if players is not None and (not pinned or len(players) != len(tier_names)):
        raise ValueError(f"players time the stages of a plan over tiers, one per tier; got {len(players)}")
    stage_of = balanced_stages(graph, len(tier_names))
    assignment = {node.id: tier_names[s] for node, s in zip(graph.nodes, stage_of, strict=True)}
    return _executable(name, seed, profile, example, assignment, tier_names, players=players, pinned=pinned)


def build_parts(plan: ModelPlan, *, device: str = "cpu") -> dict[str, torch.nn.Module]:
    """The part of every stage of ``plan`` by service id, rebuilt from the model's seed and the assignment, on
    ``device`` (taking and returning CPU tensors, :func:`~mcfn.runtime.device.on_device`); ``ValueError`` if the
    rebuilt parts do not read and return what the plan says, or torch cannot use ``device``."""
    from mcfn.runtime.device import on_device, torch_device

    target = torch_device(device)
    split = _split(_profile(plan.model, plan.seed)[0], dict(plan.assignment), plan.tier_names)
    if len(split.parts) != len(plan.stages):
        raise ValueError(f"{plan.model}: rebuilt {len(split.parts)} parts, the plan has {len(plan.stages)}")
    for part, stage in zip(split.parts, plan.stages, strict=True):
        if (part.tier, part.inputs, part.outputs) != (stage.tier, stage.reads, stage.outputs):
            raise ValueError(f"{plan.model}: rebuilt part {part.tier} differs from stage {stage.service_id}")
    return {
        stage.service_id: on_device(part.module, target) for stage, part in zip(plan.stages, split.parts, strict=True)
    }


def run_part(part: torch.nn.Module, stage: StagePlan, received: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``stage``'s part on the tensors it receives (torch tensors by name); the tensors it sends."""
    made = _named(stage.outputs, part(*(received[name] for name in stage.reads)))
    return {spec.name: made[spec.name] if spec.name in made else received[spec.name] for spec in stage.sends}


def run_stage(part: torch.nn.Module, stage: StagePlan, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run ``stage``'s part as an agent does, from the arrays it received (read-only views of a frame's body, so
    copied into tensors) to the arrays it sends; :mod:`mcfn.runtime.overhead` times this path."""
    import torch

    received = {name: torch.from_numpy(array.copy()) for name, array in arrays.items()}
    with torch.no_grad():
        sent = run_part(part, stage, received)
    return {name: tensor.numpy() for name, tensor in sent.items()}


def _named(names: tuple[str, ...], result: Any) -> dict[str, Any]:
    """A part's result by output name (``split_module`` returns a lone output bare, several as a tuple)."""
    return dict(zip(names, result if isinstance(result, tuple) else (result,), strict=True))


def _profile(name: str, seed: int) -> tuple[Profile, torch.Tensor]:
    """The traced and profiled model ``name`` (weights from ``seed``) and its example input."""
    from mcfn.models.profile import profile_model
    from mcfn.runtime.models import build

    model, example = build(name, seed=seed)
    return profile_model(model, example, name=name), example


def _split(profile: Profile, assignment: Mapping[str, str], tier_names: tuple[str, ...]) -> SplitModel:
    from mcfn.partition.execute import split_by_tier

    return split_by_tier(profile.module, assignment, tier_names)


def _executable(
    name: str,
    seed: int,
    profile: Profile,
    example: torch.Tensor,
    assignment: Mapping[str, str],
    tier_names: tuple[str, ...],
    *,
    players: Sequence[Player] | None,
    pinned: bool,
) -> ModelPlan:
    """The stages of ``assignment``, their work (timed on ``players``, if given), their tensors measured on the
    example input, checked against the model."""
    import torch
    from torch import fx

    from mcfn.deployment import activation_bytes

    split = _split(profile, assignment, tier_names)
    placeholder = next(n for n in profile.module.graph.nodes if n.op == "placeholder")
    returned = next(n for n in split.module.graph.nodes if n.op == "output").args[0]
    if not isinstance(returned, fx.Node):
        raise ValueError(f"{name}: the model returns {type(returned).__name__}; the runtime serves one output tensor")
    output = returned.name
    readers = {part.tier: set(part.inputs) for part in split.parts}
    tier_of = np.array([tier_names.index(assignment[layer.id]) for layer in profile.graph.nodes], dtype=np.int64)
    work = nominal_work(profile.graph, players, tier_of)
    values = {placeholder.name: example}
    stages = []
    with torch.no_grad():
        for k, part in enumerate(split.parts):
            later = set().union(*(readers[p.tier] for p in split.parts[k + 1 :]))
            receives = tuple(_spec(n, values[n]) for n in values)
            made = _named(part.outputs, part.module(*(values[n] for n in part.inputs)))
            tier = tier_names.index(part.tier)
            members = np.flatnonzero(tier_of == tier).tolist()
            stage_work = work[tier_of == tier].sum(axis=0)
            if players is not None:
                in_bytes = sum(values[n].nbytes for n in part.inputs)
                out_bytes = sum(v.nbytes for v in made.values())
                stage_work = stage_work + overhead_work(players[tier], in_bytes=in_bytes, out_bytes=out_bytes)
            values.update(made)
            values = {n: v for n, v in values.items() if n in later or (k == len(split.parts) - 1 and n == output)}
            stages.append(
                StagePlan(
                    model=name,
                    index=k,
                    tier=part.tier,
                    pinned=pinned,
                    work=Work(dict(zip(OP_CLASSES, stage_work, strict=True))),
                    receives=receives,
                    reads=part.inputs,
                    outputs=part.outputs,
                    sends=tuple(_spec(n, v) for n, v in values.items()),
                    weights_bytes=float(sum(profile.graph.nodes[v].param_bytes for v in members)),
                    activation_bytes=activation_bytes(profile.graph, members),
                )
            )
        expected = profile.module(example)
        error = float((values[output] - expected).abs().max())
        scale = float(expected.abs().max())
    if not error <= TOLERANCE * scale:
        raise ValueError(
            f"{name}: the split differs from the model by {error:.1e}, more than {TOLERANCE:g} of its output's "
            f"largest magnitude {scale:.1e}"
        )
    return ModelPlan(
        model=name,
        seed=seed,
        tier_names=tier_names,
        assignment=tuple(sorted(assignment.items())),
        input=_spec(placeholder.name, example),
        output=output,
        stages=tuple(stages),
    )


def _spec(name: str, value: Any) -> TensorSpec:
    """The spec of a value crossing a cut; only float32 tensors can (the wire carries tensors, not Python)."""
    import torch

    if not isinstance(value, torch.Tensor) or value.dtype != torch.float32:
        raise ValueError(f"value {name!r} crosses a cut but is a {type(value).__name__}, not a float32 tensor")
    return TensorSpec(name=name, shape=tuple(value.shape))
