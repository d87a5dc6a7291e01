"""Energy: closed forms of one node under constant load and one link under a constant flow, and conservation in
whole runs (per-task attributed energy plus idle energy equals the nodes' integrated power)."""

import numpy as np
import pytest

from mcfn.compute.devices import DynamicPower
from mcfn.compute.power import RadioPower, ServerPower, hop_class
from mcfn.network.topology import Link, Topology
from mcfn.sim.energy import metered_servers
from mcfn.sim.engine import Calling, Simulator
from mcfn.sim.records import COMPLETED
from mcfn.sim.run import simulate
from mcfn.sim.wired import WiredNetwork
from mcfn.sim.world import build_world
from tests.sim.conftest import small_scenario, tiled_scenario
from tests.sim.test_terminals import _with_local


def test_one_node_under_constant_load_matches_the_closed_form():
    """Two VMs of four busy from 0 to 10 s, then idle to 20 s: ``P_idle H + (P_peak − P_idle) · 2/4 · 10``; each job
    is charged its own share. A third job waits for a VM (two slots): it is charged only once in service."""
    node = (
        build_world(small_scenario())
        .fleet.nodes[0]
        .__class__.of_kind(
            node_id="n", tier="edge", kind="cpu", peak_flops_per_s=1e11, memory_bytes=1e9, vm_slots=2, degradation=0.0
        )
    )
    power = ServerPower(idle_w=50.0, peak_w=250.0)
    sim = Simulator(seed=0)
    ended = []
    servers = metered_servers(sim, [node], [power], on_computed=Calling(lambda job: ended.append((job, sim.now))))
    servers.submit(0, 0, 10.0)
    servers.submit(0, 1, 10.0)
    servers.submit(0, 2, 4.0)  # waits until 10 s, then runs alone to 14 s
    sim.run(until_s=20.0)
    servers.close()
    assert ended == [(0, 10.0), (1, 10.0), (2, 14.0)]
    per_vm = (250.0 - 50.0) / 2
    jobs, joules = servers.dynamic_j.arrays()
    assert dict(zip(jobs.tolist(), joules.tolist(), strict=True)) == pytest.approx(
        {0: 10 * per_vm, 1: 10 * per_vm, 2: 4 * per_vm}
    )
    area = servers.stations[0].in_service_area
    assert area == pytest.approx(24.0)
    total = power.energy_j(20.0, area, node.vm_slots)
    assert total == pytest.approx(50.0 * 20 + 200.0 * 24 / 2)
    assert total == pytest.approx(50.0 * 20 + joules.sum(), rel=1e-12)


def test_one_link_under_a_constant_flow_matches_the_closed_form():
    """A 1 Gb/s link carrying 5 Gbit: ``e · bits`` whatever the flow's rate; the flow is charged the same."""
    topology = Topology(
        roles={"bs0": "base_station", "agg0": "aggregation"},
        links=[Link(a="bs0", b="agg0", bandwidth_bps=1e9, delay_s=0.0)],
    )
    e = 7e-9
    sim = Simulator(seed=0)
    arrived = []
    wired = WiredNetwork(sim, topology, on_blocked=print, j_per_bit={("agg0", "bs0"): e})
    wired.send(0, ("bs0", "agg0"), 5e9, Calling(arrived.append))
    sim.run(until_s=10.0)
    assert arrived == [0]
    link = wired.links[("agg0", "bs0")]
    assert link.busy_area == pytest.approx(5.0)  # a constant 1 Gb/s flow for 5 s: power e · 1e9 W meanwhile
    assert e * link.work_done == pytest.approx(e * 5e9)
    jobs, joules = wired.sent_j.arrays()
    assert jobs.tolist() == [0]
    assert joules.tolist() == pytest.approx([e * 5e9])
    assert hop_class("base_station", "aggregation") == "backhaul"


def test_radio_energy_is_sending_power_times_seconds_and_reception_per_bit():
    radio = RadioPower(tx_w=0.2, pa_efficiency=0.25, circuit_w=1.288, rx_j_per_bit=51.97e-9)
    assert radio.upload_j(0.5) == pytest.approx((0.8 + 1.288) * 0.5)
    assert radio.download_j(0.01, 5e5) == pytest.approx(1.288 * 0.01 + 51.97e-9 * 5e5)


@pytest.mark.parametrize(
    ("scenario", "policy"),
    [
        (small_scenario(duration_s=6), "compute-aware"),
        (tiled_scenario(duration_s=6), "random"),
        (small_scenario(duration_s=8, failures=[{"node": "edge0", "at_s": 2, "for_s": 3}]), "least-loaded"),
    ],
    ids=["plain", "tiles", "node-failure"],
)
def test_attributed_plus_idle_energy_equals_the_nodes_integrated_power(scenario, policy):
    run = simulate(scenario, policy)
    energy, columns = run.summary["energy"], run.columns
    compute_j = columns["compute_energy_j"].sum()
    assert compute_j > 0
    assert compute_j + energy["servers_idle_j"] == pytest.approx(energy["servers_j"], rel=1e-9)
    assert energy["servers_j"] == pytest.approx(sum(n["energy_j"] for n in energy["nodes"].values()), rel=1e-12)
    horizon = run.summary["horizon_s"]
    idle = sum(
        (scenario.compute.cloud if name == "cloud" else scenario.compute.edge).idle_w * horizon
        for name in energy["nodes"]
    )
    assert energy["servers_idle_j"] == pytest.approx(idle)
    if not scenario.failures:  # every transfer got through: each link's bits are its flows' bits
        assert columns["network_energy_j"].sum() == pytest.approx(energy["network_j"], rel=1e-9)
    parts = sum(columns[c] for c in ("upload_energy_j", "download_energy_j", "compute_energy_j", "network_energy_j"))
    np.testing.assert_allclose(columns["energy_j"], parts)
    assert energy["total_j"] == pytest.approx(energy["terminals_j"] + energy["servers_j"] + energy["network_j"])
    done = columns["status"] == COMPLETED
    assert energy["per_completed_task_j"] == pytest.approx(energy["total_j"] / done.sum())
    assert (columns["download_energy_j"][~done] == 0).all()
    assert (columns["download_energy_j"][done] > 0).all()


def test_a_task_that_computes_longer_is_charged_more():
    """Cloud-only runs every stage on the cloud's GPU; nearest-edge on slower edge CPUs: more seconds in service."""
    scenario = small_scenario(duration_s=4)
    cloud, edge = simulate(scenario, "cloud-only"), simulate(scenario, "nearest-edge")
    assert edge.columns["compute_energy_j"].mean() > cloud.columns["compute_energy_j"].mean()
    assert cloud.summary["energy"]["network_hops"]["wan"]["energy_j"] > 0
    assert edge.summary["energy"]["network_hops"]["wan"]["energy_j"] == 0


def test_the_dynamic_power_model_charges_kappa_f_squared_per_cycle():
    """``terminals.compute.dynamic_power``: a local task's device energy is ``κ f² · cycles`` with ``cycles = f ·
    seconds computing`` (Burd and Brodersen 1996), in place of the profile's ``active_w`` × seconds."""
    kappa, clock = 1e-28, 2.0e9
    assert DynamicPower(switched_capacitance=kappa, clock_hz=clock).energy_j(0.5) == kappa * clock**2 * (clock * 0.5)
    runs = [
        simulate(_with_local(**extra), "terminal-local")
        for extra in ({}, {"dynamic_power": {"switched_capacitance": kappa, "clock_hz": clock}})
    ]
    measured, dynamic = (run.columns for run in runs)
    local = measured["device_energy_j"] > 0
    assert local.any()
    assert np.array_equal(local, dynamic["device_energy_j"] > 0)
    seconds = measured["device_energy_j"][local] / 4.0  # phone-npu: 4 W while computing
    assert dynamic["device_energy_j"][local] == pytest.approx(kappa * clock**3 * seconds, rel=1e-12)
