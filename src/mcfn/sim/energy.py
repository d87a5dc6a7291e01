"""Energy of a simulation run, from the run's own integrals: per task, per node, per tier, and in the summary.

The models are :mod:`mcfn.compute.power`'s; what they integrate is what the simulation already keeps exactly
(no sampling meter, unlike LEAF's ``PowerMeter``):

- **servers**: ``P_idle · H + (P_peak − P_idle) / slots · ∫ n(t) dt`` over the horizon ``H``, with ``∫ n(t) dt``
  the node's VMs in service integrated by its station (``in_service_area``). The load-dependent part is split among
  the jobs that caused it, each charged its own seconds in service (:class:`mcfn.sim.servers.ComputeServers`), so
  per-task compute energy plus the idle energy equals the nodes' integrated power exactly (a test holds it). A node
  that is down is counted as powered (idle).
- **network**: each link's joules per bit (by hop class: LAN, backhaul, core, WAN) times the bits it carried; each
  task is charged its bits times its paths' joules per bit when it sends them (:class:`mcfn.sim.wired.WiredNetwork`).
- **terminal radio**: a task's upload seconds (``upload_s``: from its arrival, when its upload starts, until its
  input is through) at the sending power, and, for a task whose result was delivered, the downlink's seconds and bits
  of its answer (:class:`mcfn.compute.power.RadioPower`). The terminals' idle radio is not counted.
- **terminal compute and sidelinks** (:mod:`mcfn.sim.terminals`): a device's ``active_w`` times its seconds
  computing, and both ends' radio on a D2D sidelink.

A task's ``energy_j`` is its terminal, compute and network energy; the run's total adds the servers' idle energy.
Energy per completed task is the total over the completed tasks; utility per joule the tasks' summed utility over
the total (the seed's system energy efficiency, §3.2's utility per unit of energy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mcfn.awareness import AdvertPolicy
from mcfn.compute import ComputeNode, Fleet
from mcfn.compute.power import HOP_CLASSES, RadioPower, ServerPower, hop_class
from mcfn.network.topology import Topology
from mcfn.scenario.energy import Energy
from mcfn.sim.columns import Constant, TaskColumns
from mcfn.sim.engine import Handler, Simulator
from mcfn.sim.records import COMPLETED
from mcfn.sim.servers import ComputeServers
from mcfn.sim.wired import link_key

if TYPE_CHECKING:
    from mcfn.sim.model import NetworkModel
    from mcfn.sim.world import World

#: Task columns this module adds (:func:`task_energy`), in the order they are written.
ENERGY_COLUMNS = (
    "upload_energy_j",
    "download_energy_j",
    "device_energy_j",
    "sidelink_energy_j",
    "compute_energy_j",
    "network_energy_j",
    "energy_j",
)
#: The parts of a task's terminal energy (its own radio and device, or a helper's device and the sidelink).
TERMINAL_PARTS = ("upload_energy_j", "download_energy_j", "device_energy_j", "sidelink_energy_j")


class _Unwatched:
    """A view that takes every advert and keeps none (servers outside a network model)."""

    def store(self, *fields: float) -> bool:
        return True


def metered_servers(
    sim: Simulator, nodes: Sequence[ComputeNode], powers: Sequence[ServerPower], *, on_computed: Handler
) -> ComputeServers:
    """VM stations for ``nodes`` outside a network model (no advert reaches anyone), each job charged at its node's
    power: for checks of the energy against closed forms and other simulators (``benchmarks/energy.py``)."""
    return ComputeServers(
        sim,
        fleet=Fleet(list(nodes)),
        view=_Unwatched(),
        policy=AdvertPolicy(period_s=1e9, jitter_s=0.0, loss_probability=0.0),
        delay_to_router_s=np.zeros(len(nodes)),
        on_computed=on_computed,
        dynamic_w_per_vm=[p.dynamic_w_per_vm(n.vm_slots) for p, n in zip(powers, nodes, strict=True)],
    )


def server_powers(world: World) -> tuple[ServerPower, ...]:
    """Every fleet node's power model, in fleet order (the edge servers by cell, then the cloud)."""
    compute = world.scenario.compute
    powers = []
    for node in world.fleet.nodes:
        server = compute.cloud if node.node_id == "cloud" else compute.edge_server(int(node.node_id[4:]))
        assert server is not None  # a cloud node exists only with a cloud class
        powers.append(server.power())
    return tuple(powers)


def link_j_per_bit(topology: Topology, energy: Energy) -> dict[tuple[str, str], float]:
    """Every link's joules per bit, by :func:`~mcfn.sim.wired.link_key`, from its hop class."""
    per_class = energy.network_j_per_bit.model().j_per_bit
    return {
        link_key(link.a, link.b): per_class[hop_class(topology.role(link.a).value, topology.role(link.b).value)]
        for link in topology.links()
    }


def fold_charges(model: NetworkModel) -> None:
    """Sum the servers' and the links' job charges made so far into their tasks (:meth:`Charges.fold`): between
    the steps of a run, so that it keeps 8 bytes a task for each rather than 16 a charge."""
    tasks = len(model.table.status)  # the table's room: the sums grow when the table does
    model.servers.dynamic_j.fold(tasks)
    model.wired.sent_j.fold(tasks)


@dataclass(frozen=True, eq=False)
class RadioEnergy:
    """The rules of a task's radio energy and of its whole attributed energy (:class:`~mcfn.sim.columns.Rule`)."""

    power: RadioPower
    #: Bits of each option's answer (by option id), then 0 for a task that no option served.
    answer_bits: np.ndarray
    downlink_bps: float

    def upload_energy_j(self, columns: TaskColumns, rows: slice) -> np.ndarray:
        return self.power.upload_j(columns.part("upload_s", rows))

    def download_energy_j(self, columns: TaskColumns, rows: slice) -> np.ndarray:
        answer_bits = self.answer_bits[columns.part("option", rows)]
        # through a base station's downlink
        delivered = (columns.part("status", rows) == COMPLETED) & (columns.part("delivered", rows) >= 0)
        down_bits = np.where(delivered, answer_bits, 0.0)
        return self.power.download_j(down_bits / self.downlink_bps, down_bits)

    def energy_j(self, columns: TaskColumns, rows: slice) -> np.ndarray:
        upload, download = columns.part("upload_energy_j", rows), columns.part("download_energy_j", rows)
        device, sidelink = columns.part("device_energy_j", rows), columns.part("sidelink_energy_j", rows)
        compute, network = columns.part("compute_energy_j", rows), columns.part("network_energy_j", rows)
        return upload + download + device + sidelink + compute + network


def task_energy(model: NetworkModel, columns: TaskColumns) -> None:
    """Add the energy columns of every task (:data:`ENERGY_COLUMNS`, and the terminals' ``placement`` and
    ``helper``) to ``columns``: the charged ones kept, the radio's and the sum derived; charges the jobs still in
    service until now (call once, when the run has ended)."""
    model.servers.close()
    scenario = model.world.scenario
    radio = scenario.radio
    tasks = columns.rows
    rules = RadioEnergy(
        power=scenario.energy.radio_power(radio.terminal_tx_power_dbm),
        answer_bits=np.array([o.stages[-1].output_bits for o in model.world.options] + [0.0]),
        downlink_bps=radio.downlink_bps,
    )
    _terminal_columns(model, columns)
    columns.add(derived={"upload_energy_j": rules.upload_energy_j, "download_energy_j": rules.download_energy_j})
    columns.add(
        stored={
            "compute_energy_j": model.servers.dynamic_j.by_task(tasks),
            "network_energy_j": model.wired.sent_j.by_task(tasks),
        }
    )
    columns.add(derived={"energy_j": rules.energy_j})


def _terminal_columns(model: NetworkModel, columns: TaskColumns) -> None:
    """``placement``, ``helper``, ``device_energy_j`` and ``sidelink_energy_j`` (:mod:`mcfn.sim.terminals`);
    every task offloaded, and no terminal energy, when terminals do not compute."""
    if model.terminals is not None:
        columns.add(stored=model.terminals.columns(columns.rows))
        return
    columns.add(
        derived={
            "placement": Constant(0, np.int8),
            "helper": Constant(-1, np.int32),
            "device_energy_j": Constant(0.0, np.float64),
            "sidelink_energy_j": Constant(0.0, np.float64),
        }
    )


def _use(energy_j: float, horizon_s: float) -> dict[str, float]:
    return {"energy_j": energy_j, "mean_power_w": energy_j / horizon_s if horizon_s > 0 else 0.0}


def energy_summary(model: NetworkModel, columns: TaskColumns, *, horizon_s: float) -> dict[str, Any]:
    """The run's energy: total, its parts, per node and per tier (energy and mean power), energy per completed task
    and utility per joule. Needs :func:`task_energy`'s columns."""
    world, servers = model.world, model.servers
    nodes: dict[str, dict[str, float]] = {}
    tiers = {"edge": 0.0, "cloud": 0.0}
    idle_j = 0.0
    for node, power, station in zip(world.fleet.nodes, server_powers(world), servers.stations, strict=True):
        station.account()
        joules = power.energy_j(horizon_s, station.in_service_area, node.vm_slots)
        idle_j += power.idle_w * horizon_s
        nodes[node.node_id] = _use(joules, horizon_s)
        tiers[node.tier.value] += joules
    per_link = link_j_per_bit(world.topology, world.scenario.energy)
    links = {key: per_link[key] * station.work_done for key, station in model.wired.links.items()}
    hops = dict.fromkeys(HOP_CLASSES, 0.0)
    topology = world.topology
    for (a, b), joules in links.items():
        hops[hop_class(topology.role(a).value, topology.role(b).value)] += joules
    terminals_j = float(sum(columns[name].sum() for name in TERMINAL_PARTS))
    servers_j = tiers["edge"] + tiers["cloud"]
    network_j = sum(hops.values())
    total_j = terminals_j + servers_j + network_j
    completed = int((columns["status"] == COMPLETED).sum())
    return {
        "total_j": total_j,
        "mean_power_w": total_j / horizon_s if horizon_s > 0 else 0.0,
        "terminals_j": terminals_j,
        "terminal_per_task_j": terminals_j / columns["status"].size if columns["status"].size else None,
        "servers_j": servers_j,
        "servers_idle_j": idle_j,
        "network_j": network_j,
        "attributed_j": float(columns["energy_j"].sum()),
        "per_completed_task_j": total_j / completed if completed else None,
        "utility_per_j": float(columns["utility"].sum()) / total_j if total_j > 0 else None,
        "tiers": {
            "terminal": _use(terminals_j, horizon_s),
            "edge": _use(tiers["edge"], horizon_s),
            "cloud": _use(tiers["cloud"], horizon_s),
            "network": _use(network_j, horizon_s),
        },
        "network_hops": {name: _use(joules, horizon_s) for name, joules in hops.items()},
        "nodes": nodes,
    }
