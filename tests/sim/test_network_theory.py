"""The network simulator against queueing theory: an edge server with ``c`` VM slots, ``d = 0``, exponential work
and a negligible network is an M/M/c station, so its mean sojourn time must match Erlang C; Little's law holds."""

import numpy as np
import pytest

from mcfn.routing import make_policy
from mcfn.scenario import parse_scenario
from mcfn.sim.engine import Simulator
from mcfn.sim.model import NetworkModel
from mcfn.sim.run import simulate
from mcfn.sim.theory import mmc_mean_sojourn_s
from mcfn.sim.world import build_world

MEAN_SERVICE_S = 0.01
TERMINALS = 20


def station_scenario(*, servers: int, load: float, duration_s: float, seed: int = 0):
    """One cell, one edge server of ``servers`` VMs, no cloud, zero-size transfers over zero-delay links."""
    arrival_rate = load * servers / MEAN_SERVICE_S
    peak = 1e12
    return parse_scenario(
        {
            "duration_s": duration_s,
            "drain_s": 5,
            "seed": seed,
            "network": {"rings": 0, "lan_delay_s": 0, "backhaul_delay_s": 0, "core_delay_s": 0, "wan_delay_s": 0},
            "radio": {"radio_delay_s": 0},
            "terminals": {"count": TERMINALS},
            "compute": {
                "edge": {"kind": "cpu", "peak_flops_per_s": peak, "memory_bytes": 1e9, "vm_slots": servers},
                "cloud": None,
            },
            "services": [
                {
                    "name": "mm",
                    "rate_per_terminal_per_s": arrival_rate / TERMINALS,
                    "data_bits": 0,
                    "deadline_s": 10,
                    "work": "exponential",
                    # one VM of a CPU runs matmul at 0.7 of its peak (mcfn.compute.node)
                    "stages": [{"flops": {"matmul": 0.7 * peak * MEAN_SERVICE_S}, "output_bits": 0, "on": ["edge"]}],
                }
            ],
        }
    )


@pytest.mark.parametrize(("servers", "load", "duration_s"), [(1, 0.5, 1500), (4, 0.6, 300)])
def test_edge_server_reproduces_erlang_c_within_three_percent(servers, load, duration_s):
    scenario = station_scenario(servers=servers, load=load, duration_s=duration_s)
    result = simulate(scenario, "compute-aware")
    columns = result.columns
    assert result.summary["tasks"]["completed"] == columns["status"].size > 60_000
    arrival_rate = load * servers / MEAN_SERVICE_S
    theory = mmc_mean_sojourn_s(arrival_rate, 1.0 / MEAN_SERVICE_S, servers)
    assert np.mean(columns["latency_s"]) == pytest.approx(theory, rel=0.03)
    assert result.summary["utilisation"]["edge0"] == pytest.approx(load, rel=0.03)


def test_littles_law_holds_for_tasks_in_flight():
    scenario = station_scenario(servers=2, load=0.7, duration_s=300, seed=5)
    sim = Simulator(seed=scenario.seed)
    model = NetworkModel(sim, build_world(scenario), policy=make_policy("compute-aware"))
    samples = []

    def sample():
        samples.append(model.table.in_flight)
        sim.schedule(0.001, sample)

    sim.schedule(10.0, sample)  # after a warm-up
    sim.run(until_s=scenario.duration_s)
    table = model.table
    arrival = table.arrival_s[: table.count]
    end = table.end_s[: table.count]
    window = (arrival >= 10.0) & (end <= scenario.duration_s)
    throughput = window.sum() / (scenario.duration_s - 10.0)
    assert np.mean(samples) == pytest.approx(throughput * np.mean(end[window] - arrival[window]), rel=0.03)
