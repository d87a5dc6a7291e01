"""Least-latency placement of a split request's whole chain of stages (exact, by dynamic programming).

:meth:`~mcfn.routing.router.Router.route_stages` places stages one at a time, so an early stage cannot take the
later ones into account. Here the chain is a layered graph: layer ``k`` holds the instances of stage ``k``; an
edge from instance ``i`` of stage ``k - 1`` to instance ``j`` of stage ``k`` costs the transfer of stage
``k - 1``'s output from ``i`` to ``j`` on the fastest path plus ``j``'s predicted queueing and compute time; the
first layer is entered from the ingress and the last one returns its output there. The cheapest path through the
layers (Viterbi's recursion, ``O(Σ_k |C_{k-1}| |C_k|)`` with NumPy, after one cached fastest-path tree per
instance) is the least predicted end-to-end latency of any placement, so it meets the deadline whenever any
placement does. Predictions are those of :func:`~mcfn.routing.costs.predict`, each stage judged alone (the
chain's own stages do not queue behind each other).
"""

from __future__ import annotations

import numpy as np

from mcfn.routing.costs import CandidateCosts
from mcfn.routing.request import SplitRequest
from mcfn.routing.router import Route, Router, StagedRoute


def route_stages_optimal(router: Router, request: SplitRequest, *, now_s: float) -> StagedRoute:
    """The placement of every stage that minimises the predicted end-to-end latency (module docstring)."""
    router.require_base_station(request.ingress)
    topology = router.topology
    home = topology.fastest_paths(request.ingress)
    stages = [_stage_costs(router, request, k, now_s) for k in range(len(request.stages))]
    vertices = [router.instances(stage.service_id).vertices for stage in request.stages]
    local = [np.where(c.feasible, c.queue_s + c.compute_s, np.inf) for c in stages]  # feasible: memory fits
    best = home.transfer_s(request.data_bits)[vertices[0]] + local[0]
    back_pointers = []
    for k in range(1, len(stages)):
        bits = request.stages[k - 1].output_bits
        hop = np.array([topology.fastest_paths(int(v)).transfer_s(bits)[vertices[k]] for v in vertices[k - 1]])
        through = best[:, None] + hop
        back_pointers.append(np.argmin(through, axis=0))
        best = through[back_pointers[-1], np.arange(vertices[k].size)] + local[k]
    if request.stages[-1].output_bits:  # as the router: an empty result does not travel back
        best = best + home.transfer_s(request.stages[-1].output_bits)[vertices[-1]]
    picks = [int(np.argmin(best))]
    for pointers in reversed(back_pointers):
        picks.append(int(pointers[picks[-1]]))
    return _staged(router, request, stages, picks[::-1], now_s)


def _stage_costs(router: Router, request: SplitRequest, k: int, now_s: float) -> CandidateCosts:
    """Queueing and compute predictions of stage ``k`` on each of its instances (transfers are added by the DP)."""
    stage = request.stages[k]
    return router.candidates(
        service_id=stage.service_id,
        source=request.ingress,
        in_bits=0.0,
        out_bits=0.0,
        work=stage.work,
        budget_s=np.inf,
        memory_bytes=stage.memory_bytes,
        home=request.ingress,
        now_s=now_s,
    )


def _staged(
    router: Router, request: SplitRequest, stages: list[CandidateCosts], picks: list[int], now_s: float
) -> StagedRoute:
    """The routes of the chosen ``picks``, each placement recorded in the router's view as the router records its
    own (:meth:`~mcfn.awareness.AwareView.place`)."""
    topology, fleet = router.topology, router.fleet
    routes = []
    source, bits, spent = request.ingress, request.data_bits, 0.0
    for k, (stage, costs, pick) in enumerate(zip(request.stages, stages, picks, strict=True)):
        j = int(costs.nodes[pick])
        node_id = fleet.nodes[j].node_id
        in_s = topology.transfer_s(source, node_id, bits)
        arrival_s = now_s + spent + in_s
        router.view.place(j, arrival_s, float(costs.compute_s[pick]))
        network_s = in_s
        if k == len(stages) - 1 and stage.output_bits:
            network_s += topology.transfer_s(node_id, request.ingress, stage.output_bits)
        cloud = bool(costs.is_cloud[pick])
        routes.append(
            Route(
                service_id=stage.service_id,
                node_id=node_id,
                path=topology.path(source, node_id),
                network_s=network_s,
                queue_s=float(costs.queue_s[pick]),
                compute_s=float(costs.compute_s[pick]),
                budget_s=request.deadline_s - spent,
                cloud_fallback=False,
                arrival_s=arrival_s,
                why_cloud=_plan_places_it_in_the_cloud if cloud else None,
            )
        )
        spent += routes[-1].latency_s
        source, bits = node_id, stage.output_bits
    return StagedRoute(
        stages=tuple(routes), return_path=topology.path(source, request.ingress), deadline_s=request.deadline_s
    )


def _plan_places_it_in_the_cloud() -> str:
    """The :attr:`~mcfn.routing.router.Route.reason` of a stage that the optimal plan places in the cloud."""
    return "the least-latency plan places this stage in the cloud"
