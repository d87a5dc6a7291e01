"""The scenario's energy parameters (``energy:``): the terminals' radio and the wired network's energy per bit.

Servers carry their own ``idle_w`` and ``peak_w`` (:class:`mcfn.scenario.model.Server`). The models and their
sources are in :mod:`mcfn.compute.power`; every default below names its source or is marked assumed.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Annotated

from pydantic import Field

from mcfn.compute.power import NetworkEnergy, RadioPower
from mcfn.network import radio
from mcfn.validation import StrictModel

NonNegative = Annotated[float, Field(ge=0)]


class NetworkJoules(StrictModel):
    """Joules per bit carried over one hop of each class.

    Assumed, of the order of the per-bit energies of Baliga et al. 2011 (Proc. IEEE 99(1), Table and §IV: an
    Ethernet switch a few nJ/bit, edge and core routers some tens of nJ/bit with their share of transport, so a
    path to a distant data centre costs a few hundred nJ/bit): a LAN switch at the base station 2 nJ/bit, the
    backhaul (an aggregation router and its transport) 10 nJ/bit, the core hop 20 nJ/bit, the WAN to the cloud
    (several core routers and WDM transport) 100 nJ/bit.
    """

    lan: NonNegative = 2e-9
    backhaul: NonNegative = 10e-9
    core: NonNegative = 20e-9
    wan: NonNegative = 100e-9

    def model(self) -> NetworkEnergy:
        return NetworkEnergy(j_per_bit=MappingProxyType(self.model_dump()))


class Energy(StrictModel):
    """A terminal's radio energy (:class:`mcfn.compute.power.RadioPower`) and the network's per bit.

    ``circuit_w`` and ``rx_j_per_bit`` are Huang et al.'s LTE measurements (MobiSys 2012, Table 3: the base power
    ``β = 1288.04 mW`` and the downlink's ``α_d = 51.97 mW`` per Mbit/s); ``pa_efficiency``, the power amplifier's
    drain efficiency at the terminal's transmit power, is assumed 0.25 (handset PAs reach 20–40 % at full power).
    """

    pa_efficiency: Annotated[float, Field(gt=0, le=1)] = 0.25
    circuit_w: NonNegative = 1.28804
    rx_j_per_bit: NonNegative = 51.97e-9
    network_j_per_bit: NetworkJoules = NetworkJoules()

    def radio_power(self, terminal_tx_power_dbm: float) -> RadioPower:
        """The terminals' radio at the scenario's transmit power."""
        return RadioPower(
            tx_w=float(radio.dbm_to_watt(terminal_tx_power_dbm)),
            pa_efficiency=self.pa_efficiency,
            circuit_w=self.circuit_w,
            rx_j_per_bit=self.rx_j_per_bit,
        )
