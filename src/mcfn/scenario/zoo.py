"""Services from the model zoo: a zoo model's split plan becomes the service's stage list, by driving
:mod:`mcfn.partition`.

A service ``{model: resnet50, split: ...}`` names a layer graph of :mod:`mcfn.models.zoo`; its split is either

- ``{stages: N, on: [edge, cloud]}``: ``N`` contiguous runs of the topological order of about equal FLOPs
  (:func:`mcfn.partition.stages.balanced_stages`), each of which any node of the tiers ``on`` may run — the
  router places them; or
- ``{tiers: [edge, cloud]}``: the latency-optimal horizontal split over the ordered tiers
  (:func:`mcfn.partition.plan_horizontal`, exact minimum cut; DADS, Hu et al., INFOCOM 2019), tier ``k``
  played by one VM of the scenario's server of that tier (each layer at its op class's throughput,
  :func:`mcfn.partition.stages.compute_table_s`) and the link between them the wired path from an edge server
  to the cloud (its slowest link's bandwidth, the sum of its delays). One stage per tier that does work,
  pinned to that tier.

Terminals do not compute in the simulator, so plans start at the edge: the model's input reaches the first
stage's node after the upload. A stage's FLOPs are its layers' by op class, its ``output_bits`` the tensors that
cross from it (or from before it) to later stages (the model's output for the last stage), its ``memory_bytes``
its layers' parameters, its ``activation_bytes`` the peak of its tensors alive at once
(:func:`mcfn.deployment.activation_bytes`).
"""

from __future__ import annotations

import numpy as np

from mcfn.compute import OP_CLASSES, ComputeNode, Tier
from mcfn.deployment.footprint import activation_bytes
from mcfn.models.graph import LayerGraph
from mcfn.models.zoo import load_zoo_graph
from mcfn.partition.horizontal import plan_horizontal
from mcfn.partition.stages import balanced_stages, compute_table_s, stage_work
from mcfn.partition.tiers import Link, Tiers
from mcfn.partition.tiers import Tier as PlanTier
from mcfn.scenario.model import Place, Scenario, Split, StageDoc, Variant


def derive_zoo_stages(scenario: Scenario) -> Scenario:
    """``scenario`` with the stage list of every zoo variant (each service's own and its alternatives) derived from
    its model and split."""

    def derived(service: str, variant: Variant) -> Variant:
        if variant.model is None:
            return variant
        graph = load_zoo_graph(variant.model)
        for e in variant.exits:
            if e.after not in graph.index:
                raise ValueError(
                    f"service {service} variant {variant.label}: exit after {e.after!r} is no node of {variant.model} "
                    "(see 'mcfn models export')"
                )
        return variant.model_copy(update={"stages": split_stages(graph, variant, scenario)})

    services = tuple(
        derived(s.name, s).model_copy(update={"variants": tuple(derived(s.name, v) for v in s.variants)})
        for s in scenario.services
    )
    return scenario.model_copy(update={"services": services})


def split_stages(graph: LayerGraph, variant: Variant, scenario: Scenario) -> tuple[StageDoc, ...]:
    """The stage list of ``graph`` (a zoo variant's model, or the sub-model of one of its exits) cut by the
    variant's split (see the module docstring)."""
    split = variant.split or Split()
    if split.tiers is None:
        count = split.stages or 1
        return stage_docs(graph, balanced_stages(graph, count), [split.places] * count)
    tiers, players = _tiers(split.tiers, scenario)
    plan = plan_horizontal(graph, tiers, compute_s=compute_table_s(graph, players))
    return stage_docs(graph, np.array(plan.assignment), [(tier,) for tier in split.tiers])


def _tiers(places: tuple[Place, ...], scenario: Scenario) -> tuple[Tiers, list[ComputeNode]]:
    """The partition tiers for ``places`` and the compute nodes (one VM of the scenario's servers) playing them."""
    compute, net = scenario.compute, scenario.network
    servers = {"edge": compute.edge_server(0), "cloud": compute.cloud}  # with edge classes per cell: the first
    players, plan_tiers = [], []
    for place in places:
        server = servers[place]
        if server is None:
            raise ValueError("split.tiers names the cloud, but the scenario has none")
        players.append(server.node(place, Tier(place)))
        plan_tiers.append(PlanTier(place, server.peak_flops_per_s))
    links: tuple[Link, ...] = ()
    if len(places) == 2:
        bandwidth = min(net.lan_bps, net.backhaul_bps, net.core_bps, net.wan_bps)
        delay = net.lan_delay_s + net.backhaul_delay_s + net.core_delay_s + net.wan_delay_s
        links = (Link(places[0], places[1], bandwidth, delay),)
    return Tiers(tuple(plan_tiers), links), players


def stage_docs(graph: LayerGraph, stage_of: np.ndarray, places: list[tuple[Place, ...]]) -> tuple[StageDoc, ...]:
    """One stage per stage number that holds work (``stage_of``: a stage number per graph node, data moving only
    forward), hosted on ``places[k]``: its FLOPs by op class, the bits crossing out of it, its parameter bytes."""
    bits = np.array([8.0 * node.output_bytes for node in graph.nodes])
    last_reader = np.array([max((stage_of[v] for v in readers), default=-1) for readers in graph.successors])
    docs = []
    for k in np.unique(stage_of):
        members = np.flatnonzero(stage_of == k)
        work = stage_work(graph, members)
        if work.total_flops == 0:  # e.g. the edge tier holding only the input, when the plan sends all on
            continue
        crossing = (stage_of <= k) & (last_reader > k)
        output_bits = float(bits[crossing].sum()) if crossing.any() else float(bits[list(graph.outputs)].sum())
        docs.append(
            StageDoc(
                flops={op: f for op, f in zip(OP_CLASSES, work.per_op_flops, strict=True) if f > 0},
                output_bits=output_bits,
                memory_bytes=float(sum(graph.nodes[i].param_bytes for i in members)),
                activation_bytes=activation_bytes(graph, members.tolist()),
                on=places[int(k)],
            )
        )
    return tuple(docs)
