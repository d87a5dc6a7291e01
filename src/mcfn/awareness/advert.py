"""State advertisements: what a compute node tells the network about itself, when, and what it costs.

A node advertises its backlog, busy VMs, measured service speed and recent arrival rate every ``period_s``,
perturbed by uniform jitter so that nodes do not synchronise (the reason routing protocols jitter their periodic
updates: Floyd & Jacobson, "The Synchronization of Periodic Routing Messages", IEEE/ACM ToN 2(2), 1994); each advert
is lost independently with ``loss_probability``. Adverts are the distributed metric distribution of the CATS
framework (RFC 10053), and an advert's payload is the L0 metric set of :mod:`mcfn.compute.metrics`. Nothing here
reads a clock: the caller passes times and a ``numpy`` Generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfn.network.radio import FloatArray

#: Bytes of one advert on the wire: IPv6 + UDP headers (48) + node id (16) + four float64 metrics + timestamp (40).
ADVERT_BYTES = 104


@dataclass(frozen=True, slots=True, kw_only=True)
class Advert:
    """One node's state as it was at ``sent_s``.

    ``queue_flops`` is the work waiting for a VM; ``speed_flops_per_s`` the rate at which the node has been
    serving that backlog; ``arrival_flops_per_s`` the rate at which work has been arriving.
    """

    node_id: str
    sent_s: float
    queue_flops: float
    busy_vms: int
    speed_flops_per_s: float
    arrival_flops_per_s: float = 0.0


@dataclass(frozen=True, eq=False)
class Emissions:
    """Adverts sent in a time window, sorted by time: who (fleet index), when, and whether each arrives."""

    node: np.ndarray
    sent_s: FloatArray
    delivered: np.ndarray
    size_bytes: int

    @property
    def bytes_sent(self) -> int:
        """Bytes every advert costs on the wire, lost ones included."""
        return int(self.node.size) * self.size_bytes


@dataclass(frozen=True, kw_only=True)
class AdvertPolicy:
    """How often nodes advertise: period, uniform jitter ``±jitter_s``, independent loss, size on the wire."""

    period_s: float
    jitter_s: float = 0.0
    loss_probability: float = 0.0
    size_bytes: int = ADVERT_BYTES

    def __post_init__(self) -> None:
        if not self.period_s > 0:
            raise ValueError(f"period_s must be positive, got {self.period_s}")
        if not 0 <= self.jitter_s < self.period_s / 2:
            raise ValueError(f"jitter_s must be in [0, period_s/2), got {self.jitter_s}")
        if not 0 <= self.loss_probability <= 1:
            raise ValueError(f"loss_probability must be in [0, 1], got {self.loss_probability}")

    def emissions(self, *, nodes: int, start_s: float, end_s: float, rng: np.random.Generator) -> Emissions:
        """Adverts of ``nodes`` nodes sent in ``[start_s, end_s)``; each node has a random phase in the period.

        Phases, jitter and losses are drawn from ``rng`` in a fixed order, so one seed gives one schedule. An
        engine that steps window by window should carry its own phases across windows; this is the batch form.
        """
        phase = rng.uniform(0.0, self.period_s, size=nodes)
        beats = int(np.ceil((end_s - start_s) / self.period_s)) + 1
        times = start_s + phase[:, None] + self.period_s * np.arange(beats)[None, :]
        times = times + rng.uniform(-self.jitter_s, self.jitter_s, size=times.shape)
        node = np.broadcast_to(np.arange(nodes)[:, None], times.shape)
        keep = (times >= start_s) & (times < end_s)
        node, times = node[keep], times[keep]
        order = np.argsort(times, kind="stable")
        delivered = rng.random(order.size) >= self.loss_probability
        return Emissions(node=node[order], sent_s=times[order], delivered=delivered, size_bytes=self.size_bytes)
