"""Service deployment in the simulator: the deployed state of every compute node driven as events by a
:class:`~mcfn.deployment.DeploymentPolicy` (:mod:`mcfn.deployment`).

Every stage of every option is an item (:class:`~mcfn.deployment.Item`: its weights, ``memory_bytes`` of the stage
— the zoo's parameter bytes in float32, a quarter of them for an int8 variant —, and its peak activations). When a
stage reaches a node (:meth:`SimDeployment.submit`):

- if the node holds the item, it computes at once;
- if the item is loading there, it waits for the load;
- else the policy names the items to evict to make room; the load starts, and the stage waits for it — its *cold
  start*, which lasts exactly the load: ``load_overhead_s + weights · 8 / storage_read_bps`` from the node's
  storage, or, from the cloud's registry, the weights' transfer over the wired links (shared with every other
  transfer) plus ``load_overhead_s``;
- if no room can be made (every item in use, or a policy that does not evict), the task is re-routed.

The router sees the deployed state (:meth:`SimDeployment.charge`): a candidate without the item is charged its load
time (what is left of a load under way) as queueing, and one that cannot make room is ruled out, so an aware policy
weighs a cold start against going elsewhere. The controller commands the loads, so it knows this state without
adverts. ``optimal`` places every ``period_s`` (:func:`placement_problem`); ``follow-me`` polls handovers at the
mobility's steps, migrates each moved terminal's service state (``state_bytes`` over the wired links, from the node
that served its last task to its new cell's edge server) and loads its items there ahead of its next task.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from mcfn.deployment import DeployedState, Item, load_s, make_deployment_policy
from mcfn.deployment.charge import charge_cold_starts
from mcfn.deployment.placement import PlacementProblem
from mcfn.sim.engine import Handler
from mcfn.sim.model import LOAD_BASE
from mcfn.sim.world import answer_radio_s, stage_service_id

if TYPE_CHECKING:
    from mcfn.routing.costs import CandidateCosts
    from mcfn.scenario import Deployment
    from mcfn.sim.model import Flight, NetworkModel

#: Share of a node's VM-seconds per second the optimal placement may plan for (assumed: queues stay short below it).
PLANNED_UTILISATION = 0.9

#: Bytes per weight of an int8 variant over float32 (the zoo's parameter bytes are float32).
INT8_SHARE = 0.25


class SimDeployment(Handler):
    """The deployed state of ``model``'s nodes under the policy of ``spec``; hooks itself into the model and its
    router. As a kernel :class:`~mcfn.sim.engine.Handler` it receives its weight transfers' arrivals
    (:meth:`handle`)."""

    def __init__(self, model: NetworkModel, spec: Deployment, *, orchestrated: bool) -> None:
        self._model, self._spec, self._orchestrated = model, spec, orchestrated
        world, sim = model.world, model.sim
        self._sim, self._world = sim, world
        fleet = world.fleet
        items, self._item_of = [], []
        for option in world.options:
            name = world.scenario.services[option.service].name
            share = INT8_SHARE if option.precision == "int8" else 1.0
            ids = []
            for k, stage in enumerate(option.stages):
                ids.append(len(items))
                items.append(
                    Item(
                        item_id=stage_service_id(name, option.label, k),
                        weights_bytes=stage.memory_bytes * share,
                        activation_bytes=stage.activation_bytes,
                    )
                )
            self._item_of.append(tuple(ids))
        self._item_index = {item.item_id: i for i, item in enumerate(items)}
        self.state = DeployedState(fleet.memory_bytes, items)
        self.hosts: list[list[int]] = [[] for _ in fleet.nodes]
        for i, item in enumerate(items):
            for j in fleet.indices(world.catalog.hosts(item.item_id)):
                self.hosts[int(j)].append(i)
        self._registry = "cloud" if spec.source == "registry" and "cloud" in fleet.index else None
        self.load_s = np.array([[self._estimate_load_s(node.node_id, item) for item in items] for node in fleet.nodes])
        self.policy = make_deployment_policy(
            spec.policy,
            cost_s=self.load_s.mean(axis=0),
            size_bytes=self.state.item_bytes,
            nodes=len(fleet.nodes),
            period_s=spec.period_s,
        )
        for node, item in self.policy.initial(self.state, self.hosts):
            self.state.reserve(node, item, 0.0)
            self.state.ready(node, item)
        self._waiting: dict[tuple[int, int], list[tuple[int, int, Flight, float]]] = {}
        self._work: dict[int, float] = {}  # a waiting job's compute seconds
        self._running: dict[int, tuple[int, int]] = {}
        self._transfers: dict[int, tuple[int, int]] = {}  # load job -> (node, item); migrations map to (-1, -1)
        self._next_job = LOAD_BASE
        self.cold_start_s: dict[int, float] = {}
        self.cold_starts: dict[int, int] = {}
        self.loads = self.evictions = self.load_bytes = self.registry_bytes = 0
        self.migrations = self.migration_bytes = self.prefetches = 0
        self.memory_t_s: list[float] = []
        self.memory_bytes: list[np.ndarray] = []
        self.plans: list[dict[str, Any]] = []
        self._last_option: dict[tuple[int, int], int] = {}  # (terminal, service) -> option of its last task
        self._state_at: dict[tuple[int, int], int] = {}  # (terminal, service) -> node holding its service state
        stations = world.stations
        self._edge_of_station = [fleet.index.get(name.replace("bs", "edge", 1), -1) for name in stations]
        model.deployment = self
        model.router.deployment = self
        sim.schedule(0.0, self._sample)
        if self.policy.period_s is not None:
            sim.schedule(0.0, self._replan)
        if self.policy.follows_users:
            self._serving = list(model.access.serving)
            sim.schedule(world.scenario.terminals.step_s, self._poll_handovers)

    # --- loading ---------------------------------------------------------------------------------------------
    def _estimate_load_s(self, node_id: str, item: Item) -> float:
        spec = self._spec
        if self._registry is None or node_id == self._registry:
            return load_s(item.weights_bytes, read_bps=spec.storage_read_bps, overhead_s=spec.load_overhead_s)
        bits = 8.0 * item.weights_bytes
        return spec.load_overhead_s + self._world.topology.transfer_s(self._registry, node_id, bits)

    def _start_load(self, node: int, item: int) -> None:
        """Load ``item`` on ``node`` (room made): from storage, or over the wired network from the registry."""
        self.state.reserve(node, item, self._sim.now + self.load_s[node, item])
        weights = self.state.items[item].weights_bytes
        self.loads += 1
        self.load_bytes += weights
        node_id = self._world.fleet.node_ids[node]
        if self._registry is None or node_id == self._registry:
            self._sim.schedule(self.load_s[node, item], self._loaded, node, item)
            return
        job = self._job(node, item)
        self.registry_bytes += weights
        self._model.wired.send(job, self._model.wired.path(self._registry, node_id), 8.0 * weights, self)

    def _job(self, node: int, item: int) -> int:
        job = self._next_job
        self._next_job += 1
        self._transfers[job] = (node, item)
        return job

    def handle(self, job: int) -> None:
        """Weight transfer ``job`` has arrived (a fetch: its node loads the item; a migration's state: nothing)."""
        node, item = self._transfers.pop(job)
        if node >= 0:
            self._sim.schedule(self._spec.load_overhead_s, self._loaded, node, item)

    def blocked(self, job: int) -> None:
        """A registry fetch met a failure on its way: the node reads the item from its own storage instead."""
        node, item = self._transfers.pop(job)
        if node >= 0:
            weights = self.state.items[item].weights_bytes
            spec = self._spec
            self._sim.schedule(
                load_s(weights, read_bps=spec.storage_read_bps, overhead_s=spec.load_overhead_s),
                self._loaded,
                node,
                item,
            )

    def _loaded(self, node: int, item: int) -> None:
        self.state.ready(node, item)
        now = self._sim.now
        for job, task, flight, since_s in self._waiting.pop((node, item), ()):
            self.cold_start_s[task] = self.cold_start_s.get(task, 0.0) + now - since_s
            self.cold_starts[task] = self.cold_starts.get(task, 0) + 1
            if job == task:
                flight.since_s = now
            else:
                flight.tile_since[job & 15] = now
            self._running[job] = (node, item)
            self._model.servers.submit(node, job, self._work.pop(job))

    def _make_room(self, node: int, item: int) -> bool:
        victims = self.policy.victims(self.state, node, item, self._sim.now)
        if victims is None:
            return False
        for victim in victims:
            self.state.evict(node, victim)
            self.policy.evicted(node, victim)
            self.evictions += 1
        return True

    # --- the model's hooks -----------------------------------------------------------------------------------
    def submit(self, node: int, job: int, task: int, flight: Flight, k: int, work_s: float) -> None:
        """Stage ``k`` of ``flight`` (job ``job`` of task ``task``: the task itself, or one of its tiles) reached
        ``node`` with ``work_s`` to compute."""
        item = self._item_of[flight.option][k]
        now = self._sim.now
        self.policy.used(node, item, now)
        state = self.state
        if k == 0 and job == task:
            key = (flight.terminal, flight.service)
            self._last_option[key] = flight.option
            self._state_at[key] = node
        if state.holds(node, item):
            state.pin(node, item)
            self._running[job] = (node, item)
            self._model.servers.submit(node, job, work_s)
            return
        if item not in state.loading[node]:
            if not self._make_room(node, item):
                node_id, item_id = self._world.fleet.node_ids[node], state.items[item].item_id
                self._model.reroute(job, f"no memory for {item_id} on {node_id} under deployment {self.policy.name}")
                return
            self._start_load(node, item)
        state.pin(node, item)
        self._waiting.setdefault((node, item), []).append((job, task, flight, now))
        self._work[job] = work_s

    def computed(self, job: int) -> None:
        """``job`` finished computing: its item is free to go."""
        pinned = self._running.pop(job, None)
        if pinned is not None:
            self.state.unpin(*pinned)

    def charge(self, service_id: str, costs: CandidateCosts) -> None:
        """Charge each candidate of a routing decision for ``service_id`` its cold start (module docstring)."""
        item = self._item_index[service_id]
        charge_cold_starts(costs, self.state, self.policy, item, load_s=self.load_s[:, item], now_s=self._sim.now)

    # --- periodic work ---------------------------------------------------------------------------------------
    def _sample(self) -> None:
        self.memory_t_s.append(self._sim.now)
        self.memory_bytes.append(self.state.used_bytes.copy())
        self._sim.schedule(self._spec.sample_s, self._sample)

    def _replan(self) -> None:
        problem = placement_problem(self._model, self.state, orchestrated=self._orchestrated)
        started = time.perf_counter()
        result = self.policy.plan(problem)
        solve_s = time.perf_counter() - started
        self.plans.append(
            {
                "at_s": self._sim.now,
                "binaries": result.binaries,
                "continuous": result.continuous,
                "constraints": result.constraints,
                "solve_s": solve_s,
                "objective": result.objective,
            }
        )
        state = self.state
        for node, target in enumerate(result.placement):
            wanted = set(target)
            for item in state.evictable(node):
                if item not in wanted:
                    state.evict(node, item)
                    self.policy.evicted(node, item)
                    self.evictions += 1
            for item in target:
                if not state.resident(node, item) and state.fits(node, item):
                    self._start_load(node, item)
        self._sim.schedule(self.policy.period_s, self._replan)

    def _poll_handovers(self) -> None:
        serving = self._model.access.serving
        fleet = self._world.fleet
        for terminal, (before, now) in enumerate(zip(self._serving, serving, strict=True)):
            if before == now or now < 0:
                continue
            target = self._edge_of_station[now]
            if target < 0:
                continue
            for service in range(len(self._world.scenario.services)):
                source = self._state_at.get((terminal, service))
                if source is None or source == target:
                    continue
                self._state_at[terminal, service] = target
                self.migrations += 1
                self.migration_bytes += self._spec.state_bytes
                path = self._model.wired.path(fleet.node_ids[source], fleet.node_ids[target])
                self._model.wired.send(self._job(-1, -1), path, 8.0 * self._spec.state_bytes, self)
                self._prefetch(target, self._last_option[terminal, service])
        self._serving = list(serving)
        self._sim.schedule(self._world.scenario.terminals.step_s, self._poll_handovers)

    def _prefetch(self, node: int, option: int) -> None:
        """Load ``option``'s items that ``node`` may host and lacks, as room allows."""
        for item in self._item_of[option]:
            if item in self.hosts[node] and not self.state.resident(node, item) and self._make_room(node, item):
                self._start_load(node, item)
                self.prefetches += 1

    # --- results ---------------------------------------------------------------------------------------------
    def columns(self, count: int) -> dict[str, np.ndarray]:
        """Per task: ``cold_start_s`` (seconds its stages waited for loads) and ``cold_starts`` (stages that did)."""
        seconds, starts = np.zeros(count), np.zeros(count, dtype=np.int16)
        for task, s in self.cold_start_s.items():
            seconds[task] = s
        for task, n in self.cold_starts.items():
            starts[task] = n
        return {"cold_start_s": seconds, "cold_starts": starts}

    def summary(self, columns: Mapping[str, np.ndarray]) -> dict[str, Any]:
        """The run's deployment figures (documented in ``docs/outputs.md``)."""
        done = ~np.isnan(columns["latency_s"])
        latency = columns["latency_s"][done]
        cold = columns["cold_start_s"]
        memory = np.array(self.memory_bytes)
        capacity = self.state.capacity_bytes
        nodes = self._world.fleet.node_ids
        edges = [j for j, node in enumerate(self._world.fleet.nodes) if node.tier.value == "edge"]
        plans = self.plans
        return {
            "policy": self.policy.name,
            "source": self._spec.source,
            "cold_starts": int(columns["cold_starts"].sum()),
            "cold_starts_per_task": float(columns["cold_starts"].mean()) if cold.size else 0.0,
            "cold_start_task_share": float((columns["cold_starts"] > 0).mean()) if cold.size else 0.0,
            "cold_start_latency_share": float(cold[done].sum() / latency.sum()) if latency.size else 0.0,
            "mean_cold_start_s": float(cold[cold > 0].mean()) if (cold > 0).any() else 0.0,
            "loads": self.loads,
            "load_bytes": float(self.load_bytes),
            "registry_bytes": float(self.registry_bytes),
            "evictions": self.evictions,
            "migrations": self.migrations,
            "migration_bytes": float(self.migration_bytes),
            "prefetches": self.prefetches,
            "peak_memory_share": {n: float(memory[:, j].max() / capacity[j]) for j, n in enumerate(nodes)},
            "peak_edge_memory_share": float(max(memory[:, j].max() / capacity[j] for j in edges)) if edges else 0.0,
            "mean_memory_share": {n: float(memory[:, j].mean() / capacity[j]) for j, n in enumerate(nodes)},
            "memory_capacity_bytes": {n: float(capacity[j]) for j, n in enumerate(nodes)},
            "memory_over_time": {
                "t_s": self.memory_t_s,
                "bytes": {n: memory[:, j].tolist() for j, n in enumerate(nodes)},
            },
            "placements": len(plans),
            "placement_binaries": max((p["binaries"] for p in plans), default=0),
            "placement_continuous": max((p["continuous"] for p in plans), default=0),
            "placement_constraints": max((p["constraints"] for p in plans), default=0),
            "placement_mean_solve_s": float(np.mean([p["solve_s"] for p in plans])) if plans else None,
            "placement_max_solve_s": max((p["solve_s"] for p in plans), default=None),
        }


def placement_problem(model: NetworkModel, state: DeployedState, *, orchestrated: bool) -> PlacementProblem:
    """The placement MILP (:mod:`mcfn.deployment.placement`) of ``model`` now: demand per (cell, service) the
    terminals each cell serves times their rate (a trace-driven service: the rate of the whole trace spread
    evenly); a choice per option (every option under an orchestrating policy, else the reference) and node ``n`` (an
    edge server or the cloud) running each stage on ``n`` where its tiers allow, else in the cloud; its latency the
    wired transfers between the station and the stages' nodes (uncontended) plus each stage alone on one VM plus the
    radio time outside the route, the upload excluded (the same for every choice); ``capacity`` each node's VM slots
    at :data:`PLANNED_UTILISATION`."""
    world = model.world
    scenario, fleet, topology = world.scenario, world.fleet, world.topology
    radio, w = scenario.radio, scenario.utility_weight
    stations = world.stations
    serving = np.asarray(model.access.serving)
    per_cell = np.bincount(serving[serving >= 0], minlength=len(stations))
    cloud = [j for j, node in enumerate(fleet.nodes) if node.tier.value == "cloud"]
    rate, choice_class, needs, gains, works = [], [], [], [], []
    item_of = model.deployment._item_of
    for c, station in enumerate(stations):
        for s, service in enumerate(scenario.services):
            per_terminal = service.rate_per_terminal_per_s
            if per_terminal is None:
                per_terminal = 1.0 / max(scenario.terminals.count, 1)
            d = len(rate)
            rate.append(per_cell[c] * per_terminal)
            options = world.service_options[s] if orchestrated else (world.reference(s),)
            for o in options:
                option = world.options[o]
                for n, node in enumerate(fleet.nodes):
                    placed = []
                    for stage in option.stages:
                        if node.tier.value in stage.on:
                            placed.append(n)
                        elif "cloud" in stage.on and cloud:
                            placed.append(cloud[0])
                        else:
                            break
                    if len(placed) < len(option.stages) or n not in placed:
                        continue
                    latency_s = answer_radio_s(option, radio)
                    where, bits = station, service.data_bits
                    work: dict[int, float] = {}
                    for k, j in enumerate(placed):
                        latency_s += topology.transfer_s(where, fleet.node_ids[j], bits) + world.alone_s[o][k][j]
                        work[j] = work.get(j, 0.0) + world.alone_s[o][k][j]
                        where, bits = fleet.node_ids[j], option.stages[k].output_bits
                    latency_s += topology.transfer_s(where, station, bits)
                    if latency_s > service.deadline_s:
                        continue
                    choice_class.append(d)
                    needs.append(tuple(sorted({(j, item_of[o][k]) for k, j in enumerate(placed)})))
                    gains.append(w * option.accuracy - (1 - w) * latency_s / service.deadline_s + (1 - w))
                    works.append(tuple(work.items()))
    return PlacementProblem(
        memory_bytes=state.capacity_bytes,
        capacity=[node.vm_slots * PLANNED_UTILISATION for node in fleet.nodes],
        item_bytes=state.item_bytes,
        rate=rate,
        choice_class=choice_class,
        choice_needs=needs,
        choice_gain=gains,
        choice_work=works,
    )
