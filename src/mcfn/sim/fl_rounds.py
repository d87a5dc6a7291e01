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

from mcfn.network.uplink import JOINT_ALLOCATION
from mcfn.scenario import Scenario
from mcfn.sim.access import RadioAccess
from mcfn.sim.engine import Simulator
from mcfn.sim.model import BACKGROUND_BASE, NetworkModel
from mcfn.sim.run import prepare
from mcfn.sim.world import build_world
from mcfn.training.selection import Estimate

#: Range of the terminals' sustained training throughput, drawn uniformly per terminal (assumed: mobile CPUs
#: sustain about 0.1 to 2 GFLOP/s of fp32 training in frameworks such as PyTorch Mobile, thermally throttled).
TERMINAL_FLOPS_PER_S = (0.1e9, 2.0e9)
#: Round number bits of an update's job id: ``BACKGROUND_BASE + round << CLIENT_BITS | client``.
CLIENT_BITS = 24


def edge_to_cloud_s(scenario: Scenario, bits: float) -> float:
    """Seconds for an edge's aggregate of ``bits`` to reach the cloud: backhaul, core and WAN delays, and the bits
    over the slowest of those links."""
    net = scenario.network
    slowest_bps = min(net.backhaul_bps, net.core_bps, net.wan_bps)
    return net.backhaul_delay_s + net.core_delay_s + net.wan_delay_s + bits / slowest_bps


@dataclass(frozen=True, slots=True)
class RoundTiming:
    """One simulated round: when it started, how long it took, when each included update reached the cloud
    (seconds after the start), and who dropped out (with why) or straggled."""

    start_s: float
    round_s: float
    arrived_s: dict[int, float]
    dropped: dict[int, str] = field(default_factory=dict)
    stragglers: tuple[int, ...] = ()


class FederatedRounds:
    """The round workload of ``clients`` terminals (terminal ``c`` of the scenario is client ``c``) on ``access``'s
    uplinks; ``uploaded`` must hear of every uplink job from ``BACKGROUND_BASE`` up (a standalone
    :class:`RadioAccess`'s ``on_uploaded``, or a :class:`NetworkModel`'s ``background``)."""

    def __init__(
        self, sim: Simulator, access: RadioAccess, scenario: Scenario, *, clients: int, update_bits: float
    ) -> None:
        if not 1 <= clients <= scenario.terminals.count:
            raise ValueError(f"clients must be 1 to the scenario's {scenario.terminals.count} terminals, got {clients}")
        if clients >= 1 << CLIENT_BITS:
            raise ValueError(f"at most {(1 << CLIENT_BITS) - 1} clients, got {clients}")
        self._sim = sim
        self._access = access
        self.update_bits = update_bits
        self.flops_per_s = sim.stream("fl-compute").uniform(*TERMINAL_FLOPS_PER_S, size=clients)
        radio = scenario.radio
        self.download_s = radio.radio_delay_s + update_bits / radio.downlink_bps
        self.to_cloud_s = edge_to_cloud_s(scenario, update_bits)
        self._round = 0
        self._start_s = 0.0
        self._arrived: dict[int, float] = {}
        self._dropped: dict[int, str] = {}
        self._cell: dict[int, int] = {}

    def estimates(self, work_flops: Sequence[float]) -> list[Estimate]:
        """Every client's resource report now, for ``work_flops[c]`` of local training: its cell, and its upload
        alone at the rate the uplink would give it now (the uploads in progress there, and it)."""
        access = self._access
        reports = []
        for c, work in enumerate(work_flops):
            cell = access.serving[c]
            upload_s = self.update_bits / access.uplink_bps(c, cell) if cell >= 0 else np.inf
            reports.append(Estimate(c, cell, self.download_s, work / self.flops_per_s[c], upload_s, self.to_cloud_s))
        return reports

    def run_round(self, chosen: Sequence[int], work_flops: Sequence[float], *, deadline_s: float) -> RoundTiming:
        """Simulate one round of the terminals ``chosen`` (each training ``work_flops[c]``) from now, up to
        ``deadline_s``; the simulator's clock ends at the round's end."""
        sim = self._sim
        self._round += 1
        self._start_s = start = sim.now
        self._arrived, self._dropped, self._cell = {}, {}, {}
        for c in chosen:
            cell = self._access.serving[c]
            if cell < 0:
                self._dropped[c] = "outside coverage"
                continue
            self._cell[c] = cell
            sim.schedule(self.download_s + work_flops[c] / self.flops_per_s[c], self._upload, self._round, c)
        cutoff = start + deadline_s - self.to_cloud_s
        while len(self._arrived) + len(self._dropped) < len(chosen) and sim.now < cutoff:
            sim.run(until_s=cutoff, max_events=1)
        arrived = {c: t for c, t in self._arrived.items() if t <= cutoff - start}
        late = tuple(sorted(c for c in chosen if c not in arrived and c not in self._dropped))
        round_s = deadline_s if late or self._dropped else max(arrived.values(), default=0.0) + self.to_cloud_s
        sim.run(until_s=start + round_s)
        reach = {c: t + self.to_cloud_s for c, t in arrived.items()}
        return RoundTiming(
            start_s=start, round_s=round_s, arrived_s=reach, dropped=dict(self._dropped), stragglers=late
        )

    def _upload(self, round_: int, c: int) -> None:
        if round_ != self._round:
            return
        cell = self._access.serving[c]
        if cell != self._cell[c]:
            self._dropped[c] = "handed over during the round" if cell >= 0 else "left coverage during the round"
            return
        job = BACKGROUND_BASE + (round_ << CLIENT_BITS | c)
        self._access.uplinks[cell].submit(job, self.update_bits, self._access.uplink_key(c))

    def uploaded(self, job: int, sent_s: float) -> None:
        """An update has crossed the air interface to its edge server (``job`` as :meth:`_upload` numbered it)."""
        offset = job - BACKGROUND_BASE
        if offset >> CLIENT_BITS == self._round:
            self._arrived[offset & ((1 << CLIENT_BITS) - 1)] = self._sim.now - self._start_s


@dataclass(eq=False)
class FederatedNetwork:
    """A simulated network carrying the rounds: the rounds' workload, and the inference model it shares the uplinks
    with (None: the rounds alone on the radio access network)."""

    rounds: FederatedRounds
    inference: NetworkModel | None


def federated_network(
    scenario: Scenario, *, clients: int, update_bits: float, load: float, horizon_s: float, policy: str
) -> FederatedNetwork:
    """The network of ``scenario`` carrying FL rounds for ``horizon_s`` simulated seconds: alone (``load`` 0), or in
    the background of the scenario's inference tasks with every service's arrival rate times ``load``, routed by
    ``policy`` (the inference run of :func:`mcfn.sim.run.prepare`). Sharing needs an uplink policy that divides the
    band among whatever uploads: not ``joint-allocation``, which admits only tasks with a deadline and a curve."""
    if load < 0:
        raise ValueError(f"load must be >= 0, got {load}")
    if scenario.radio.uplink_policy == JOINT_ALLOCATION:
        raise ValueError(f"FL updates cannot share a {JOINT_ALLOCATION} uplink; choose a sharing uplink policy")
    if load == 0:
        sim = Simulator(seed=scenario.seed)
        stations = build_world(scenario).station_xy_m
        holder: list[FederatedRounds] = []
        access = RadioAccess(
            sim, scenario, station_xy_m=stations, on_uploaded=lambda job, sent_s: holder[0].uploaded(job, sent_s)
        )
        holder.append(FederatedRounds(sim, access, scenario, clients=clients, update_bits=update_bits))
        return FederatedNetwork(rounds=holder[0], inference=None)
    services = tuple(
        s if s.rate_per_terminal_per_s is None else s.model_copy(update={"rate_per_terminal_per_s": rate * load})
        for s in scenario.services
        for rate in (s.rate_per_terminal_per_s,)
    )
    loaded = scenario.model_copy(update={"services": services, "duration_s": horizon_s})
    model = prepare(loaded, policy)
    rounds = FederatedRounds(model.sim, model.access, loaded, clients=clients, update_bits=update_bits)
    model.background = rounds.uploaded
    return FederatedNetwork(rounds=rounds, inference=model)
