"""Concurrent D2D transfers share their cell's sidelink resource pool, time-shared.

NR sidelink (3GPP TS 38.300 §16.9; TS 38.214 §8.1) sends over a *resource pool*, a set of slots and sub-channels
configured per carrier for the cell. In mode 1 the gNB schedules each sidelink transmission on the pool's
resources (dynamic grants), in mode 2 the UEs pick them themselves by sensing; either way the transfers of one cell
draw on one pool. mcfn models a cell's pool as one :class:`~mcfn.sim.sharing.PolicySharing` station whose
scheduler gives each of the ``n`` transfers in progress ``1 / n`` of the pool's slots over the whole sidelink band
(round robin in time), so a transfer whose pair reaches ``R`` bit/s alone (:class:`mcfn.network.sidelink.Sidelink`,
at the pair's distance when it starts) progresses at ``R / n``: two concurrent transfers each get half the rate of
one alone.

Assumed: one pool per cell, keyed by the asking terminal's serving cell when its task is placed (the gNB that
schedules both of the pair's directions); a terminal outside coverage sends in mode 2 on a preconfigured pool
that it shares with no one; pools of different cells do not interfere; a transfer keeps the rate of the distance at
its start. The radio energy of a transfer is its air time alone (``bits / R``: a terminal transmits in its own
slots only), as before the pools.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mcfn.sim.engine import Simulator
from mcfn.sim.sharing import PolicySharing


def round_robin(rates_alone_bps: Sequence[float], remaining_bits: Sequence[float]) -> list[float]:
    """The pool's rate rule: each of the ``n`` transfers in progress at ``1 / n`` of its rate alone."""
    n = len(rates_alone_bps)
    return [rate / n for rate in rates_alone_bps]


class SidelinkPools:
    """Every cell's sidelink pool of one run (module docstring), made when first used."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._pools: dict[int, PolicySharing] = {}
        #: What to call, with the task, when each transfer in progress is through.
        self._then: dict[int, Callable[[int], None]] = {}

    def send(self, pool: int, task: int, bits: float, rate_bps: float, then: Callable[[int], None]) -> None:
        """Carry ``bits`` of ``task`` over ``pool``, at ``rate_bps`` alone; ``then(task)`` when they are through."""
        station = self._pools.get(pool)
        if station is None:
            station = self._pools[pool] = PolicySharing(self._sim, rule=round_robin, on_finish=self._through)
        self._then[task] = then
        station.submit(task, bits, rate_bps)

    def sharing(self, pool: int) -> int:
        """Transfers in progress on ``pool`` now."""
        station = self._pools.get(pool)
        if station is None:
            return 0
        station.account()
        return station.in_service

    def _through(self, task: int, served_s: float) -> None:
        self._then.pop(task)(task)
