"""How a federated round's uploads (model updates, or training data for edge-side training) get their band.

- :class:`PolicyUpdates`: through the station's uplink like any upload, shared by the scenario's uplink policy
  (``equal-bandwidth``, ``equal-rate``, ``min-total-time``) with whatever else uploads there;
- :class:`MinMaxUpdates`: the round's uploads alone on the stations (no inference sharing them), the band of each
  station divided at the round's start by the min-max split (:func:`mcfn.allocation.minmax.split_band`: the
  allocation that ends the cell's last upload earliest, given when each starts) and reserved for the round, a
  reservation not in use lent to the uploads in progress (:func:`reserved_rule`), so every upload ends by the
  split's finish time or earlier;
- :class:`JointUpdates`: under ``joint-allocation`` with inference sharing the stations, each upload posed to the
  station's seed §3.2 allocation as a fixed upload (:meth:`mcfn.sim.joint_uplink.JointUplink.offer_fixed`: no
  compression, no accuracy floor, due at the round's cutoff), which re-divides the band among it and the
  inference uploads, or turns it away.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from mcfn.allocation.minmax import split_band
from mcfn.sim.access import RadioAccess
from mcfn.sim.engine import Simulator
from mcfn.sim.sharing import Finished, PolicySharing, RateRule

#: Why an upload the station's allocation turned away drops out of the round.
TURNED_AWAY_REASON = "turned away by the uplink's allocation"


class UpdateUplink(Protocol):
    """Sends a round's uploads: ``plan`` once at the round's start, then ``send`` as each upload starts."""

    def plan(self, uploads: Mapping[int, tuple[int, float, float]]) -> None:
        """The round's uploads: terminal → (cell, bits, predicted start in seconds from now)."""

    def send(self, job: int, terminal: int, cell: int, bits: float, due_s: float) -> bool:
        """Start ``job``'s upload of ``bits`` from ``terminal`` in ``cell``, due in ``due_s``; False if refused."""


class PolicyUpdates:
    """Uploads through the station's uplink under the scenario's sharing policy."""

    def __init__(self, access: RadioAccess) -> None:
        self._access = access

    def plan(self, uploads: Mapping[int, tuple[int, float, float]]) -> None:
        return None

    def send(self, job: int, terminal: int, cell: int, bits: float, due_s: float) -> bool:
        self._access.uplinks[cell].submit(job, bits, self._access.uplink_key(terminal))
        return True


def reserved_rule(bandwidth_hz: float) -> RateRule:
    """A station's rate rule for uploads that each hold a reserved band, key ``(P g / N0 in Hz, band in Hz)``: the
    band goes to the uploads in progress in proportion to what each reserved (work-conserving: a share not yet or
    no longer used is lent to the others), so an upload never sends slower than at its reserved band while the
    reservations in progress fit the band."""

    def rule(keys: Sequence[tuple[float, float]], remaining_bits: Sequence[float]) -> list[float]:
        reserved = sum(band for _, band in keys)
        scale = bandwidth_hz / reserved if reserved > 0.0 else 0.0
        return [band * scale * math.log2(1.0 + snr / (band * scale)) if band > 0.0 else 0.0 for snr, band in keys]

    return rule


def reserved_stations(
    sim: Simulator, stations: int, *, bandwidth_hz: float, on_finish: Finished, delay_s: float
) -> list[PolicySharing]:
    """Uplinks whose uploads each hold a reserved band (:func:`reserved_rule`)."""
    rule = reserved_rule(bandwidth_hz)
    return [PolicySharing(sim, rule=rule, on_finish=on_finish, delay_s=delay_s) for _ in range(stations)]


class MinMaxUpdates:
    """Uploads on :func:`reserved_stations`, each cell's band split at the round's start by
    :func:`~mcfn.allocation.minmax.split_band`."""

    def __init__(self, access: RadioAccess, *, bandwidth_hz: float) -> None:
        self._access = access
        self._bandwidth_hz = bandwidth_hz
        self._band: dict[int, tuple[float, float]] = {}
        #: Each cell's predicted finish of its last upload at the last plan (seconds from the round's start).
        self.finish_s: dict[int, float] = {}

    def plan(self, uploads: Mapping[int, tuple[int, float, float]]) -> None:
        self._band, self.finish_s = {}, {}
        by_cell: dict[int, list[int]] = {}
        for terminal, (cell, _, _) in uploads.items():
            by_cell.setdefault(cell, []).append(terminal)
        snr = self._access.uplink_snr_hz
        for cell, terminals in by_cell.items():
            snr_hz = [snr(t) for t in terminals]
            split = split_band(
                [uploads[t][1] for t in terminals], snr_hz, [uploads[t][2] for t in terminals], self._bandwidth_hz
            )
            self.finish_s[cell] = split.finish_s
            self._band.update(zip(terminals, zip(snr_hz, split.shares.tolist(), strict=True), strict=True))

    def send(self, job: int, terminal: int, cell: int, bits: float, due_s: float) -> bool:
        self._access.uplinks[cell].submit(job, bits, self._band[terminal])
        return True


class JointUpdates:
    """Uploads posed to each station's seed §3.2 allocation as fixed uploads; an update's node is its cell's edge
    server (``edge_node[cell]``, the fleet index: where it is aggregated)."""

    def __init__(self, access: RadioAccess, *, edge_node: Sequence[int]) -> None:
        self._access = access
        self._edge_node = edge_node

    def plan(self, uploads: Mapping[int, tuple[int, float, float]]) -> None:
        return None

    def send(self, job: int, terminal: int, cell: int, bits: float, due_s: float) -> bool:
        snr_hz = self._access.uplink_snr_hz(terminal)
        station = self._access.uplinks[cell]
        return station.offer_fixed(job, snr_hz=snr_hz, bits=bits, deadline_s=due_s, server=self._edge_node[cell])
