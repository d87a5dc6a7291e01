"""The scenario's terminal compute (``terminals.compute:``): device profile, battery, D2D helpers and sidelink.

With it, a service variant whose stages all say ``on: [terminal]`` runs on the terminal itself, or on a nearby
helper terminal over a sidelink (device-to-device), instead of being offloaded; :mod:`mcfn.sim.terminals` runs it
and :mod:`mcfn.orchestration.placement` weighs the choices.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from pydantic import Field, model_validator

from mcfn.compute.devices import DEVICES, DeviceProfile, DynamicPower
from mcfn.network.sidelink import Sidelink
from mcfn.validation import StrictModel

Positive = Annotated[float, Field(gt=0)]


class SidelinkDoc(StrictModel):
    """:class:`mcfn.network.sidelink.Sidelink`'s parameters (defaults: 3GPP TR 36.843's D2D evaluation)."""

    bandwidth_hz: Positive = 10e6
    tx_power_dbm: float = 23.0
    carrier_ghz: Positive = 2.0
    noise_figure_db: Annotated[float, Field(ge=0)] = 9.0
    range_m: Positive = 100.0

    def model(self, noise_psd_dbm_hz: float) -> Sidelink:
        return Sidelink(noise_psd_dbm_hz=noise_psd_dbm_hz, **self.model_dump())


class DynamicPowerDoc(StrictModel):
    """:class:`mcfn.compute.devices.DynamicPower`'s parameters: ``κ`` (J / (cycle · Hz²)) and the clock (Hz)."""

    switched_capacitance: Positive
    clock_hz: Positive


class TerminalCompute(StrictModel):
    """Every terminal's device (:data:`mcfn.compute.devices.DEVICES`), its battery and who helps others.

    ``battery_wh``: capacity (None: mains powered, never empty); 15.4 Wh is a 4,000 mAh phone battery at 3.85 V
    (assumed typical). ``charge``: the share it starts with. ``helpers``: the share of terminals (the last ones)
    that offer their device to others over a sidelink. ``dynamic_power``: compute energy by ``κ f² · cycles``
    instead of the profile's measured power × time (None).
    """

    device: str = "phone-npu"
    battery_wh: Positive | None = 15.4
    charge: Annotated[float, Field(gt=0, le=1)] = 1.0
    helpers: Annotated[float, Field(ge=0, le=1)] = 0.0
    sidelink: SidelinkDoc = SidelinkDoc()
    dynamic_power: DynamicPowerDoc | None = None

    @model_validator(mode="after")
    def _known_device(self) -> TerminalCompute:
        if self.device not in DEVICES:
            raise ValueError(f"device {self.device!r} is unknown; valid: {', '.join(DEVICES)}")
        return self

    @property
    def profile(self) -> DeviceProfile:
        profile = DEVICES[self.device]
        if self.dynamic_power is None:
            return profile
        return dataclasses.replace(profile, dynamic=DynamicPower(**self.dynamic_power.model_dump()))

    @property
    def battery_j(self) -> float | None:
        """The energy a full battery holds (J), or None (mains)."""
        return None if self.battery_wh is None else self.battery_wh * 3600.0
