"""Federated-learning rounds as a workload of the simulated mobile network (hierarchical FL over the cells).

A round, from when the cloud starts it (:meth:`FederatedRounds.run_round`):

1. each chosen terminal downloads the global model over the downlink (``radio_delay_s + bits / downlink_bps``, not
   shared, as a task's answer), then trains on its own samples on its own processor (``work / flops_per_s``;
   its speed drawn once per terminal, :data:`TERMINAL_FLOPS_PER_S`);
2. it uploads its update over its serving base station's OFDMA uplink, *shared* with whatever else uploads there
   (the same :class:`~mcfn.sim.sharing.PolicySharing` stations as the inference tasks under the scenario's uplink
   policy, when the workload runs inside a :class:`~mcfn.sim.model.NetworkModel`);
3. the edge server of the cell aggregates its terminals' updates and forwards one aggregate to the cloud, which
   aggregates the edges (hierarchical FL, Liu et al., "Client-edge-cloud hierarchical federated learning", IEEE ICC
   2020): edge to cloud costs the scenario's backhaul, core and WAN delays plus the model over their slowest link
   (:func:`edge_to_cloud_s`; the wired links' sharing is not simulated for it, an approximation), aggregation
   itself nothing (averaging a few thousand weights; assumed).

With ``edge_training`` (edge-side training) step 1 is different: a chosen terminal uploads its training data
(``data_bits``, compressed as the caller says) to its cell's edge server, unless that edge holds it from an earlier
round, and the edge trains the model on it on one VM of its own (:data:`EDGE_TRAINING_VMS`, reserved for training,
assumed; inference does not contend for it), that VM's FLOP/s divided among the cell's chosen terminals at the
round's start by the min-max split (:func:`mcfn.allocation.minmax.split_compute`, from when each terminal's data is
predicted to be there). The trained weights are the same FedAvg update as on the terminal (the real training of
:mod:`mcfn.training.federated` is the same): only where the time and energy go changes.

Uploads get their band as :mod:`mcfn.sim.fl_uplink` says (the station's sharing policy; a min-max split of each cell's
band; or the station's seed §3.2 allocation).

Energy and batteries: a chosen terminal spends its device's power while computing (``active_w`` × its training
seconds), its radio's while receiving the model and while sending (:class:`mcfn.compute.power.RadioPower`: sending
power × seconds on the air); it comes off its battery (the inference model's batteries when the scenario's terminals
compute, :mod:`mcfn.sim.terminals`, so inference drains them too). A terminal whose battery cannot pay for its
training, or for its upload, drops out (a *battery* dropout, counted apart; its upload keeps its share of the band
until it ends, conservative for the others), and an empty terminal reports nothing: no selection sees it.

A terminal outside coverage at the start, or handed over to another cell between the start and its upload, drops
out (its edge aggregator lost it; assumed), and an update that has not reached its edge by the deadline less the
edge-to-cloud time is a straggler's, left out of the aggregate. The round ends when the last aggregate reaches the
cloud, or at the deadline when someone dropped out or straggled (the cloud cannot know it will not come: FedCS's
server waits until the deadline too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mcfn.allocation.minmax import split_compute
from mcfn.compute.node import Work
from mcfn.compute.power import RadioPower
from mcfn.network.uplink import JOINT_ALLOCATION
from mcfn.scenario import Scenario
from mcfn.scenario.terminal import TerminalCompute
from mcfn.sim.access import RadioAccess
from mcfn.sim.engine import Simulator
from mcfn.sim.fl_uplink import (
    TURNED_AWAY_REASON,
    JointUpdates,
    MinMaxUpdates,
    PolicyUpdates,
    UpdateUplink,
    reserved_stations,
)
from mcfn.sim.model import BACKGROUND_BASE, NetworkModel
from mcfn.sim.run import prepare
from mcfn.sim.world import World, build_world
from mcfn.training.selection import Estimate

#: Range of the terminals' sustained training throughput, drawn uniformly per terminal (assumed: mobile CPUs
#: sustain about 0.1 to 2 GFLOP/s of fp32 training in frameworks such as PyTorch Mobile, thermally throttled).
TERMINAL_FLOPS_PER_S = (0.1e9, 2.0e9)
#: VMs of a cell's edge server that train for edge-side training (assumed: one, reserved).
EDGE_TRAINING_VMS = 1
#: Round number bits of an update's job id: ``BACKGROUND_BASE + round << CLIENT_BITS | client``.
CLIENT_BITS = 24


def edge_to_cloud_s(scenario: Scenario, bits: float) -> float:
    """Seconds for an edge's aggregate of ``bits`` to reach the cloud: backhaul, core and WAN delays, and the bits
    over the slowest of those links."""
    net = scenario.network
    slowest_bps = min(net.backhaul_bps, net.core_bps, net.wan_bps)
    return net.backhaul_delay_s + net.core_delay_s + net.wan_delay_s + bits / slowest_bps


@dataclass(frozen=True, slots=True)
class TerminalPower:
    """What a terminal draws above idle: its device while training (W), and its radio."""

    active_w: float
    radio: RadioPower


@dataclass(frozen=True, slots=True)
class EdgeTraining:
    """Edge-side training: each client's training data as uploaded (bits), and each cell's training FLOP/s."""

    data_bits: tuple[float, ...]
    flops_per_s: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class RoundTiming:
    """One simulated round: when it started, how long it took, when each included update reached the cloud
    (seconds after the start), who dropped out (with why; battery dropouts apart) or straggled, and the joules the
    terminals spent during it."""

    start_s: float
    round_s: float
    arrived_s: dict[int, float]
    dropped: dict[int, str] = field(default_factory=dict)
    stragglers: tuple[int, ...] = ()
    battery: tuple[int, ...] = ()
    energy_j: float = 0.0


class FederatedRounds:
    """The round workload of ``clients`` terminals (terminal ``c`` of the scenario is client ``c``) on ``access``'s
    uplinks, sent as ``uplink`` says, paid from ``battery_j`` (J per terminal, updated in place) at ``power``;
    ``edge``: edge-side training (None: on the terminals). ``uploaded`` must hear of every uplink job from
    ``BACKGROUND_BASE`` up (the stations' ``on_finish``, or a :class:`NetworkModel`'s ``background``)."""

    def __init__(
        self,
        sim: Simulator,
        access: RadioAccess,
        scenario: Scenario,
        *,
        clients: int,
        update_bits: float,
        uplink: UpdateUplink,
        power: TerminalPower,
        battery_j: np.ndarray,
        edge: EdgeTraining | None = None,
    ) -> None:
        if not 1 <= clients <= scenario.terminals.count:
            raise ValueError(f"clients must be 1 to the scenario's {scenario.terminals.count} terminals, got {clients}")
        if clients >= 1 << CLIENT_BITS:
            raise ValueError(f"at most {(1 << CLIENT_BITS) - 1} clients, got {clients}")
        self._sim = sim
        self._access = access
        self._uplink = uplink
        self._power = power
        self._edge = edge
        self.battery_j = battery_j
        self.update_bits = update_bits
        self.flops_per_s = sim.stream("fl-compute").uniform(*TERMINAL_FLOPS_PER_S, size=clients)
        radio = scenario.radio
        self._radio_delay_s = radio.radio_delay_s
        self.download_s = radio.radio_delay_s + update_bits / radio.downlink_bps
        self.download_j = power.radio.download_j(update_bits / radio.downlink_bps, update_bits)
        self.to_cloud_s = edge_to_cloud_s(scenario, update_bits)
        #: The cell whose edge holds each terminal's training data (edge-side training).
        self.held_at: dict[int, int] = {}
        self._round = 0
        self._start_s = 0.0
        self._cutoff_s = 0.0
        self._work: Sequence[float] = ()
        self._arrived: dict[int, float] = {}
        self._dropped: dict[int, str] = {}
        self._battery: list[int] = []
        self._cell: dict[int, int] = {}
        self._edge_flops: dict[int, float] = {}
        self._sent_at: dict[int, float] = {}
        self._spent_j = 0.0

    def local_j(self, compute_s: float) -> float:
        """A terminal's joules to receive the model and train for ``compute_s`` on its device."""
        return self.download_j + self._power.active_w * compute_s

    def estimates(self, work_flops: Sequence[float]) -> list[Estimate]:
        """The resource report of every client with charge left, for ``work_flops[c]`` of training: its cell, and its
        upload alone at the rate the uplink would give it now (the uploads in progress there, and it)."""
        access, edge = self._access, self._edge
        send_w = self._power.radio.send_w
        reports = []
        for c, work in enumerate(work_flops):
            battery = float(self.battery_j[c])
            if battery <= 0.0:
                continue  # an empty terminal offers nothing
            cell = access.serving[c]
            if cell < 0:
                reports.append(Estimate(c, cell, np.inf, np.inf, np.inf, self.to_cloud_s, 0.0, send_w, battery))
                continue
            bits = self._upload_bits(c, cell)
            upload_s = bits / access.uplink_bps(c, cell) if bits else 0.0
            if edge is None:
                compute_s = work / self.flops_per_s[c]
                local = (self.download_s, compute_s, upload_s, self.to_cloud_s, self.local_j(compute_s))
            else:
                local = (0.0, work / edge.flops_per_s[cell], upload_s, self.to_cloud_s, 0.0)
            reports.append(Estimate(c, cell, *local, send_w, battery))
        return reports

    def _upload_bits(self, c: int, cell: int) -> float:
        """What terminal ``c`` in ``cell`` uploads this round: its update, its training data, or nothing (its data is
        at that edge already)."""
        if self._edge is None:
            return self.update_bits
        return 0.0 if self.held_at.get(c) == cell else self._edge.data_bits[c]

    def run_round(self, chosen: Sequence[int], work_flops: Sequence[float], *, deadline_s: float) -> RoundTiming:
        """Simulate one round of the terminals ``chosen`` (each training ``work_flops[c]``) from now, up to
        ``deadline_s``; the simulator's clock ends at the round's end."""
        sim = self._sim
        self._round += 1
        self._start_s = start = sim.now
        self._cutoff_s = deadline_s - self.to_cloud_s
        self._work = work_flops
        self._arrived, self._dropped, self._battery, self._cell, self._spent_j = {}, {}, [], {}, 0.0
        uploads: dict[int, tuple[int, float, float]] = {}
        for c in chosen:
            cell = self._access.serving[c]
            if cell < 0:
                self._dropped[c] = "outside coverage"
                continue
            self._cell[c] = cell
            bits = self._upload_bits(c, cell)
            if bits:
                ready_s = 0.0 if self._edge is not None else self.download_s + work_flops[c] / self.flops_per_s[c]
                uploads[c] = (cell, bits, ready_s)
        self._uplink.plan(uploads)
        if self._edge is not None:
            self._plan_edge(uploads)
            for c in self._cell:
                if c in uploads:
                    self._send(c, uploads[c][1])
                else:
                    self._at_edge(c)
        else:
            for c in self._cell:
                sim.schedule(uploads[c][2], self._trained, self._round, c)
        cutoff = start + self._cutoff_s
        while len(self._arrived) + len(self._dropped) + len(self._battery) < len(chosen) and sim.now < cutoff:
            sim.run(until_s=cutoff, max_events=1)
        arrived = {c: t for c, t in self._arrived.items() if t <= self._cutoff_s}
        lost = set(arrived) | set(self._dropped) | set(self._battery)
        late = tuple(sorted(c for c in chosen if c not in lost))
        complete = not (late or self._dropped or self._battery)
        round_s = max(arrived.values(), default=0.0) + self.to_cloud_s if complete else deadline_s
        sim.run(until_s=start + round_s)
        return RoundTiming(
            start_s=start,
            round_s=round_s,
            arrived_s={c: t + self.to_cloud_s for c, t in arrived.items()},
            dropped=dict(self._dropped),
            stragglers=late,
            battery=tuple(sorted(self._battery)),
            energy_j=self._spent_j,
        )

    def _plan_edge(self, uploads: dict[int, tuple[int, float, float]]) -> None:
        """Split each cell's training VM among its chosen terminals, each from when its data is predicted to be at
        the edge (at once if held; else its upload at an equal share of the band with the cell's other uploads)."""
        assert self._edge is not None
        by_cell: dict[int, list[int]] = {}
        for c, cell in self._cell.items():
            by_cell.setdefault(cell, []).append(c)
        self._edge_flops = {}
        for cell, terminals in by_cell.items():
            sending = sum(c in uploads for c in terminals)
            ready = [
                sending * uploads[c][1] / self._access.uplink_bps(c, cell) if c in uploads else 0.0 for c in terminals
            ]
            split = split_compute([self._work[c] for c in terminals], ready, self._edge.flops_per_s[cell])
            self._edge_flops.update(zip(terminals, split.shares.tolist(), strict=True))

    def _pay(self, c: int, joules: float, round_: int) -> bool:
        """Take ``joules`` off terminal ``c``'s battery; if it holds less, empty it and count a battery dropout of
        round ``round_`` (if it is the current one)."""
        left = float(self.battery_j[c])
        if joules > left:
            self._spent_j += max(left, 0.0)
            self.battery_j[c] = 0.0
            if round_ == self._round:
                self._battery.append(c)
            return False
        self.battery_j[c] = left - joules
        self._spent_j += float(joules)
        return True

    def _trained(self, round_: int, c: int) -> None:
        """Terminal ``c`` has received the model and trained: it pays for that, then uploads from its cell."""
        if round_ != self._round or not self._pay(c, self.local_j(self._work[c] / self.flops_per_s[c]), round_):
            return
        cell = self._access.serving[c]
        if cell != self._cell[c]:
            self._dropped[c] = "handed over during the round" if cell >= 0 else "left coverage during the round"
            return
        self._send(c, self.update_bits)

    def _send(self, c: int, bits: float) -> None:
        job = BACKGROUND_BASE + (self._round << CLIENT_BITS | c)
        self._sent_at[job] = self._sim.now
        due_s = max(self._start_s + self._cutoff_s - self._sim.now, 1e-9)
        if not self._uplink.send(job, c, self._cell[c], bits, due_s):
            del self._sent_at[job]
            self._dropped[c] = TURNED_AWAY_REASON

    def uploaded(self, job: int, sent_s: float) -> None:
        """An upload has crossed the air interface to its edge server (``job`` as :meth:`_send` numbered it): its
        terminal pays for its seconds on the air, even a straggler of an earlier round."""
        offset = job - BACKGROUND_BASE
        round_, c = offset >> CLIENT_BITS, offset & ((1 << CLIENT_BITS) - 1)
        air_s = self._sim.now - self._sent_at.pop(job) - self._radio_delay_s
        if not self._pay(c, self._power.radio.upload_j(air_s), round_) or round_ != self._round:
            return
        if self._edge is not None:
            self.held_at[c] = self._cell[c]
            self._at_edge(c)
        else:
            self._arrived[c] = self._sim.now - self._start_s

    def _at_edge(self, c: int) -> None:
        """Terminal ``c``'s data is at its edge: the edge trains on it at its share of the training VM."""
        self._sim.schedule(self._work[c] / self._edge_flops[c], self._trained_at_edge, self._round, c)

    def _trained_at_edge(self, round_: int, c: int) -> None:
        if round_ == self._round:
            self._arrived[c] = self._sim.now - self._start_s


@dataclass(eq=False)
class FederatedNetwork:
    """A simulated network carrying the rounds: the rounds' workload, and the inference model it shares the uplinks
    with (None: the rounds alone on the radio access network)."""

    rounds: FederatedRounds
    inference: NetworkModel | None


def federated_network(
    scenario: Scenario,
    *,
    clients: int,
    update_bits: float,
    load: float,
    horizon_s: float,
    policy: str,
    edge_data_bits: Sequence[float] | None = None,
    charge: tuple[float, float] | None = None,
) -> FederatedNetwork:
    """The network of ``scenario`` carrying FL rounds for ``horizon_s`` simulated seconds: alone (``load`` 0), or in
    the background of the scenario's inference tasks with every service's arrival rate times ``load``, routed by
    ``policy`` (the inference run of :func:`mcfn.sim.run.prepare`).

    Updates share the band by the scenario's uplink policy; under ``joint-allocation`` by the min-max split when
    alone, or as fixed uploads of the stations' seed §3.2 allocation with inference (:mod:`mcfn.sim.fl_uplink`).
    ``edge_data_bits``: edge-side training, each client's training data as uploaded (None: on the terminals).
    ``charge``: the clients' batteries start at a share drawn uniformly in ``[low, high]`` of the capacity (None: as
    the scenario's terminal compute says; no terminal compute, no battery limit)."""
    if load < 0:
        raise ValueError(f"load must be >= 0, got {load}")
    joint = scenario.radio.uplink_policy == JOINT_ALLOCATION
    holder: list[FederatedRounds] = []  # the rounds, for the stations' callback (made before them)

    def uploaded(job: int, sent_s: float) -> None:
        holder[0].uploaded(job, sent_s)

    uplink: UpdateUplink
    if load == 0:
        sim = Simulator(seed=scenario.seed)
        world = build_world(scenario)
        radio = scenario.radio
        stations = (
            reserved_stations(
                sim,
                len(world.stations),
                bandwidth_hz=radio.bandwidth_hz,
                on_finish=uploaded,
                delay_s=radio.radio_delay_s,
            )
            if joint
            else None
        )
        access = RadioAccess(sim, scenario, station_xy_m=world.station_xy_m, on_uploaded=uploaded, uplinks=stations)
        uplink = MinMaxUpdates(access, bandwidth_hz=radio.bandwidth_hz) if joint else PolicyUpdates(access)
        inference = None
    else:
        scenario = _scaled(scenario, load, horizon_s)
        inference = prepare(scenario, policy)
        inference.background = uploaded
        sim, world, access = inference.sim, inference.world, inference.access
        uplink = JointUpdates(access, edge_node=range(len(world.stations))) if joint else PolicyUpdates(access)
    device = scenario.terminals.compute or TerminalCompute()
    radio_power = scenario.energy.radio_power(scenario.radio.terminal_tx_power_dbm)
    holder.append(
        FederatedRounds(
            sim, access, scenario, clients=clients, update_bits=update_bits, uplink=uplink,
            power=TerminalPower(device.profile.active_w, radio_power),
            battery_j=_batteries(scenario, inference, clients, charge, sim.stream("fl-battery")),
            edge=None if edge_data_bits is None else EdgeTraining(tuple(edge_data_bits), edge_training_flops(world)),
        )
    )  # fmt: skip
    return FederatedNetwork(rounds=holder[0], inference=inference)


def _scaled(scenario: Scenario, load: float, horizon_s: float) -> Scenario:
    """``scenario`` with every service's arrival rate times ``load``, lasting ``horizon_s``."""
    services = tuple(
        s if s.rate_per_terminal_per_s is None else s.model_copy(update={"rate_per_terminal_per_s": rate * load})
        for s in scenario.services
        for rate in (s.rate_per_terminal_per_s,)
    )
    return scenario.model_copy(update={"services": services, "duration_s": horizon_s})


def _batteries(
    scenario: Scenario,
    inference: NetworkModel | None,
    clients: int,
    charge: tuple[float, float] | None,
    rng: np.random.Generator,
) -> np.ndarray:
    """Every terminal's battery (J): the inference model's own when its terminals compute, else as the scenario's
    terminal compute says (none: no limit); with ``charge`` the clients' drawn in ``[low, high]`` of the capacity."""
    doc = scenario.terminals.compute
    if inference is not None and inference.terminals is not None:
        batteries = inference.terminals.battery_j
    else:
        full = None if doc is None else doc.battery_j
        batteries = np.full(scenario.terminals.count, np.inf if full is None else full * doc.charge)
    if charge is not None:
        capacity = doc.battery_j if doc is not None and doc.battery_j is not None else TerminalCompute().battery_j
        batteries[:clients] = capacity * rng.uniform(*charge, size=clients)
    return batteries


def edge_training_flops(world: World) -> tuple[float, ...]:
    """Each cell's training FLOP/s: :data:`EDGE_TRAINING_VMS` VMs of its edge server (fleet node ``cell``) on dense
    layers."""
    probe = Work(1e9)
    return tuple(
        EDGE_TRAINING_VMS * probe.total_flops / world.fleet.nodes[cell].compute_time_s(probe)
        for cell in range(len(world.stations))
    )
