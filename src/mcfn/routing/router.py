"""The compute routing layer: for a request and an aware view, the node that serves it and the paths there.

:class:`Router` joins the topology (fastest paths), the fleet (compute), the service catalogue (anycast
instances) and the aware view (estimated state); a :class:`~mcfn.routing.policies.Policy` picks among the
candidates whose costs :func:`~mcfn.routing.costs.predict` computes. The router owns no clock: callers pass
``now_s``. A split request is routed stage by stage (greedy): stage ``k`` starts where stage ``k - 1`` ran, when it
is predicted to end, its budget is what the deadline leaves after the stages before it, and the last stage's output
returns to the ingress; transfers between stages follow the topology's fastest paths. A stage before the last is
also charged the least that the result's way home from its node will take (``ahead_s``,
:mod:`mcfn.routing.costs`), not counted in its route's latency.

Every decision is recorded in the view (:meth:`~mcfn.awareness.AwareView.place`: the node, the input's predicted
arrival there and its predicted compute seconds), so the next decision, before the node's next advert, sees it;
without that, every decision between two adverts would see the same least-loaded node and land on it.

Under a policy that takes the least predicted total (``least_total``: ``compute-aware``), a stage's decision is
predicted over its shortlist first (:class:`~mcfn.routing.costs.Shortlist`: the :data:`SHORTLIST` candidates with
the least delay and compute alone, and the clouds), then, when its lower bound on the rest does not prove that none
of them can win (:meth:`~mcfn.routing.costs.CandidateCosts.settles`), over a wider one (:data:`WIDE_SHORTLIST`), and
over every candidate only when that one does not settle it either; so the decision is the same as over all
candidates, and its cost grows with the shortlists, not the network.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mcfn.awareness.view import AwareView
from mcfn.compute.fleet import Fleet
from mcfn.compute.ids import ServiceCatalog, unknown_id
from mcfn.compute.node import Work
from mcfn.network.topology.graph import Role, Topology
from mcfn.routing.costs import CandidateCosts, Instances, predict
from mcfn.routing.policies import TIE_S, Policy
from mcfn.routing.request import Request, SplitRequest, Stage
from mcfn.routing.tables import CostTables

try:
    import cython
except ImportError:  # Cython builds mcfn; without it, mcfn runs as Python
    from mcfn._accelerated import uncompiled as cython


#: Candidates with the least lower bound that a decision is predicted over first (assumed: a cell's edge server and
#: its ring of neighbours; the clouds are kept beside them). Measured at 217 cells: 7 ran faster than 19.
SHORTLIST = 7
#: Candidates of the second shortlist, predicted over when the first does not settle a decision, before every
#: candidate (assumed: a few rings of cells; measured at 1,027 cells, it settles all but a few of the decisions that
#: the first leaves open, each over 64 candidates instead of 1,028).
WIDE_SHORTLIST = 64


class Route:
    """One routed (sub-)task: where it runs, the path its input takes, and the predicted latency split.

    ``arrival_s`` is when its input is predicted to reach the node (what the router records in the view);
    ``cloud_fallback`` is true when the cloud serves because no edge candidate met the budget; ``reason`` says
    why the cloud was used whenever it was. It is written by ``why_cloud`` (``None`` when an edge node serves)
    only when read, because nobody reads most routes' reasons (a simulation makes millions). Read-only by
    contract; two routes are equal when every field but ``arrival_s`` and ``why_cloud`` is.
    """

    __slots__ = (
        "arrival_s",
        "budget_s",
        "cloud_fallback",
        "compute_s",
        "network_s",
        "node_id",
        "path",
        "queue_s",
        "service_id",
        "why_cloud",
    )

    def __init__(
        self,
        *,
        service_id: str,
        node_id: str,
        path: tuple[str, ...],
        network_s: float,
        queue_s: float,
        compute_s: float,
        budget_s: float,
        cloud_fallback: bool,
        arrival_s: float,
        why_cloud: Callable[[], str] | None = None,
    ) -> None:
        self.arrival_s = arrival_s
        self.service_id = service_id
        self.node_id = node_id
        self.path = path
        self.network_s = network_s
        self.queue_s = queue_s
        self.compute_s = compute_s
        self.budget_s = budget_s
        self.cloud_fallback = cloud_fallback
        self.why_cloud = why_cloud

    @property
    def reason(self) -> str | None:
        return None if self.why_cloud is None else self.why_cloud()

    @property
    def latency_s(self) -> float:
        return self.network_s + self.queue_s + self.compute_s

    @property
    def meets_deadline(self) -> bool:
        return self.latency_s <= self.budget_s

    def _fields(self) -> tuple:
        return (
            self.service_id,
            self.node_id,
            self.path,
            self.network_s,
            self.queue_s,
            self.compute_s,
            self.budget_s,
            self.cloud_fallback,
        )

    def __eq__(self, other: object) -> bool:
        return self._fields() == other._fields() if isinstance(other, Route) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal by value, and not frozen

    def __repr__(self) -> str:
        names = ("service_id", "node_id", "path", "network_s", "queue_s", "compute_s", "budget_s", "cloud_fallback")
        return f"Route({', '.join(f'{n}={v!r}' for n, v in zip(names, self._fields(), strict=True))})"


class StagedRoute:
    """A routed split request: one :class:`Route` per stage and the path the final output takes home.

    Each stage's ``network_s`` counts its input transfer; the last stage's also counts the return. When a stage is
    tiled (:class:`~mcfn.routing.request.Stage` ``tiles > 1``), ``tiles[k]`` holds the routes of its tiles on
    distinct nodes, the policy's choice first, and ``stages[k]`` is the slowest of them (the stage's predicted
    latency, and the node its successor is predicted from); ``tiles`` is empty when no stage is tiled. Read-only
    by contract, like :class:`Route`; two staged routes are equal when their fields are.
    """

    __slots__ = ("deadline_s", "return_path", "stages", "tiles")

    def __init__(
        self,
        *,
        stages: tuple[Route, ...],
        return_path: tuple[str, ...],
        deadline_s: float,
        tiles: tuple[tuple[Route, ...], ...] = (),
    ) -> None:
        self.stages = stages
        self.return_path = return_path
        self.deadline_s = deadline_s
        self.tiles = tiles

    @property
    def latency_s(self) -> float:
        """The stages' predicted latencies added in order (compiled, a typed loop: a generator and ``sum`` cost a
        decision of the joint allocation, which asks at every upload, more than its arithmetic)."""
        return _stages_latency_s(self.stages)

    @property
    def meets_deadline(self) -> bool:
        return self.latency_s <= self.deadline_s

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StagedRoute):
            return NotImplemented
        return (self.stages, self.return_path, self.deadline_s, self.tiles) == (
            other.stages,
            other.return_path,
            other.deadline_s,
            other.tiles,
        )

    __hash__ = None  # type: ignore[assignment]  # equal by value, and not frozen

    def __repr__(self) -> str:
        tiles = f", tiles={self.tiles!r}" if self.tiles else ""
        return (
            f"StagedRoute(stages={self.stages!r}, return_path={self.return_path!r}, deadline_s={self.deadline_s!r}"
            f"{tiles})"
        )


class Router:
    """Routes requests over one topology, fleet, catalogue and aware view (all owned by the caller)."""

    def __init__(self, *, topology: Topology, catalog: ServiceCatalog, view: AwareView) -> None:
        fleet = view.fleet
        self._topology = topology
        self._fleet = fleet
        self._view = view
        vertices = np.array([topology.index_of(n) for n in fleet.node_ids], dtype=np.int64)
        self._instances: dict[str, Instances] = {}
        for service in catalog.services:
            nodes = fleet.indices(catalog.hosts(service))
            self._instances[service] = Instances.of(fleet, nodes, vertices[nodes])
        self._stations = frozenset(topology.nodes_with_role(Role.BASE_STATION))
        self._tables = CostTables(topology=topology, vertices=vertices)
        self._node_ids = fleet.node_ids
        #: Each service's costs of :meth:`route_stages`' last decision: only the policy saw them, so the next one
        #: predicts into them (:func:`~mcfn.routing.costs.predict`).
        self._last_costs: dict[str, CandidateCosts] = {}
        self._last_short: dict[str, CandidateCosts] = {}
        self._last_wide: dict[str, CandidateCosts] = {}
        #: What charges each candidate its cold start where the stage is not loaded (``charge(service_id, costs)``,
        #: :class:`mcfn.sim.deployment.SimDeployment`), or None: every stage is loaded wherever it may run.
        self.deployment = None

    @property
    def fleet(self) -> Fleet:
        return self._fleet

    @property
    def view(self) -> AwareView:
        return self._view

    @property
    def topology(self) -> Topology:
        return self._topology

    def instances(self, service_id: str) -> Instances:
        """The static arrays of ``service_id``'s instances; raises for an unknown service."""
        instances = self._instances.get(service_id)
        if instances is None:
            raise unknown_id("service", service_id, self._instances)
        return instances

    def candidates(
        self,
        *,
        service_id: str,
        source: str,
        in_bits: float,
        out_bits: float,
        work: Work,
        budget_s: float,
        memory_bytes: float,
        home: str,
        now_s: float,
    ) -> CandidateCosts:
        """Costs of every instance of ``service_id`` for input leaving ``source`` at ``now_s`` and ``out_bits`` sent
        to ``home`` (a prediction only: nothing is placed)."""
        return self._costs(service_id, source, home, in_bits, out_bits, 0.0, work, budget_s, memory_bytes, now_s)

    def _costs(
        self,
        service_id: str,
        source: str,
        home: str,
        in_bits: float,
        out_bits: float,
        result_bits: float,
        work: Work,
        budget_s: float,
        memory_bytes: float,
        start_s: float,
        into: CandidateCosts | None = None,
    ) -> CandidateCosts:
        instances = self.instances(service_id)
        tables = self._tables
        costs = predict(
            instances=instances,
            transfers=tables.network(service_id, instances, source, home, in_bits, out_bits, result_bits),
            demand=tables.stage(service_id, instances, work, memory_bytes),
            view=self._view,
            start_s=start_s,
            budget_s=budget_s,
            into=into,
        )
        if self.deployment is not None:
            self.deployment.charge(service_id, costs)
        return costs

    def route(self, request: Request, policy: Policy, *, now_s: float) -> Route:
        """Route one request with ``policy`` and record the placement in the view; see :class:`Route` for what comes
        back."""
        return self.explain(request, policy, now_s=now_s)[1]

    def explain(self, request: Request, policy: Policy, *, now_s: float) -> tuple[CandidateCosts, Route]:
        """Route one request (recording the placement in the view) and also return every candidate's predicted costs
        (what the policy saw)."""
        self.require_base_station(request.ingress)
        ingress = request.ingress
        costs = self._costs(
            request.service_id,
            ingress,
            ingress,
            request.data_bits,
            request.result_bits,
            0.0,
            request.work,
            request.deadline_s,
            request.memory_bytes,
            now_s,
        )
        return costs, self._decide(request.service_id, ingress, costs, policy)

    def route_stages(
        self, request: SplitRequest, policy: Policy, *, now_s: float, elapsed_s: float = 0.0, record: bool = True
    ) -> StagedRoute:
        """Route the stages of a split request in order, each with the budget the earlier ones leave, and record each
        placement in the view; with ``record=False``, only predict (a caller weighing several requests records the
        one it takes with :meth:`record`).

        ``elapsed_s`` is the time the request will have spent before its data is at the ingress (an upload still to
        come): the stages are predicted (and recorded) from then on, within what it leaves of the deadline.

        A tiled stage (``tiles = T > 1``) is predicted as one decision for a tile (its share of the input and work,
        ``1 / T`` of the output) and placed on ``T`` distinct candidates by :meth:`_spread`; its predicted latency
        is its slowest tile's, and the next stage is predicted from that tile's node with its ``1 / T`` of the
        output (the other tiles' outputs are taken to arrive no later)."""
        ingress = request.ingress
        self.require_base_station(ingress)
        source, bits, spent = ingress, request.data_bits, elapsed_s
        prunes = getattr(policy, "least_total", False)
        last = len(request.stages) - 1
        result_bits = request.stages[last].output_bits
        if request.stages[last].tiles > 1:  # each tile's share goes home on its own
            result_bits = result_bits / request.stages[last].tiles
        routes = []
        tiled: list[tuple[Route, ...]] = []
        pick = 0  # each stage's choice among its decision's candidates: the last one's is where the result leaves
        for k, stage in enumerate(request.stages):
            service_id = stage.service_id
            if stage.tiles > 1:
                if not tiled:
                    tiled = [(route,) for route in routes]
                route, costs, pick = self._route_tiles(
                    stage,
                    source,
                    ingress,
                    bits,
                    result_bits,
                    k == last,
                    request.deadline_s - spent,
                    now_s + spent,
                    policy,
                    record,
                    tiled,
                )
                routes.append(route)
                source, bits, spent = route.node_id, stage.output_bits / stage.tiles, spent + route.latency_s
                continue
            out_bits, ahead_bits = (stage.output_bits, 0.0) if k == last else (0.0, result_bits)
            budget_s = request.deadline_s - spent
            costs = self._stage_costs(
                service_id,
                source,
                ingress,
                bits,
                out_bits,
                ahead_bits,
                stage.work,
                budget_s,
                stage.memory_bytes,
                now_s + spent,
                prunes,
            )
            pick = policy.choose(costs)
            route = self._route_at(service_id, source, costs, pick, record)
            routes.append(route)
            if tiled:
                tiled.append((route,))
            source, bits, spent = route.node_id, stage.output_bits, spent + route.latency_s
        return StagedRoute(
            stages=tuple(routes),
            return_path=self._kept_path(costs.transfers.home_paths, pick, source, ingress),  # from the last pick
            deadline_s=request.deadline_s,
            tiles=tuple(tiled),
        )

    def _stage_costs(
        self,
        service_id: str,
        source: str,
        home: str,
        in_bits: float,
        out_bits: float,
        result_bits: float,
        work: Work,
        budget_s: float,
        memory_bytes: float,
        start_s: float,
        prunes: bool,
    ) -> CandidateCosts:
        """A stage's decision of :meth:`route_stages`: over its shortlist when ``prunes`` and the shortlist settles
        it, else over the wider one when that settles it (module docstring), else over every candidate; predicted
        into the service's last costs of the kind."""
        if prunes:
            instances = self.instances(service_id)
            for keep, last in ((SHORTLIST, self._last_short), (WIDE_SHORTLIST, self._last_wide)):
                shortlist = self._tables.shortlist(
                    service_id, instances, source, home, in_bits, out_bits, result_bits, work, memory_bytes, keep
                )
                if shortlist is None:
                    break  # it would hold every candidate: so would a wider one
                costs = predict(
                    instances=shortlist.instances,
                    transfers=shortlist.transfers,
                    demand=shortlist.demand,
                    view=self._view,
                    start_s=start_s,
                    budget_s=budget_s,
                    into=last.get(service_id),
                )
                if self.deployment is not None:  # before settling: a cold start only raises the shortlist's costs
                    self.deployment.charge(service_id, costs)
                last[service_id] = costs  # the service's last costs of the kind, predicted into by the next
                if costs.settles(shortlist.bound_s, TIE_S):
                    return costs
        costs = self._costs(
            service_id,
            source,
            home,
            in_bits,
            out_bits,
            result_bits,
            work,
            budget_s,
            memory_bytes,
            start_s,
            self._last_costs.get(service_id),
        )
        self._last_costs[service_id] = costs
        return costs

    def _route_tiles(
        self,
        stage: Stage,
        source: str,
        ingress: str,
        bits: float,
        result_bits: float,
        is_last: bool,
        budget_s: float,
        start_s: float,
        policy: Policy,
        record: bool,
        tiled: list[tuple[Route, ...]],
    ) -> tuple[Route, CandidateCosts, int]:
        """Route a tiled stage of :meth:`route_stages`, append its tiles' routes to ``tiled``, and return the slowest
        (the first of the slowest on ties), with the decision and the candidate it is."""
        service_id, tiles = stage.service_id, stage.tiles
        out_bits, ahead_bits = (stage.output_bits / tiles, 0.0) if is_last else (0.0, result_bits)
        costs = self._costs(
            service_id,
            source,
            ingress,
            bits * stage.share,
            out_bits,
            ahead_bits,
            stage.tile_work,
            budget_s,
            stage.memory_bytes,
            start_s,
            self._last_costs.get(service_id),
        )
        self._last_costs[service_id] = costs
        picks = self._spread(service_id, costs, policy, tiles)
        group = tuple([self._route_at(service_id, source, costs, pick, record) for pick in picks])
        tiled.append(group)
        slowest = 0
        for k in range(1, tiles):
            if group[k].latency_s > group[slowest].latency_s:
                slowest = k
        return group[slowest], costs, picks[slowest]

    def _spread(self, service_id: str, costs: CandidateCosts, policy: Policy, tiles: int) -> list[int]:
        """The candidates of one decision that ``tiles`` tiles go to, distinct: the policy's choice, then the other
        candidates that meet the budget in order of predicted latency, then the rest in that order (first position
        on ties). Under ``compute-aware`` these are the ``tiles`` best by predicted latency; every other policy
        keeps its own choice for the first tile. One decision's costs serve every tile: a placement changes only
        its own node's prediction, and no other tile goes there."""
        first = policy.choose(costs)
        picks = [first]
        for pick in np.lexsort((costs.total_s, ~costs.feasible)).tolist():
            if len(picks) == tiles:
                break
            if pick != first:
                picks.append(pick)
        if len(picks) < tiles:
            raise ValueError(f"service {service_id} has {len(picks)} instances, fewer than its {tiles} tiles")
        return picks

    def record(self, staged: StagedRoute) -> None:
        """Record in the view the placements of ``staged``, routed with ``record=False`` (:meth:`route_stages`)."""
        index = self._fleet.index
        if staged.tiles:
            for group in staged.tiles:
                for route in group:
                    self._view.place(index[route.node_id], route.arrival_s, route.compute_s)
            return
        for route in staged.stages:
            self._view.place(index[route.node_id], route.arrival_s, route.compute_s)

    def _decide(
        self, service_id: str, source: str, costs: CandidateCosts, policy: Policy, record: bool = True
    ) -> Route:
        return self._route_at(service_id, source, costs, policy.choose(costs), record)

    def _route_at(self, service_id: str, source: str, costs: CandidateCosts, pick: int, record: bool) -> Route:
        """The :class:`Route` to candidate ``pick`` of ``costs``, recorded in the view with ``record``."""
        j = costs.instances._nodes[pick]  # the underscored twins: compiled, typed views
        arrival_s = costs.start_s + costs.transfers._in_s[pick]
        if record:
            self._view.place(j, arrival_s, costs._compute_s[pick])
        node_id = self._node_ids[j]
        path = self._kept_path(costs.transfers.paths, pick, source, node_id)
        why_cloud = cloud_reason(service_id, costs, pick) if costs.instances._is_cloud[pick] else None
        return Route(
            service_id=service_id,
            node_id=node_id,
            path=path,
            network_s=float(costs.transfers._network_s[pick]),
            queue_s=float(costs._queue_s[pick]),
            compute_s=float(costs._compute_s[pick]),
            budget_s=costs.budget_s,
            cloud_fallback=why_cloud is not None and not why_cloud.edge_feasible,
            arrival_s=arrival_s,
            why_cloud=why_cloud,
        )

    def _kept_path(self, paths: list[tuple[str, ...] | None], pick: int, source: str, target: str) -> tuple[str, ...]:
        """The fastest path from ``source`` to ``target``, kept at ``paths[pick]`` (a list of a decision's
        :class:`~mcfn.routing.costs.Transfers`, each entry a path between its candidate ``pick`` and its source or
        home): one read of what the decision has just read, not two tables of every source's paths."""
        path = paths[pick]
        if path is None:
            path = paths[pick] = self._tables.path(source, target)
        return path

    def require_base_station(self, name: str) -> None:
        """Raise unless ``name`` is a base station of the topology (the only place requests enter)."""
        if name not in self._stations:
            role = self._topology.role(name)  # raises for an unknown node
            raise ValueError(f"ingress {name!r} is not a base station (its role is {role.value})")


def _stages_latency_s(stages: tuple[Route, ...]) -> float:
    """The sum of ``stages``' latencies in their order (as ``sum`` adds them)."""
    total = 0.0
    for stage in stages:
        total += stage.network_s + stage.queue_s + stage.compute_s
    return total


class CloudReason:
    """Why a decision chose its cloud candidate (a :attr:`Route.reason`, worded only when called).

    It keeps the facts the wording needs (:func:`cloud_reason` takes them from the decision), not the decision's
    costs: the router predicts its next decisions into those (:func:`~mcfn.routing.costs.predict`).
    """

    __slots__ = ("budget_s", "chosen_s", "edge_feasible", "edges", "least_edge_s", "service_id")

    def __init__(
        self,
        service_id: str,
        *,
        budget_s: float,
        chosen_s: float,
        edge_feasible: bool,
        edges: int,
        least_edge_s: float,
    ) -> None:
        self.service_id = service_id
        self.budget_s = budget_s
        self.chosen_s = chosen_s
        self.edge_feasible = edge_feasible
        self.edges = edges
        self.least_edge_s = least_edge_s

    def __call__(self) -> str:
        if not self.edges:
            return f"service {self.service_id} has no edge instance"
        if not self.edge_feasible:
            return f"no edge instance meets the {self.budget_s:.4g} s budget (best edge {self.least_edge_s:.4g} s)"
        if self.chosen_s <= self.least_edge_s:
            return "the cloud is predicted faster than every edge instance"
        return "the policy chose the cloud although an edge instance meets the budget"


def cloud_reason(service_id: str, costs: CandidateCosts, pick: int) -> CloudReason:
    """The :class:`CloudReason` of the decision ``costs`` of ``service_id`` that chose its cloud candidate ``pick``:
    how many edge candidates it weighed (a shortlist's, when it was predicted over one) and the least predicted total
    among them."""
    if cython.compiled:  # the NumPy count and min below in one typed loop; as np.min, a NaN total is the least
        edges, least = 0, np.inf
        edge = costs.instances._is_edge
        for i in range(edge.shape[0]):
            if edge[i]:
                total = costs._total_s[i]
                if edges == 0 or total < least or total != total:
                    least = total
                edges += 1
    else:
        edge_totals = costs.total_s[costs.is_edge]
        edges = edge_totals.size
        least = float(edge_totals.min()) if edges else np.inf
    return CloudReason(
        service_id,
        budget_s=costs.budget_s,
        chosen_s=float(costs._total_s[pick]),
        edge_feasible=costs.edge_feasible(),
        edges=edges,
        least_edge_s=least,
    )
