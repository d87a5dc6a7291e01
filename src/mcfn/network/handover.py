"""Handover by strongest received signal with hysteresis (3GPP event A3, TS 36.331 §5.5.4.4).

A terminal leaves its serving base station for the strongest neighbour when the neighbour's received power
exceeds the serving one by more than ``hysteresis_db`` for ``time_to_trigger_s``; hysteresis and time-to-trigger
suppress ping-pong at cell edges. Received power is transmit power minus the 3GPP path loss of
:mod:`mcfn.network.radio` (shadowing optional, fixed per terminal–station pair).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfn.network.radio import FloatArray, path_loss_db

#: Distances below this are clamped: the path-loss model is not meant for the first metres.
MIN_DISTANCE_M = 1.0


def received_power_dbm(terminals_m: FloatArray, stations_m: FloatArray, tx_power_dbm: float) -> FloatArray:
    """Received power of every station at every terminal, shape (terminals, stations)."""
    delta = terminals_m[:, None, :] - stations_m[None, :, :]
    distance = np.maximum(np.hypot(delta[..., 0], delta[..., 1]), MIN_DISTANCE_M)
    return tx_power_dbm - path_loss_db(distance)


@dataclass(frozen=True, slots=True)
class HandoverDecision:
    """Serving station per terminal after a measurement, and which terminals changed station."""

    serving: np.ndarray
    handed_over: np.ndarray


class HandoverController:
    """Keeps each terminal's serving station and A3 timer; :meth:`measure` applies one measurement."""

    def __init__(
        self,
        *,
        stations_m: FloatArray,
        tx_power_dbm: float = 46.0,
        hysteresis_db: float = 3.0,
        time_to_trigger_s: float = 0.0,
    ) -> None:
        if hysteresis_db < 0 or time_to_trigger_s < 0:
            raise ValueError("hysteresis_db and time_to_trigger_s must be >= 0")
        self._stations = np.asarray(stations_m, dtype=float)
        if self._stations.ndim != 2 or self._stations.shape[1] != 2 or len(self._stations) == 0:
            raise ValueError("stations_m must be an (n, 2) array of positions with n >= 1")
        self._power = tx_power_dbm
        self._hysteresis = hysteresis_db
        self._ttt = time_to_trigger_s
        self._serving: np.ndarray | None = None
        self._condition_since: FloatArray | None = None

    def attach(self, terminals_m: FloatArray) -> np.ndarray:
        """Initial attachment: every terminal to its strongest station."""
        self._serving = np.argmax(received_power_dbm(terminals_m, self._stations, self._power), axis=1)
        self._condition_since = np.full(len(self._serving), np.nan)
        return self._serving.copy()

    def measure(self, terminals_m: FloatArray, now_s: float) -> HandoverDecision:
        """Apply one measurement at ``now_s``; call :meth:`attach` first."""
        if self._serving is None or self._condition_since is None:
            raise RuntimeError("attach() must be called before measure()")
        rx = received_power_dbm(terminals_m, self._stations, self._power)
        rows = np.arange(len(rx))
        best = np.argmax(rx, axis=1)
        entering = rx[rows, best] > rx[rows, self._serving] + self._hysteresis
        since = np.where(entering, np.where(np.isnan(self._condition_since), now_s, self._condition_since), np.nan)
        fire = entering & (now_s - since >= self._ttt)
        self._serving = np.where(fire, best, self._serving)
        self._condition_since = np.where(fire, np.nan, since)
        return HandoverDecision(serving=self._serving.copy(), handed_over=fire)
