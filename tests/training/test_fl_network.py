"""FL rounds on the simulated network: batteries, the band's allocations for updates, edge-side training."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.sim.fl_rounds import federated_network
from mcfn.sim.fl_uplink import MinMaxUpdates, reserved_rule
from mcfn.sim.joint_uplink import JointUplink
from mcfn.training import model as mlp
from mcfn.training.data import load_dataset
from mcfn.training.federated import run_federated, update_bits
from mcfn.training.spec import FederatedSpec
from tests.sim.conftest import small_scenario

BITS = 2e6
WORK = [2e7] * 20  # FLOP of every terminal's local training


def with_uplink(policy: str, **overrides):
    scenario = small_scenario(**overrides)
    return scenario.model_copy(update={"radio": scenario.radio.model_copy(update={"uplink_policy": policy})})


def alone(policy: str = "equal-bandwidth", **kwargs):
    return federated_network(
        with_uplink(policy), clients=20, update_bits=BITS, load=0, horizon_s=30, policy="random", **kwargs
    ).rounds


def in_separate_cells(rounds, count: int) -> list[int]:
    seen: dict[int, int] = {}
    for c in range(20):
        seen.setdefault(rounds._access.serving[c], c)
    return sorted(c for cell, c in seen.items() if cell >= 0)[:count]


def test_a_lone_terminal_spends_its_training_download_and_upload_energy_in_closed_form() -> None:
    rounds = alone(charge=(0.5, 0.5))
    (c,) = in_separate_cells(rounds, 1)
    before = float(rounds.battery_j[c])
    snr_hz = rounds._access.uplink_snr_hz(c)
    band = small_scenario().radio.bandwidth_hz
    timing = rounds.run_round([c], WORK, deadline_s=2.0)
    assert c in timing.arrived_s
    power = rounds._power
    compute_s = WORK[c] / rounds.flops_per_s[c]
    download_s = BITS / small_scenario().radio.downlink_bps
    upload_s = BITS / (band * np.log2(1.0 + snr_hz / band))  # the whole band: alone in its cell
    expected = power.active_w * compute_s + power.radio.download_j(download_s, BITS) + power.radio.send_w * upload_s
    assert before - rounds.battery_j[c] == pytest.approx(expected, rel=1e-9)
    assert timing.energy_j == pytest.approx(expected, rel=1e-9)


def test_a_nearly_empty_battery_drops_out_of_the_round_as_a_battery_dropout() -> None:
    rounds = alone(charge=(1.0, 1.0))
    low, full = in_separate_cells(rounds, 2)
    rounds.battery_j[low] = 1e-3  # less than its training costs
    timing = rounds.run_round([low, full], WORK, deadline_s=2.0)
    assert timing.battery == (low,)
    assert low not in timing.dropped
    assert low not in timing.stragglers
    assert low not in timing.arrived_s
    assert full in timing.arrived_s
    assert rounds.battery_j[low] == 0.0
    assert timing.round_s == pytest.approx(2.0)  # the cloud waits to the deadline for the lost update
    assert low not in {e.terminal for e in rounds.estimates(WORK)}  # an empty terminal no longer offers


def test_alone_under_joint_allocation_every_update_of_a_cell_ends_by_the_min_max_finish() -> None:
    rounds = alone("joint-allocation")
    cell = rounds._access.serving[0]
    same = [c for c in range(20) if rounds._access.serving[c] == cell][:3]
    assert len(same) >= 2
    timing = rounds.run_round(same, WORK, deadline_s=5.0)
    assert isinstance(rounds._uplink, MinMaxUpdates)
    radio = small_scenario().radio
    finish = rounds._uplink.finish_s[cell] + radio.radio_delay_s + rounds.to_cloud_s
    ends = [timing.arrived_s[c] for c in same]
    assert max(ends) <= finish * (1 + 1e-9)
    assert min(ends) < finish  # the first to start had more than its share until the others started


def test_reserved_bands_are_scaled_to_the_station_s_band_among_the_uploads_in_progress() -> None:
    rule = reserved_rule(20e6)
    (alone_bps,) = rule([(1e8, 5e6)], [1e6])
    assert alone_bps == pytest.approx(20e6 * np.log2(1 + 1e8 / 20e6))  # a lone upload gets the whole band
    both = rule([(1e8, 5e6), (1e8, 15e6)], [1e6, 1e6])
    assert both == pytest.approx([5e6 * np.log2(1 + 1e8 / 5e6), 15e6 * np.log2(1 + 1e8 / 15e6)])


@pytest.fixture(scope="module")
def digits():
    mlp.use_one_thread()
    return load_dataset("digits")


def test_with_inference_under_joint_allocation_the_stations_allocation_carries_the_updates(digits) -> None:
    spec = FederatedSpec(clients=6, per_round=4, rounds=2, hidden=64, deadline_s=2.0, seed=1)
    network = federated_network(
        with_uplink("joint-allocation"), clients=6, update_bits=update_bits(spec, digits), load=0.5, horizon_s=10,
        policy="nearest-edge",
    )  # fmt: skip
    heard: list[int] = []
    background = network.inference.background
    network.inference.background = lambda job, sent_s: (heard.append(job), background(job, sent_s))
    run = run_federated(spec, digits, network.rounds)
    stations = network.inference.access.uplinks
    assert all(isinstance(s, JointUplink) for s in stations)
    aggregated = sum(len(r.aggregated) for r in run.records[1:])
    assert aggregated > 0
    assert len(heard) >= aggregated  # every aggregated update was carried by a station and reported
    assert run.records[-1].accuracy > run.records[0].accuracy


def test_edge_training_uploads_the_data_once_and_aggregates_the_same_fedavg(digits) -> None:
    def accuracies(training: str) -> tuple[list[float], list[float]]:
        spec = FederatedSpec(clients=4, per_round=4, rounds=3, hidden=32, deadline_s=5.0, training=training, seed=2)
        from mcfn.training.federated import data_bits

        network = federated_network(
            with_uplink("equal-bandwidth"), clients=4, update_bits=update_bits(spec, digits), load=0, horizon_s=30,
            policy="random", edge_data_bits=data_bits(spec, digits) if training == "edge" else None,
            charge=(1.0, 1.0),
        )  # fmt: skip
        records = run_federated(spec, digits, network.rounds).records[1:]
        assert all(len(r.aggregated) == 4 for r in records)
        return [r.accuracy for r in records], [r.energy_j for r in records]

    on_device, device_j = accuracies("device")
    at_edge, edge_j = accuracies("edge")
    assert at_edge == on_device  # the same terminals aggregated: the same FedAvg
    assert edge_j[0] > 0
    assert edge_j[1:] == [0.0, 0.0]
    assert all(j > 0 for j in device_j)


def test_with_terminal_compute_the_rounds_drain_the_inference_model_s_batteries() -> None:
    terminals = {
        "count": 60,
        "mobility": {"model": "random-waypoint", "speed_mps": [5, 20]},
        "compute": {"battery_wh": 1.0, "charge": 0.5},
    }
    network = federated_network(
        with_uplink("equal-bandwidth", terminals=terminals), clients=20, update_bits=BITS, load=0.2, horizon_s=5,
        policy="random",
    )  # fmt: skip
    rounds, model = network.rounds, network.inference
    assert rounds.battery_j is model.terminals.battery_j  # one battery per terminal, shared by both workloads
    (c,) = in_separate_cells(rounds, 1)
    before = float(model.terminals.battery_j[c])
    assert before <= 0.5 * 3600.0
    timing = rounds.run_round([c], WORK, deadline_s=2.0)
    assert before - model.terminals.battery_j[c] >= timing.energy_j > 0  # inference may have drained more
