"""Real federated training with Flower on a few terminals, its rounds on the simulated network."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.sim.fl_rounds import federated_network
from mcfn.training import model as mlp
from mcfn.training.data import load_dataset
from mcfn.training.federated import run_federated, update_bits
from mcfn.training.spec import FederatedSpec
from tests.sim.conftest import small_scenario


@pytest.fixture(scope="module")
def digits():
    mlp.use_one_thread()
    return load_dataset("digits")


def sharing_scenario(**overrides):
    scenario = small_scenario(**overrides)
    return scenario.model_copy(update={"radio": scenario.radio.model_copy(update={"uplink_policy": "equal-bandwidth"})})


def test_three_rounds_of_fedavg_raise_the_test_accuracy(digits) -> None:
    spec = FederatedSpec(clients=4, per_round=3, rounds=3, hidden=32, deadline_s=5.0, seed=1)
    network = federated_network(
        sharing_scenario(), clients=4, update_bits=update_bits(spec, digits), load=0, horizon_s=20, policy="random"
    )
    run = run_federated(spec, digits, network.rounds)
    accuracy = [r.accuracy for r in run.records]
    assert [r.round for r in run.records] == [0, 1, 2, 3]
    assert accuracy[-1] > accuracy[0] + 0.2
    assert all(len(r.aggregated) == 3 for r in run.records[1:])  # a slack deadline: nobody straggles
    clock = [r.clock_s for r in run.records]
    assert clock == sorted(clock)
    assert clock[-1] == pytest.approx(sum(r.round_s for r in run.records))


def test_a_tight_deadline_leaves_stragglers_out_and_the_round_lasts_the_deadline(digits) -> None:
    spec = FederatedSpec(clients=6, per_round=6, rounds=2, hidden=512, deadline_s=0.05, seed=2)
    network = federated_network(
        sharing_scenario(), clients=6, update_bits=update_bits(spec, digits), load=0, horizon_s=20, policy="random"
    )
    run = run_federated(spec, digits, network.rounds)
    for record in run.records[1:]:
        assert record.round_s == pytest.approx(0.05)
        assert len(record.stragglers) + len(record.dropped) + len(record.aggregated) == 6
        assert record.stragglers


def test_updates_share_the_uplinks_with_inference_and_slow_it(digits) -> None:
    from mcfn.experiments.federated import inference_rows, run_once

    spec = FederatedSpec(clients=10, per_round=10, rounds=2, hidden=2048, local_epochs=1, deadline_s=2.0, seed=3)
    outcome = run_once(sharing_scenario(), spec, digits, load=1.0, policy="nearest-edge", target=0.5)
    with_fl, without = outcome.inference["with_training"], outcome.inference["without_training"]
    assert with_fl["tasks"] == without["tasks"] > 0  # the same arrivals
    assert with_fl["latency_mean_s"] > without["latency_mean_s"]
    (row,) = inference_rows([outcome])
    assert row["gap"]["latency_mean_s"]["mean"] == pytest.approx(with_fl["latency_mean_s"] - without["latency_mean_s"])


def test_the_same_seed_gives_the_same_run(digits) -> None:
    def once() -> list[tuple[float, float]]:
        spec = FederatedSpec(clients=4, per_round=2, rounds=2, hidden=32, selection="deadline-aware", deadline_s=1.0)
        network = federated_network(
            sharing_scenario(), clients=4, update_bits=update_bits(spec, digits), load=0, horizon_s=5, policy="random"
        )
        return [(r.accuracy, r.clock_s) for r in run_federated(spec, digits, network.rounds).records]

    first = once()
    assert first == once()
    assert np.isfinite(first[-1][1])
