"""The simulator against queueing theory: M/M/1 and M/M/c sojourn times, Little's law, determinism."""

import numpy as np
import pytest

from mcfn.sim.queueing import simulate_station
from mcfn.sim.theory import erlang_c, mm1_mean_sojourn_s, mmc_mean_sojourn_s


def test_erlang_c_known_values():
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_mean_sojourn_s(0.5, 1.0, 1) == pytest.approx(mm1_mean_sojourn_s(0.5, 1.0))
    with pytest.raises(ValueError, match="stable"):
        erlang_c(2, 2.0)


@pytest.mark.parametrize(("servers", "arrival_rate"), [(1, 0.7), (4, 2.8), (8, 6.0)])
def test_mean_sojourn_matches_theory_within_three_percent(servers, arrival_rate):
    runs = [
        simulate_station(arrival_rate=arrival_rate, service_rate=1.0, servers=servers, jobs=100_000, seed=s)
        for s in range(3)
    ]
    simulated = np.mean([r.mean_sojourn_s for r in runs])
    assert simulated == pytest.approx(mmc_mean_sojourn_s(arrival_rate, 1.0, servers), rel=0.03)
    utilisation = np.mean([r.utilisation for r in runs])
    assert utilisation == pytest.approx(arrival_rate / servers, rel=0.02)


def test_littles_law_and_conservation():
    stats = simulate_station(arrival_rate=2.0, service_rate=1.0, servers=3, jobs=50_000, seed=4)
    assert stats.completed == stats.arrived
    assert not np.isnan(stats.sojourn_s).any()
    throughput = stats.completed / stats.horizon_s
    assert stats.mean_in_system == pytest.approx(throughput * stats.mean_sojourn_s, rel=1e-3)


def test_same_seed_same_output():
    a = simulate_station(arrival_rate=0.9, service_rate=1.0, jobs=5_000, seed=11)
    b = simulate_station(arrival_rate=0.9, service_rate=1.0, jobs=5_000, seed=11)
    c = simulate_station(arrival_rate=0.9, service_rate=1.0, jobs=5_000, seed=12)
    np.testing.assert_array_equal(a.sojourn_s, b.sojourn_s)
    assert a.events == b.events
    assert not np.array_equal(a.sojourn_s, c.sojourn_s)
