"""Handover by strongest received signal with hysteresis (3GPP event A3, TS 36.331 §5.5.4.4), and coverage.

A terminal leaves its serving base station for the strongest neighbour when the neighbour's received power
exceeds the serving one by more than ``hysteresis_db`` for ``time_to_trigger_s``; hysteresis and time-to-trigger
suppress ping-pong at cell edges. Received power is transmit power minus the 3GPP path loss of
:mod:`mcfn.network.radio`.

With one transmit power and a path loss that falls with distance the strongest station is the nearest, so a
measurement reads only the station nearest each terminal, found in a k-d tree of the stations (:class:`StationIndex`;
Bentley, "Multidimensional binary search trees used for associative searching", CACM 1975): a step costs
``O(terminals × log stations)`` instead of ``O(terminals × stations)``, and its decision equals the all-stations
computation (:func:`received_power_dbm`). Between two measurements a terminal moves a few metres, so the tree is
asked only about terminals that may have changed nearest station: one still closer to its last nearest station
than half the distance from that station to any other has no nearer one (by the triangle inequality, every other
station is at least that far from it), which in a hexagonal layout is every terminal inside its cell's inscribed
circle, nine in ten.

A terminal farther than ``coverage_radius_m`` from every station is outside coverage: it keeps its A3 state, and
:attr:`HandoverDecision.covered` says it has no service.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from mcfn.network.radio import FloatArray, path_loss_db

#: Distances below this are clamped: the path-loss model is not meant for the first metres.
MIN_DISTANCE_M = 1.0


def received_power_dbm(terminals_m: FloatArray, stations_m: FloatArray, tx_power_dbm: float) -> FloatArray:
    """Received power of every station at every terminal, shape (terminals, stations)."""
    delta = terminals_m[:, None, :] - stations_m[None, :, :]
    distance = np.maximum(np.hypot(delta[..., 0], delta[..., 1]), MIN_DISTANCE_M)
    return tx_power_dbm - path_loss_db(distance)


class StationIndex:
    """A k-d tree of station positions: each terminal's nearest stations in ``O(log stations)``."""

    def __init__(self, stations_m: FloatArray) -> None:
        stations = np.asarray(stations_m, dtype=float)
        if stations.ndim != 2 or stations.shape[1] != 2 or len(stations) == 0:
            raise ValueError("stations_m must be an (n, 2) array of positions with n >= 1")
        self.stations_m = stations
        self._tree = cKDTree(stations)

    def __len__(self) -> int:
        return len(self.stations_m)

    def nearest(self, points_m: FloatArray, k: int = 1) -> tuple[FloatArray, np.ndarray]:
        """Distances (m) and indices of the ``k`` stations nearest each point, nearest first, shape (n, k)."""
        k = min(k, len(self.stations_m))
        distance, index = self._tree.query(np.asarray(points_m, dtype=float), k=k)
        return distance.reshape(-1, k), index.reshape(-1, k)

    def within(self, points_m: FloatArray, radius_m: float) -> np.ndarray:
        """Whether each point lies within ``radius_m`` of some station."""
        return self.nearest(points_m)[0][:, 0] <= radius_m


@dataclass(frozen=True, slots=True)
class HandoverDecision:
    """Serving station per terminal after a measurement, which terminals changed station, and which are covered."""

    serving: np.ndarray
    handed_over: np.ndarray
    covered: np.ndarray


class HandoverController:
    """Keeps each terminal's serving station and A3 timer; :meth:`measure` applies one measurement."""

    def __init__(
        self,
        *,
        stations_m: FloatArray,
        tx_power_dbm: float = 46.0,
        hysteresis_db: float = 3.0,
        time_to_trigger_s: float = 0.0,
        coverage_radius_m: float = np.inf,
    ) -> None:
        if hysteresis_db < 0 or time_to_trigger_s < 0:
            raise ValueError("hysteresis_db and time_to_trigger_s must be >= 0")
        if not coverage_radius_m > 0:
            raise ValueError(f"coverage_radius_m must be positive, got {coverage_radius_m}")
        self.index = StationIndex(stations_m)
        self._power = tx_power_dbm
        self._hysteresis = hysteresis_db
        self._ttt = time_to_trigger_s
        self._coverage_m = coverage_radius_m
        self._serving: np.ndarray | None = None
        self._condition_since: FloatArray | None = None
        #: each terminal's nearest station at the last measurement (None: none yet)
        self._nearest: np.ndarray | None = None
        #: half the distance from each station to its nearest other one (inf: a lone station): a terminal closer
        #: than that to a station has no nearer station (module docstring)
        stations = self.index.stations_m
        if len(stations) > 1:
            self._claim_m = self.index.nearest(stations, k=2)[0][:, 1] / 2.0
        else:
            self._claim_m = np.full(1, np.inf)

    def _strongest(self, terminals_m: FloatArray) -> tuple[np.ndarray, FloatArray, FloatArray]:
        """Each terminal's strongest station (its nearest: module docstring), that station's received power, and
        the distance to it."""
        stations = self.index.stations_m
        index = self._nearest
        if index is None or len(index) != len(terminals_m):
            index = self.index.nearest(terminals_m)[1][:, 0]
            delta = terminals_m - stations[index]  # as received_power_dbm, bit for bit
            distance = np.hypot(delta[:, 0], delta[:, 1])
        else:  # ask the tree only about the terminals that may have a new nearest station (module docstring)
            delta = terminals_m - stations[index]
            distance = np.hypot(delta[:, 0], delta[:, 1])
            moved = np.flatnonzero(~(distance < self._claim_m[index]))
            if moved.size:
                index = index.copy()
                index[moved] = self.index.nearest(terminals_m[moved])[1][:, 0]
                delta = terminals_m[moved] - stations[index[moved]]
                distance[moved] = np.hypot(delta[:, 0], delta[:, 1])
        self._nearest = index
        rx = self._power - path_loss_db(np.maximum(distance, MIN_DISTANCE_M))
        return index, rx, distance

    def attach(self, terminals_m: FloatArray) -> np.ndarray:
        """Initial attachment: every terminal to its strongest station."""
        self._serving = self._strongest(terminals_m)[0]
        self._condition_since = np.full(len(self._serving), np.nan)
        return self._serving.copy()

    def measure(self, terminals_m: FloatArray, now_s: float) -> HandoverDecision:
        """Apply one measurement at ``now_s``; call :meth:`attach` first."""
        if self._serving is None or self._condition_since is None:
            raise RuntimeError("attach() must be called before measure()")
        best, best_rx, nearest_m = self._strongest(terminals_m)
        delta = terminals_m - self.index.stations_m[self._serving]
        serving_rx = self._power - path_loss_db(np.maximum(np.hypot(delta[:, 0], delta[:, 1]), MIN_DISTANCE_M))
        entering = best_rx > serving_rx + self._hysteresis
        since = np.where(entering, np.where(np.isnan(self._condition_since), now_s, self._condition_since), np.nan)
        fire = entering & (now_s - since >= self._ttt)
        self._serving = np.where(fire, best, self._serving)
        self._condition_since = np.where(fire, np.nan, since)
        return HandoverDecision(serving=self._serving.copy(), handed_over=fire, covered=nearest_m <= self._coverage_m)
