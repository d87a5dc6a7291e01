"""How long each layer of a model takes on the node that plays its tier, and the work the router charges for it.

A tier of a plan is played by one compute node (:class:`Player`). Without a latency table, a layer takes its
FLOPs in its op class over the node's throughput in that class (:func:`mcfn.partition.stages.compute_table_s`). With a
table measured on the player's machine and device (:func:`measure_table`, or ``mcfn profile MODEL --measure``
whose node-by-node times add per-layer overhead; an agent computes with one torch thread, so time CPU tables with
one), a layer takes its measured time, times the agent's ``slowdown`` when the agent emulates a slower processor.

Per-layer time is uneven per FLOP (depthwise convolutions and memory-bound layers are slow, large dense layers
fast), so a plan and a prediction from one speed per model misjudge stages made of unusual layers. The router
(:mod:`mcfn.routing`) predicts compute as op-class FLOPs over op-class throughputs, so a stage's
:class:`~mcfn.compute.node.Work` is given in *nominal* FLOPs (:func:`nominal_work`): each layer's seconds on its
player times the player's throughput in the layer's op class. The router then predicts exactly the measured time
on the player, and on another node of the tier that time scaled by their throughput ratio (the assumption of the
planner's measured cost model, :func:`mcfn.partition.cost.measured_compute_s`). Without a table the nominal FLOPs
are the real ones.

A stage costs more than its layers: the agent copies the received arrays into tensors, moves them to the device,
calls the part, brings its outputs back (waiting for the device) and turns them into arrays
(:func:`mcfn.runtime.plan.run_stage`) — about 1–1.5 ms per stage on a GPU, where the layers of a small model take
less. A table measured by :func:`measure_table` holds that cost as a function of the bytes a stage takes and
returns (:class:`~mcfn.models.measure.StageOverhead`, :mod:`mcfn.runtime.overhead`), and :func:`overhead_work`
folds it into the stage's work the same way as its layers: seconds on the player times the player's throughput,
here in the ``other`` op class. The router, its policies and the exact chain placement then predict each stage as
its layers' time plus its overhead, with no new term in the routing model; on another node of the tier the
overhead scales with throughput as the layers do. The planner (:func:`mcfn.runtime.plan.plan_over_tiers`) cuts on
the layers' times alone, so a plan does not weigh the cost of one stage more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mcfn.compute.node import OP_CLASSES, ComputeNode, OpClass
from mcfn.models.graph import LayerGraph
from mcfn.models.measure import LatencyTable
from mcfn.partition.stages import compute_table_s, layer_class


@dataclass(frozen=True, kw_only=True)
class Player:
    """The compute node playing a tier; ``table``: per-layer seconds measured on its machine (``None``: use its
    op-class throughputs); ``slowdown``: how many times slower than the measuring machine its agent runs."""

    node: ComputeNode
    table: LatencyTable | None = None
    slowdown: float = 1.0

    def __post_init__(self) -> None:
        if not self.slowdown >= 1:
            raise ValueError(f"player {self.node.node_id}: slowdown must be >= 1, got {self.slowdown}")


def layer_seconds(graph: LayerGraph, players: Sequence[Player]) -> np.ndarray:
    """Seconds of every layer of ``graph`` (rows, in graph order) on each tier's player (columns).

    Raises ``ValueError`` naming a table measured on another model, or a layer a table lacks.
    """
    columns = []
    for player in players:
        table = player.table
        if table is None:
            columns.append(compute_table_s(graph, [player.node])[:, 0])
            continue
        if table.model != graph.name:
            raise ValueError(f"the latency table of {player.node.node_id} is of model {table.model!r}")
        missing = [layer.id for layer in graph.nodes if layer.id not in table.node_latency_s]
        if missing:
            raise ValueError(f"the latency table of {player.node.node_id} has no time for layer {missing[0]!r}")
        columns.append([table.node_latency_s[layer.id] * player.slowdown for layer in graph.nodes])
    return np.array(columns, dtype=float).T


def nominal_work(graph: LayerGraph, players: Sequence[Player] | None, tier_of: Sequence[int]) -> np.ndarray:
    """FLOPs of every layer by op class (rows in graph order, columns in ``OP_CLASSES`` order) as the router
    charges them: its seconds on the player of its tier ``tier_of[i]`` times that player's throughput in the
    layer's op class; the real FLOPs when there are no players (a plan whose stages run on any node)."""
    rows = np.arange(len(graph.nodes))
    classes = np.array([OP_CLASSES.index(layer_class(layer)) for layer in graph.nodes], dtype=np.int64)
    if players is None:
        amount = np.array([layer.flops for layer in graph.nodes], dtype=float)
    else:
        tiers = np.asarray(tier_of, dtype=np.int64)
        speeds = np.array([player.node.per_op_flops_per_s for player in players], dtype=float)
        amount = layer_seconds(graph, players)[rows, tiers] * speeds[tiers, classes]
    work = np.zeros((len(graph.nodes), len(OP_CLASSES)))
    work[rows, classes] = amount
    return work


def overhead_work(player: Player, *, in_bytes: float, out_bytes: float) -> np.ndarray:
    """Nominal FLOPs by op class (``OP_CLASSES`` order) of the cost of one stage call on ``player`` that takes
    ``in_bytes`` of tensors and returns ``out_bytes``: its table's stage overhead times the agent's ``slowdown``
    (an emulated slower processor stretches the whole call), charged in the ``other`` op class at the player's
    throughput there; zero without a table or without an overhead in it."""
    work = np.zeros(len(OP_CLASSES))
    overhead = None if player.table is None else player.table.stage_overhead
    if overhead is not None:
        k = OP_CLASSES.index(OpClass.OTHER)
        seconds = overhead.seconds(in_bytes, out_bytes) * player.slowdown
        work[k] = seconds * player.node.per_op_flops_per_s[k]
    return work


def measure_table(name: str, *, seed: int = 0, device: str = "cpu", warmup: int = 3, repeats: int = 10) -> LatencyTable:
    """Per-layer seconds of the runtime model ``name`` on ``device`` here, scaled to add up to a whole forward pass.

    :func:`mcfn.models.measure.measure_latency` runs the model node by node (synchronising a GPU around each node),
    which adds interpreter and launch overhead to every layer — the H200 tables in ``examples/latency`` add up to
    2–2.5× a forward pass — while an agent runs a stage as one module call. So each layer keeps its share of the
    node-by-node time, and the total is the median of ``repeats`` whole forward passes (after ``warmup``). CPU
    times are those of the current torch thread count (an agent computes with one). The table also holds the cost
    of running a stage beyond its layers on ``device``
    (:func:`~mcfn.runtime.overhead.measure_stage_overhead`, same ``warmup`` and ``repeats``).
    """
    import statistics
    import time

    import torch

    from mcfn.models.measure import measure_latency
    from mcfn.models.profile import profile_model
    from mcfn.runtime.device import torch_device
    from mcfn.runtime.models import build
    from mcfn.runtime.overhead import measure_stage_overhead

    target = torch_device(device)
    model, example = build(name, seed=seed)
    profile = profile_model(model, example, name=name)
    table = measure_latency(profile.module, example, name=name, warmup=warmup, repeats=repeats, device=device)
    sync = torch.cuda.synchronize if target.type == "cuda" else (lambda: None)
    module, example = profile.module.to(target), example.to(target)
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            sync()
            started = time.perf_counter()
            module(example)
            sync()
            if i >= warmup:
                times.append(time.perf_counter() - started)
    scale = statistics.median(times) / sum(table.node_latency_s.values())
    return LatencyTable(
        model=name,
        machine=f"{table.machine}; scaled {scale:.3f}x to a whole forward pass",
        warmup=warmup,
        repeats=repeats,
        node_latency_s={node: seconds * scale for node, seconds in table.node_latency_s.items()},
        stage_overhead=measure_stage_overhead(device, warmup=warmup, repeats=repeats),
    )
