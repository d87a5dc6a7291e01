"""Device-to-device sidelinks: the rate between two terminals from their distance, and whether they are in range.

3GPP's D2D evaluation (TR 36.843, "Study on LTE device to device proximity services; radio aspects", Annex A)
models the outdoor UE-to-UE channel with the WINNER+ B1 line-of-sight path loss at a 2 GHz carrier, UEs sending at
23 dBm over a 10 MHz sidelink with a 9 dB receiver noise figure; V2X (TR 37.885) keeps the same B1 form. The path
loss is ``PL = 22.7 log10(d / m) + 27.0 + 20 log10(f_c / GHz)`` dB (WINNER II D1.1.2, B1 LOS:
``41.0 + 20 log10(f_c / 5)``), the rate the Shannon rate of the sidelink's band at that SNR. A pair farther apart
than ``range_m`` has no sidelink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mcfn.network import radio


@dataclass(frozen=True, kw_only=True)
class Sidelink:
    """A D2D sidelink's parameters (defaults: TR 36.843's evaluation; ``range_m`` assumed)."""

    bandwidth_hz: float = 10e6
    tx_power_dbm: float = 23.0
    carrier_ghz: float = 2.0
    noise_figure_db: float = 9.0
    noise_psd_dbm_hz: float = -174.0
    range_m: float = 100.0

    def path_loss_db(self, distance_m: ArrayLike) -> NDArray[np.float64]:
        """WINNER+ B1 LOS path loss at ``distance_m`` (at least 3 m, the model's near limit)."""
        d = np.maximum(np.asarray(distance_m, dtype=float), 3.0)
        return 22.7 * np.log10(d) + 27.0 + 20.0 * np.log10(self.carrier_ghz)

    def rate_bps(self, distance_m: ArrayLike) -> NDArray[np.float64]:
        """The Shannon rate of the whole sidelink band at ``distance_m`` (0 beyond ``range_m``)."""
        distance = np.asarray(distance_m, dtype=float)
        gain = radio.db_to_linear(-self.path_loss_db(distance))
        noise = radio.noise_psd_w_per_hz(self.noise_psd_dbm_hz + self.noise_figure_db)
        snr_hz = radio.snr_bandwidth_hz(radio.dbm_to_watt(self.tx_power_dbm), gain, noise)
        rate = radio.shannon_rate_bps(self.bandwidth_hz, 1.0, snr_hz, 1.0)
        return np.where(distance <= self.range_m, rate, 0.0)
