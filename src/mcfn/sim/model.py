"""The mobile computing-force network as a discrete-event model: the life of every task, driving the core.

A task's life (events on :class:`~mcfn.sim.engine.Simulator`; what each costs is listed below):

1. it arrives at a terminal (:mod:`mcfn.sim.arrivals`: Poisson streams per terminal and service, or a trace);
2. the terminal's serving base station is its ingress; the router (:class:`mcfn.routing.Router` with a policy
   of :mod:`mcfn.routing.policies`, reading the stale :class:`mcfn.awareness.AwareView`) places every stage of
   its split plan (:meth:`~mcfn.routing.Router.route_stages`, from when its upload is predicted to end at the rate
   the uplink would give it now): the plan of its service's reference option, or,
   under an orchestrating policy (:class:`mcfn.orchestration.UtilityChooser`), of the option (model variant and
   exit) and input compression that the chooser predicts to maximise the seed's utility;
3. its (compressed) input is uploaded over the station's shared OFDMA uplink (:mod:`mcfn.sim.access`; under
   ``joint-allocation`` the station's seed §3.2 allocation, :mod:`mcfn.sim.joint_uplink`, chooses the compression
   ratio and the compute share of the first stage's VM, or turns the task away), then crosses the wired network
   hop by hop (:mod:`mcfn.sim.wired`) to the first stage's node;
4. each stage runs on a VM of its node (:mod:`mcfn.sim.servers`), its output travels to the next stage's node.
   The first stage's one-VM work is scaled by the task's :attr:`Flight.first_work`: by the compression ratio
   where the service's work scales with its input (``work_scales_with_input``), and by ``1 / share`` for the
   allocation's compute share — the share throttles the VM (a VM held to ``share`` of its speed), while the
   slowdown of parallel VMs (seed eq. 2) stays the server's own, applied by :mod:`mcfn.sim.servers` to however
   many VMs actually run: the allocation's model of that slowdown is its prediction, not applied twice;
5. the last output travels to the base station serving the terminal *when it leaves* and, if the terminal has
   moved on meanwhile, on to its new station; the downlink then delivers it (``radio_delay_s + bits /
   downlink_bps``, not shared).

A tiled stage (a vertical split, ``tiles: T``) forks: its input's ``(1 + halo) / T`` share goes from where the
input is (the ingress station or the stage before's node) to each of its ``T`` tiles' nodes, each tile computes
its share of the work there, and sends ``1 / T`` of the output on to the next stage's node, or, after the last
stage, to the station serving the terminal when the stage's first tile finished; the stage joins when the last
tile's output has arrived, and the next stage starts (the result is delivered) then. A tile's events carry a job
id of its own (:func:`tile_job`), above every task id; a tiled stage never follows another (the scenario's
validation). The task's ``compute_s`` counts a tiled stage's longest tile.

A task that meets a failure (:mod:`mcfn.sim.failures`) is re-routed: its whole chain restarts from its ingress
station, which keeps the uploaded input, with the deadline it has left, at most ``max_reroutes`` times; else it
fails with the reason; a tile that meets one re-routes its whole task, and the task's other tiles of that route
run on where they are and are dropped when they next arrive or end (their job ids name the route they belong
to). Every task ends exactly once in the :class:`~mcfn.sim.records.TaskTable`.

What a task's life costs in kernel events (each is a state change at its own instant that something else can
see, so none can be dropped without changing the model):

- its arrival (one pending arrival for all Poisson streams, :mod:`mcfn.sim.arrivals`);
- its input leaving the uplink: the end of the transmission plus ``radio_delay_s`` is one event, because the
  station frees the band at the end of the transmission without an event (:mod:`mcfn.sim.sharing`: a job leaves
  ``delay_s`` after its service, and nothing can happen to it in between);
- one per wired link it crosses, in and out (the bits through the shared link plus the propagation delay,
  likewise one event; :mod:`mcfn.sim.wired`);
- one per stage, when its compute on the node's VMs ends;
- its delivery over the downlink, after the check at the station that it is still the terminal's.

Sharing adds no event of its own, but moves a station's one pending event when a new job changes who finishes
first (cancelled events are not counted). Nodes' adverts cost two events each (sent, received), about 0.6 per
task in the default scenario. Measured there: 9.6 events per task with ``compute-aware`` (1 + 1 + 4.4 links +
1.7 stages + 1 + 0.6 adverts), 7.3 with ``nearest-edge``, 13.4 with ``round-robin``; ``mcfn run`` prints the
measured events per task of every run.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mcfn.awareness import AdvertPolicy, AwareView
from mcfn.network.uplink import JOINT_ALLOCATION
from mcfn.orchestration.choice import UtilityChooser
from mcfn.routing import Policy, SplitRequest
from mcfn.routing.router import Router, StagedRoute
from mcfn.sim.access import NO_SERVICE_REASON, RadioAccess
from mcfn.sim.arrivals import Arrivals
from mcfn.sim.energy import link_j_per_bit, server_powers
from mcfn.sim.engine import Handler, Simulator
from mcfn.sim.joint_uplink import JointUplinks
from mcfn.sim.records import TaskTable
from mcfn.sim.servers import ComputeServers
from mcfn.sim.wired import WiredNetwork
from mcfn.sim.world import World, menus

#: Tile job ids start here (task ids are below): ``TILE_BASE + ((task << 7 | route) << 4 | tile)``, with ``route``
#: the task's re-route count (at most 100 < 2^7) and ``tile`` below 16.
TILE_BASE = 1 << 40
#: Jobs from this id up are no task's: uplink jobs of a background workload (:attr:`NetworkModel.background`) and,
#: from ``LOAD_BASE`` up, the deployment's loads and migrations on the wired network (:mod:`mcfn.sim.deployment`).
BACKGROUND_BASE = 1 << 56
LOAD_BASE = 1 << 60


def tile_job(task: int, route: int, tile: int) -> int:
    """The job id of tile ``tile`` of ``task`` on its ``route``-th route (0: the first; re-routes count up)."""
    return TILE_BASE + (((task << 7) | route) << 4 | tile)


def stage_seconds(alone_s: tuple[tuple[tuple[float, ...], ...], ...]) -> np.ndarray:
    """``alone_s[o][k][j]`` (:attr:`World.alone_s`) as one C-contiguous array ``[o, k, j]``, NaN where option ``o``
    has no stage ``k``."""
    stages = max(len(option) for option in alone_s)
    nodes = len(alone_s[0][0])
    table = np.full((len(alone_s), stages, nodes), np.nan)
    for o, option in enumerate(alone_s):
        table[o, : len(option)] = option
    return table


class Flight:
    """The mutable state of one task in flight (dropped when it ends; what remains is its table row).

    ``option`` is the way it is served (:attr:`mcfn.sim.world.World.options`); ``station`` the base station the
    result is heading for (the terminal's serving station when it left); ``compression`` the share of its input the
    task uploads (chosen by the orchestrator, or by the uplink solver); ``first_work`` the factor on its first
    stage's one-VM work (module docstring); ``since_s`` when the task reached its current node; ``compute_s`` the
    seconds computed so far (the table's ``compute_s`` when the task ends); ``home_path`` the route's fastest path
    from its last stage's node to its ingress station, found when the topology's version was ``paths_version`` (the
    way its result goes while the terminal is still there and the topology unchanged). With a tiled stage in its
    route: ``tiles[k]`` the fleet indices of stage ``k``'s tiles (``None``: untiled), ``scatter[k]`` the paths of
    their inputs, ``gather[k]`` the paths of their outputs to the next stage's node; ``jobs`` the job id of tile 0 on
    this route (:func:`tile_job`); for the current tiled stage, ``pending`` tiles whose output has not arrived,
    ``computed`` tiles done computing, ``tile_since`` when each began and ``tile_s`` the longest tile's compute
    seconds so far.
    """

    __slots__ = (
        "arrival_s",
        "compression",
        "compute_s",
        "computed",
        "first_work",
        "gather",
        "home_path",
        "ingress",
        "jobs",
        "nodes",
        "option",
        "paths",
        "paths_version",
        "pending",
        "scatter",
        "service",
        "since_s",
        "stage",
        "station",
        "terminal",
        "tile_s",
        "tile_since",
        "tiles",
        "work_scale",
    )

    @staticmethod
    def arriving(service: int, option: int, terminal: int, ingress: int, work_scale: float, arrival_s: float) -> Flight:
        """The flight of a task arriving now (compiled: made without a constructor call and its argument tuple)."""
        flight = Flight.__new__(Flight)
        flight.service = service
        flight.option = option
        flight.terminal = terminal
        flight.ingress = ingress
        flight.work_scale = work_scale
        flight.arrival_s = arrival_s
        flight.station = ingress
        flight.compression = 1.0
        flight.first_work = 1.0
        # the lists are set when the task is routed (and, for a tiled stage, scattered): none is made before
        flight.nodes: list[int] | None = None
        flight.paths: list[tuple[str, ...]] | None = None
        flight.home_path: tuple[str, ...] | None = None
        flight.paths_version = -1
        flight.stage = 0
        flight.since_s = 0.0
        flight.compute_s = 0.0
        flight.tiles: list[tuple[int, ...] | None] | None = None
        flight.scatter: list[tuple[tuple[str, ...], ...] | None] | None = None
        flight.gather: list[tuple[tuple[str, ...], ...] | None] | None = None
        flight.jobs = 0
        flight.pending = 0
        flight.computed = 0
        flight.tile_since: list[float] | None = None
        flight.tile_s = 0.0
        return flight


#: What a :class:`_Step` event is: a task at a node, its stage (or a tile) computed, the task at its station, a tile
#: at its node, a tile's output joined, a result delivered.
AT_NODE, COMPUTED, AT_STATION, AT_TILE, JOINED, DELIVERED = range(6)


class _Step(Handler):
    """One kind of step in the life of the model's tasks, as a kernel :class:`~mcfn.sim.engine.Handler` of task
    (or tile job) ids: what the wired network, the servers and the downlink hand on without a Python call or an
    argument tuple (compiled, a C call with the id)."""

    def __init__(self, model: NetworkModel, kind: int) -> None:
        self.model = model
        self.kind = kind

    def handle(self, job: int) -> None:
        kind, model = self.kind, self.model
        if kind == AT_NODE:
            model._at_node(job)
        elif kind == COMPUTED:
            model._computed(job)
        elif kind == AT_STATION:
            model._at_station(job)
        elif kind == AT_TILE:
            model._at_tile(job)
        elif kind == JOINED:
            model._joined(job)
        else:
            model._delivered(job)


class NetworkModel:
    """One run's model: the world's parts as event-driven stations, and the tasks moving through them."""

    def __init__(self, sim: Simulator, world: World, *, policy: Policy, orchestrated: bool = False) -> None:
        """Route with ``policy``; with ``orchestrated``, choose each task's option and compression too
        (:class:`~mcfn.orchestration.UtilityChooser` routing with ``policy``)."""
        scenario = world.scenario
        self.sim = sim
        self.world = world
        self._policy = policy
        self.table = TaskTable(stages=world.max_stages, capacity=world.expected_tasks)
        self.view = AwareView(world.fleet)
        self.router = Router(topology=world.topology, catalog=world.catalog, view=self.view)
        self._topology = world.topology
        self.wired = WiredNetwork(
            sim, world.topology, on_blocked=self.reroute, j_per_bit=link_j_per_bit(world.topology, scenario.energy)
        )
        #: The stations' seed §3.2 allocation under ``joint-allocation``, else None.
        self.joint = (
            JointUplinks(sim, world, on_finish=self._uploaded)
            if scenario.radio.uplink_policy == JOINT_ALLOCATION
            else None
        )
        self.access = RadioAccess(
            sim,
            scenario,
            station_xy_m=world.station_xy_m,
            on_uploaded=self._uploaded,
            uplinks=None if self.joint is None else self.joint.uplinks,
        )
        core = world.topology.fastest_paths("core").delay_s
        vertices = [world.topology.index_of(n) for n in world.fleet.node_ids]
        aware = scenario.awareness
        self.servers = ComputeServers(
            sim,
            fleet=world.fleet,
            view=self.view,
            policy=AdvertPolicy(
                period_s=aware.period_s, jitter_s=aware.jitter_s, loss_probability=aware.loss_probability
            ),
            delay_to_router_s=core[vertices],
            on_computed=_Step(self, COMPUTED),
            dynamic_w_per_vm=[
                p.dynamic_w_per_vm(n.vm_slots) for p, n in zip(server_powers(world), world.fleet.nodes, strict=True)
            ],
        )
        self.down_stations: set[int] = set()
        #: The deployed state of the nodes (:class:`mcfn.sim.deployment.SimDeployment`), or None: every stage is
        #: loaded wherever it may run, at no memory cost (a scenario without ``deployment``).
        self.deployment = None
        #: ``uploaded(job, sent_s)`` of a workload that shares the uplinks with job ids from ``BACKGROUND_BASE`` up
        #: (federated learning's updates, :mod:`mcfn.sim.fl_rounds`); None: none.
        self.background = None
        #: The flight of every task by its id (the table's row); None once the task has ended.
        self._flights: list[Flight | None] = []
        self._requests = world.requests
        #: :attr:`World.alone_s` as one array ``[option, stage, node]`` (NaN past an option's last stage): compiled, a
        #: stage's compute seconds are one C read, not three list look-ups and a float object (on a large network,
        #: each a likely cache miss).
        self._alone_s = stage_seconds(world.alone_s)
        self._reference = tuple(world.reference(s) for s in range(len(scenario.services)))
        self.chooser = (
            UtilityChooser(router=self.router, policy=policy, menus=menus(world), weight=scenario.utility_weight)
            if orchestrated
            else None
        )
        # what the life of a task reads of its service and option, as plain tuples: the service's input bits, and
        # each stage's output bits of an option
        self._data_bits = tuple(s.data_bits for s in scenario.services)
        self._scales = tuple(s.work_scales_with_input for s in scenario.services)
        self._output_bits = tuple(tuple(stage.output_bits for stage in o.stages) for o in world.options)
        #: each stage's share of the input and work per tile, ``(1 + halo) / tiles`` (1: untiled)
        self._share = tuple(tuple(stage.share for stage in requests[0].stages) for requests in world.requests)
        # one bound method each for every task's events, not one per event
        self._at_node_step = _Step(self, AT_NODE)
        self._at_station_step = _Step(self, AT_STATION)
        self._at_tile_step = _Step(self, AT_TILE)
        self._joined_step = _Step(self, JOINED)
        self._delivered_step = _Step(self, DELIVERED)
        self._node_index = world.fleet.index
        self._node_ids = world.fleet.node_ids
        self._stations = world.stations
        self._radio_delay_s = scenario.radio.radio_delay_s
        self._downlink_bps = scenario.radio.downlink_bps
        self._max_reroutes = scenario.max_reroutes
        #: The terminals' devices and batteries (:mod:`mcfn.sim.terminals`), set by the caller when the scenario has
        #: terminal compute; None: terminals do not compute.
        self.terminals = None
        self.arrivals = Arrivals(sim, scenario, on_arrival=self._arrive)

    # --- arrivals --------------------------------------------------------------------------------------------
    def _arrive(self, service: int, terminal: int, scale: float) -> None:
        now = self.sim.now
        station = self.access.serving_station(terminal)
        task = self.table.arrive(now, service, terminal, station)
        option = self._reference[service]
        flight = Flight.arriving(service, option, terminal, station, scale, now)
        self._flights.append(flight)  # at index task: ids count arrivals
        decided = None
        if self.terminals is not None:
            decided = self.terminals.arrive(task, service, terminal, station)
            if decided is True:  # it runs on the terminals (or failed: an empty battery)
                return
        if station < 0:  # NO_SERVICE: the terminal is outside coverage
            self.fail(task, NO_SERVICE_REASON)
            return
        self._offload(task, flight, station, decided)

    def _offload(self, task: int, flight: Flight, station: int, decided: object) -> None:
        """Route ``task`` from ``station`` and start its upload; ``decided``: the orchestrator's choice already made
        for it (:mod:`mcfn.sim.terminals`), or None."""
        if station in self.down_stations:
            self.fail(task, f"serving base station {self.world.stations[station]} is down")
            return
        now = self.sim.now
        service, terminal = flight.service, flight.terminal
        uplink_bps = self.access.uplink_bps(terminal, station)
        if self.chooser is None:
            upload_s = self._radio_delay_s + self._data_bits[service] / uplink_bps  # as the uplink stands now
            route = self.router.route_stages(
                self._requests[flight.option][station], self._policy, now_s=now, elapsed_s=upload_s
            )
            compression = 1.0
        else:
            choice = self.chooser.choose(service, station, uplink_bps, now) if decided is None else decided
            route, compression = choice.route, choice.compression
            flight.option = choice.option
        if not self._plan(task, route):
            return
        if self._data_bits[service] > 0:
            if self.joint is None:
                self.access.upload(task, station, terminal, service, compression)
            else:
                snr_hz = self.access.uplink_snr_hz(terminal)
                decided = self.joint.offer(
                    station, task, snr_hz=snr_hz, option=flight.option, node=flight.nodes[0], route=route
                )
                if decided is None:
                    self.fail(task, "the uplink allocation turned it away: its deadline and floor cannot be met")
                    return
                compression, share = decided
                flight.first_work = 1.0 / share
                self.table.shared(task, share)
            if compression < 1.0:
                flight.compression = compression
                self.table.compressed(task, compression)
                if self._scales[service]:
                    flight.first_work *= compression
        elif self._radio_delay_s:
            self.sim.schedule(self._radio_delay_s, self._uploaded, task, now)
        else:
            self._uploaded(task, now)

    # --- the life of a task ----------------------------------------------------------------------------------
    def _plan(self, task: int, route: StagedRoute) -> bool:
        """Adopt ``route`` for ``task``; fails the task (and returns False) when it leads into a failure."""
        flight = self._flights[task]
        if route.tiles:
            return self._plan_tiles(task, flight, route)
        nodes, paths = [], []
        for stage in route.stages:
            j = self._node_index[stage.node_id]
            obstacle = self.wired.obstacle(stage.path) or (
                f"node {self._node_ids[j]} is down" if self.servers.down[j] else None
            )
            if obstacle is not None:
                self.fail(task, f"routed into a failure: {obstacle}")
                return False
            nodes.append(j)
            paths.append(stage.path)
        flight.nodes, flight.paths, flight.stage = nodes, paths, 0
        flight.home_path, flight.paths_version = route.return_path, self._topology.version
        self.table.route(task, flight.option, nodes)
        return True

    def _plan_tiles(self, task: int, flight: Flight, route: StagedRoute) -> bool:
        """:meth:`_plan` for a route with a tiled stage (:attr:`Flight.tiles`); the table records each stage's first
        tile's node (the policy's choice)."""
        node_index, wired = self._node_index, self.wired
        nodes, paths, tiles, scatter, gather = [], [], [], [], []
        last = len(route.tiles) - 1
        for k, group in enumerate(route.tiles):
            if len(group) > 1:
                into = route.tiles[k + 1][0].node_id if k < last else None
                out = None if into is None else tuple(wired.path(tile.node_id, into) for tile in group)
                checked: tuple[tuple[str, ...], ...] = tuple(tile.path for tile in group) + (out or ())
                tiles.append(tuple(node_index[tile.node_id] for tile in group))
                scatter.append(tuple(tile.path for tile in group))
                gather.append(out)
            else:
                checked = () if k and tiles[k - 1] is not None else (group[0].path,)
                tiles.append(None)
                scatter.append(None)
                gather.append(None)
            for tile in group:
                j = node_index[tile.node_id]
                if self.servers.down[j]:
                    self.fail(task, f"routed into a failure: node {self._node_ids[j]} is down")
                    return False
            for path in checked:
                obstacle = wired.obstacle(path)
                if obstacle is not None:
                    self.fail(task, f"routed into a failure: {obstacle}")
                    return False
            nodes.append(node_index[group[0].node_id])
            paths.append(group[0].path)
        flight.nodes, flight.paths, flight.stage = nodes, paths, 0
        flight.tiles, flight.scatter, flight.gather = tiles, scatter, gather
        flight.jobs = tile_job(task, int(self.table.reroutes[task]), 0)
        self.table.route(task, flight.option, nodes)
        return True

    def _uploaded(self, task: int, sent_s: float) -> None:
        """The input has crossed the air interface (``radio_delay_s`` after the upload ended at ``sent_s``)."""
        if task >= BACKGROUND_BASE:
            self.background(task, sent_s)
            return
        flight = self._flights[task]
        self.table.uploaded(task, sent_s - flight.arrival_s)
        if self.terminals is not None:
            self.terminals.uploaded(flight.terminal, sent_s - flight.arrival_s)
        self._first_stage(task)

    def _first_stage(self, task: int) -> None:
        flight = self._flights[task]
        if flight.tiles is not None and flight.tiles[0] is not None:
            self._scatter(flight, self._data_bits[flight.service] * flight.compression)
            return
        self.wired.send(task, flight.paths[0], self._data_bits[flight.service] * flight.compression, self._at_node_step)

    def _at_node(self, task: int) -> None:
        flight = self._flights[task]
        k = flight.stage
        j = flight.nodes[k]
        if self.servers.down[j]:
            self.reroute(task, f"node {self._node_ids[j]} is down")
            return
        flight.since_s = self.sim.now
        alone_s = float(self._alone_s[flight.option, k, j]) * flight.work_scale
        if self.deployment is None:
            self.servers.submit(j, task, alone_s * flight.first_work if k == 0 else alone_s)
        else:
            self.deployment.submit(j, task, task, flight, k, alone_s * flight.first_work if k == 0 else alone_s)

    def _computed(self, task: int) -> None:
        if self.deployment is not None:
            self.deployment.computed(task)
        if task >= TILE_BASE:
            self._tile_computed(task)
            return
        flight = self._flights[task]
        now = self.sim.now
        flight.compute_s += now - flight.since_s
        k = flight.stage + 1
        output_bits = self._output_bits[flight.option]
        if k < len(output_bits):
            flight.stage = k
            if flight.tiles is not None and flight.tiles[k] is not None:
                self._scatter(flight, output_bits[k - 1])
                return
            self.wired.send(task, flight.paths[k], output_bits[k - 1], self._at_node_step)
            return
        station = self.access.serving_station(flight.terminal)
        if station >= 0:  # else outside coverage: towards the last station, which fails it if it is still outside
            flight.station = station
        if flight.station == flight.ingress and flight.paths_version == self._topology.version:
            path = flight.home_path  # the path the wired network would find: the router found it on the same links
        else:
            path = self.wired.path(self._node_ids[flight.nodes[-1]], self._stations[flight.station])
        self.wired.send(task, path, output_bits[-1], self._at_station_step)

    # --- tiles: fork and join ---------------------------------------------------------------------------------
    def _scatter(self, flight: Flight, bits: float) -> None:
        """Send each tile of the current stage its share of the stage's ``bits`` of input (the fork)."""
        k = flight.stage
        paths = flight.scatter[k]
        tiles = len(paths)
        flight.pending, flight.computed, flight.tile_s = tiles, 0, 0.0
        flight.tile_since = [0.0] * tiles
        share = bits * self._share[flight.option][k]
        for t in range(tiles):
            self.wired.send(flight.jobs + t, paths[t], share, self._at_tile_step)

    def _flight_of(self, job: int) -> Flight | None:
        """The flight of tile job ``job``, or None if its task has ended or was re-routed since (a stale tile)."""
        flight = self._flights[(job - TILE_BASE) >> 11]
        if flight is None or flight.jobs != job - (job & 15):
            return None
        return flight

    def _at_tile(self, job: int) -> None:
        flight = self._flight_of(job)
        if flight is None:
            return
        k, t = flight.stage, job & 15
        j = flight.tiles[k][t]
        if self.servers.down[j]:
            self.reroute(job, f"node {self._node_ids[j]} is down")
            return
        flight.tile_since[t] = self.sim.now
        alone_s = float(self._alone_s[flight.option, k, j]) * flight.work_scale
        if self.deployment is None:
            self.servers.submit(j, job, alone_s * flight.first_work if k == 0 else alone_s)
        else:
            work_s = alone_s * flight.first_work if k == 0 else alone_s
            self.deployment.submit(j, job, (job - TILE_BASE) >> 11, flight, k, work_s)

    def _tile_computed(self, job: int) -> None:
        flight = self._flight_of(job)
        if flight is None:
            return
        k, t = flight.stage, job & 15
        tile_s = self.sim.now - flight.tile_since[t]
        if tile_s > flight.tile_s:
            flight.tile_s = tile_s
        output_bits = self._output_bits[flight.option]
        bits = output_bits[k] / len(flight.tiles[k])
        if k + 1 < len(output_bits):
            self.wired.send(job, flight.gather[k][t], bits, self._joined_step)
            return
        # the first tile to finish picks the station
        if flight.computed == 0 and self.access.serving_station(flight.terminal) >= 0:
            flight.station = self.access.serving_station(flight.terminal)
        flight.computed += 1
        path = self.wired.path(self._node_ids[flight.tiles[k][t]], self._stations[flight.station])
        self.wired.send(job, path, bits, self._joined_step)

    def _joined(self, job: int) -> None:
        """A tile's output has arrived at the next stage's node (or the station); the last one joins the stage."""
        flight = self._flight_of(job)
        if flight is None:
            return
        flight.pending -= 1
        if flight.pending:
            return
        flight.compute_s += flight.tile_s
        task = (job - TILE_BASE) >> 11
        k = flight.stage + 1
        if k < len(self._output_bits[flight.option]):
            flight.stage = k
            self._at_node(task)
        else:
            self._at_station(task)

    def _at_station(self, task: int) -> None:
        flight = self._flights[task]
        station, now_serving = flight.station, self.access.serving_station(flight.terminal)
        bits = self._output_bits[flight.option][-1]
        if station in self.down_stations:  # it went down while the result propagated towards it
            self.fail(task, f"node {self.world.stations[station]} is down at delivery")
            return
        if now_serving < 0:  # NO_SERVICE: the terminal has left coverage
            self.fail(task, NO_SERVICE_REASON)
            return
        if now_serving != station:  # the terminal moved on while its result travelled: forward it
            flight.station = now_serving
            stations = self._stations
            self.wired.send(
                task, self.wired.path(stations[station], stations[now_serving]), bits, self._at_station_step
            )
            return
        now = self.sim.now  # the delay as schedule() adds it, without its checks: it is never negative
        self.sim._push_job(now + (self._radio_delay_s + bits / self._downlink_bps), self._delivered_step, task)

    def _delivered(self, task: int) -> None:
        flight = self._flights[task]
        self._flights[task] = None
        self.table.complete(task, self.sim.now, flight.station, flight.compute_s)
        if self.terminals is not None:
            self.terminals.received(flight.terminal, self._output_bits[flight.option][-1])

    # --- tasks on the terminals (mcfn.sim.terminals) ----------------------------------------------------------
    def flight(self, task: int) -> Flight | None:
        """The flight of ``task``, None once it has ended."""
        return self._flights[task]

    def finish_on_terminal(self, task: int) -> None:
        """``task``'s result is at its terminal, computed there or by a helper: it completes (delivered through no
        base station)."""
        flight = self._flights[task]
        self._flights[task] = None
        self.table.complete(task, self.sim.now, -1, flight.compute_s)

    def offload_again(self, task: int, reason: str) -> None:
        """Offload ``task`` afresh from its terminal's serving station after what kept it on the terminals failed
        (``reason``), counting a re-route; or fail it with ``reason`` when it has none left or no service."""
        flight = self._flights[task]
        if self.table.reroutes[task] >= self._max_reroutes:
            self.fail(task, reason)
            return
        station = self.access.serving_station(flight.terminal)
        if station < 0:
            self.fail(task, f"{reason}; {NO_SERVICE_REASON}")
            return
        self.table.reroutes[task] += 1
        flight.option = self._reference[flight.service]
        flight.ingress = flight.station = station
        self._offload(task, flight, station, None)

    # --- endings and re-routing ------------------------------------------------------------------------------
    def fail(self, task: int, reason: str) -> None:
        """End ``task`` as failed with ``reason``."""
        flight = self._flights[task]
        self._flights[task] = None
        self.table.fail(task, self.sim.now, reason, 0.0 if flight is None else flight.compute_s)

    def reroute(self, task: int, reason: str) -> None:
        """Restart ``task``'s chain from its ingress station after a failure, or fail it with ``reason``; ``task``
        may be a tile's job id (:func:`tile_job`), and a stale tile's is ignored; a deployment's load blocked on its
        way is the deployment's to handle."""
        if task >= LOAD_BASE:
            self.deployment.blocked(task)
            return
        if task >= TILE_BASE:
            if self._flight_of(task) is None:
                return
            task = (task - TILE_BASE) >> 11
        table, flight = self.table, self._flights[task]
        if table.reroutes[task] >= self._max_reroutes:
            self.fail(task, reason)
            return
        station = flight.ingress
        if station in self.down_stations:
            self.fail(task, f"{reason}; its ingress station is down too")
            return
        table.reroutes[task] += 1
        # the allocation's compute share was for the VM it saw: the new chain's first stage gets a whole one
        flight.first_work = flight.compression if self._scales[flight.service] else 1.0
        now = self.sim.now
        request: SplitRequest = self._requests[flight.option][station]
        left_s = request.deadline_s - (now - flight.arrival_s)
        request = dataclasses.replace(request, deadline_s=max(left_s, 1e-9))
        route = self.router.route_stages(request, self._policy, now_s=now)
        if self._plan(task, route):
            self._first_stage(task)

    def interrupt_compute(self, node: int) -> list[int]:
        """Take every task (and tile job) off a compute node that went down; returns them (compute time so far is
        counted: for a tile, its stage's longest tile so far)."""
        tasks = self.servers.drop_all(node)
        now = self.sim.now
        for task in tasks:
            if task >= TILE_BASE:
                flight = self._flight_of(task)
                if flight is not None:
                    flight.compute_s += max(flight.tile_s, now - flight.tile_since[task & 15])
                continue
            flight = self._flights[task]
            flight.compute_s += now - flight.since_s
        return tasks

    def fail_all_in_flight(self, reason: str) -> None:
        """End every task still in flight as failed (at the end of the run)."""
        for task in [task for task, flight in enumerate(self._flights) if flight is not None]:
            self.fail(task, reason)
