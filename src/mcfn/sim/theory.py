"""Queueing-theory references the simulator is validated against."""

from __future__ import annotations


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C), ``offered_load = lambda / mu < servers``.

    Computed through the numerically stable Erlang B recursion ``B(k) = a B(k-1) / (k + a B(k-1))``.
    """
    if not 0 <= offered_load < servers:
        raise ValueError(f"offered load {offered_load} must be in [0, servers={servers}) for a stable queue")
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    rho = offered_load / servers
    return blocking / (1.0 - rho + rho * blocking)


def mmc_mean_sojourn_s(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in system of M/M/c: ``C(c, a) / (c mu - lambda) + 1 / mu`` (Kleinrock, Queueing Systems I)."""
    load = arrival_rate / service_rate
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate) + 1.0 / service_rate


def mm1_mean_sojourn_s(arrival_rate: float, service_rate: float) -> float:
    """Mean time in system of M/M/1: ``1 / (mu - lambda)``."""
    if not arrival_rate < service_rate:
        raise ValueError("M/M/1 needs arrival_rate < service_rate")
    return 1.0 / (service_rate - arrival_rate)
