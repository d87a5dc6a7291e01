import numpy as np

from mcfn.sim.plots import CDF_POINTS, cdf_points


def test_a_short_cdf_keeps_every_completed_task_and_counts_the_failed_as_never_done():
    latency = np.array([0.3, np.nan, 0.1, 0.2, np.nan])
    x, share = cdf_points(latency, tasks=5)
    np.testing.assert_array_equal(x, [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(share, [0.2, 0.4, 0.6])


def test_a_long_cdf_is_thinned_to_points_exactly_on_it_from_the_fastest_to_the_slowest():
    rng = np.random.default_rng(3)
    latency = rng.lognormal(-3.0, 1.0, 200_000)
    latency[rng.random(latency.size) < 0.01] = np.nan
    x, share = cdf_points(latency, tasks=latency.size)
    done = np.sort(latency[~np.isnan(latency)])
    assert x.size <= CDF_POINTS
    assert (x[0], x[-1], share[-1]) == (done[0], done[-1], done.size / latency.size)
    assert np.all(np.diff(x) > 0)
    np.testing.assert_array_equal(np.searchsorted(done, x, side="right") / latency.size, share)


def test_no_completed_task_draws_no_curve():
    x, share = cdf_points(np.full(4, np.nan), tasks=4)
    assert x.size == share.size == 0
