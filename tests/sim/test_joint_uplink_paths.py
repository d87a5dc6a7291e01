"""One path for a station's batch of uploads: the simulator's joint-allocation uplink and the batch orchestrator
(mcfn.orchestration.orchestrate) pose the same task on the same node alike and get the same allocation."""

from __future__ import annotations

import pytest

from mcfn.network import radio
from mcfn.orchestration import RadioSettings, ServiceRequest, orchestrate
from mcfn.routing import make_policy
from mcfn.sim.engine import Simulator
from mcfn.sim.model import NetworkModel
from mcfn.sim.world import build_world
from tests.sim.conftest import small_scenario

#: Too heavy for an edge server of the small scenario within its deadline: compute-aware routing sends it to the cloud.
HEAVY = {
    "name": "heavy",
    "rate_per_terminal_per_s": 0.1,
    "data_bits": 1.0e6,
    "deadline_s": 0.5,
    "accuracy": 0.8,
    "min_accuracy": 0.5,
    "work_scales_with_input": True,
    "stages": [{"flops": {"conv": 1.0e12}, "output_bits": 8000}],
}


@pytest.fixture(scope="module")
def model() -> NetworkModel:
    base = small_scenario().model_dump(mode="json")
    scenario = small_scenario(
        # no radio delays and a (practically) free downlink: the batch orchestrator models neither
        radio={"uplink_policy": "joint-allocation", "radio_delay_s": 0.0, "downlink_bps": 1e18},
        services=[*base["services"], HEAVY],
    )
    sim = Simulator(seed=scenario.seed)
    return NetworkModel(sim, build_world(scenario), policy=make_policy("compute-aware", sim.stream("policy")))


@pytest.mark.parametrize(("service", "node"), [(0, "edge"), (1, "edge"), (2, "cloud")])
def test_the_simulator_and_orchestrate_give_a_task_the_same_allocation(model, service, node):
    world, scenario = model.world, model.world.scenario
    station = service  # one station each: no upload in progress beside it
    option = world.reference(service)
    request = world.requests[option][station]
    route = model.router.route_stages(request, make_policy("compute-aware"), now_s=0.0, record=False)
    assert route.stages[0].node_id.startswith(node)
    snr_hz = 3e7  # about 26 Mbit/s with the whole band: compression pays
    decided = model.joint.offer(
        station, option, snr_hz=snr_hz, option=option, node=world.fleet.index[route.stages[0].node_id], route=route
    )
    assert decided is not None
    assert decided[0] < 1.0
    spec = scenario.services[service]
    noise = radio.noise_psd_w_per_hz(scenario.radio.noise_psd_dbm_hz)
    deployment = orchestrate(
        [
            ServiceRequest(
                id="r",
                terminal="u",
                ingress=world.stations[station],
                data_bits=spec.data_bits,
                stages=request.stages,
                deadline_s=spec.deadline_s,
                accuracy=world.options[option].curve,
                min_accuracy=spec.min_accuracy,
                tx_power_w=1.0,
                channel_gain=snr_hz * noise,
                work_scales_with_input=spec.work_scales_with_input,
            )
        ],
        router=model.router,
        radio=RadioSettings(
            bandwidth_hz=scenario.radio.bandwidth_hz,
            noise_psd_dbm_hz=scenario.radio.noise_psd_dbm_hz,
            weight=scenario.utility_weight,
            min_compression=scenario.radio.min_compression,
            method=scenario.radio.allocation_method,
        ),
        now_s=0.0,
    )
    (record,) = deployment.records
    assert record.allocated
    assert record.route.stages[0].node_id == route.stages[0].node_id
    assert record.compression == pytest.approx(decided[0], rel=1e-9)
    assert record.compute_share == pytest.approx(decided[1], rel=1e-9)
    assert record.bandwidth_hz == pytest.approx(scenario.radio.bandwidth_hz)
