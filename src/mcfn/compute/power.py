"""Power and energy models of the mobile CFN's parts: servers, a terminal's radio, the wired network's hops.

Each model turns a quantity that an engine integrates exactly (busy VM-seconds, seconds on the air, bits carried)
into joules, so energy is a closed form of the run's own integrals, never a sampled meter:

- :class:`ServerPower`: the linear server model ``P(u) = P_idle + (P_peak − P_idle) u`` over the utilisation ``u``
  (the share of VM slots in service) — the shape of SPECpower_ssj2008 results, whose published servers draw
  close to linearly more between idle and full load (SPEC, "SPECpower_ssj2008 Results", spec.org/power_ssj2008;
  Fan, Weber & Barroso, "Power provisioning for a warehouse-sized computer", ISCA 2007, §3: the linear model
  within a few per cent of measured power). LEAF's ``PowerModelNode`` is the same form.
- :class:`RadioPower`: a terminal's cellular radio. Sending costs the radiated power through the power amplifier
  plus the transceiver's circuit power for the seconds on the air; receiving costs the circuit power plus a term
  proportional to the bits received. The circuit power and the downlink's per-rate term are those Huang et al.
  measured for LTE ("A close examination of performance and power characteristics of 4G LTE networks",
  MobiSys 2012, Table 3: ``P = α R + β``, ``β = 1288.04 mW``, ``α_d = 51.97 mW/Mbit/s``).
- :class:`NetworkEnergy`: the wired network as energy per bit per hop class (LAN, backhaul, core, WAN), the
  flow-based model of Baliga et al. ("Green cloud computing: balancing energy in processing, storage, and
  transport", Proc. IEEE 99(1), 2011) and of LEAF's ``PowerModelLink`` (joules per bit, no idle share: the
  equipment's idle power is amortised into the per-bit figure, as Baliga et al. do).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

#: Hop classes of the wired network, by the roles of a link's two ends (:func:`hop_class`).
HOP_CLASSES = ("lan", "backhaul", "core", "wan")


@dataclass(frozen=True, kw_only=True)
class ServerPower:
    """``P(u) = idle_w + (peak_w − idle_w) u``, ``u`` the share of the node's VM slots in service."""

    idle_w: float
    peak_w: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.idle_w <= self.peak_w:
            raise ValueError(f"need 0 <= idle_w <= peak_w, got idle_w={self.idle_w!r}, peak_w={self.peak_w!r}")

    def power_w(self, utilisation: float) -> float:
        """Instantaneous power at ``utilisation`` in [0, 1]."""
        return self.idle_w + (self.peak_w - self.idle_w) * utilisation

    def dynamic_w_per_vm(self, slots: int) -> float:
        """What one VM in service adds: ``(peak_w − idle_w) / slots`` (all ``slots`` busy draw ``peak_w``)."""
        return (self.peak_w - self.idle_w) / slots

    def energy_j(self, horizon_s: float, in_service_vm_s: float, slots: int) -> float:
        """Energy over ``horizon_s`` with ``in_service_vm_s`` the integral of the VMs in service over time: the
        integral of ``P(u(t))``, exact because ``P`` is linear in ``u``."""
        return self.idle_w * horizon_s + self.dynamic_w_per_vm(slots) * in_service_vm_s


@dataclass(frozen=True, kw_only=True)
class RadioPower:
    """A terminal's radio: ``tx_w / pa_efficiency + circuit_w`` while sending; ``circuit_w + rx_j_per_bit · R``
    while receiving at ``R`` bit/s (so ``circuit_w · T + rx_j_per_bit · bits`` per download)."""

    tx_w: float
    pa_efficiency: float
    circuit_w: float
    rx_j_per_bit: float

    def __post_init__(self) -> None:
        if not 0.0 < self.pa_efficiency <= 1.0:
            raise ValueError(f"pa_efficiency must be in (0, 1], got {self.pa_efficiency!r}")
        if self.tx_w < 0 or self.circuit_w < 0 or self.rx_j_per_bit < 0:
            raise ValueError("tx_w, circuit_w and rx_j_per_bit must be >= 0")

    @property
    def send_w(self) -> float:
        """Power drawn while sending."""
        return self.tx_w / self.pa_efficiency + self.circuit_w

    def upload_j(self, seconds: float) -> float:
        """Energy of ``seconds`` on the air sending (works element-wise on arrays)."""
        return self.send_w * seconds

    def download_j(self, seconds: float, bits: float) -> float:
        """Energy of receiving ``bits`` in ``seconds`` (works element-wise on arrays)."""
        return self.circuit_w * seconds + self.rx_j_per_bit * bits


@dataclass(frozen=True, kw_only=True)
class NetworkEnergy:
    """Joules per bit carried over one hop of each class (:data:`HOP_CLASSES`)."""

    j_per_bit: MappingProxyType[str, float]

    def __post_init__(self) -> None:
        missing = set(HOP_CLASSES) - set(self.j_per_bit)
        if missing:
            raise ValueError(f"no energy per bit for hop classes {sorted(missing)}; need {', '.join(HOP_CLASSES)}")
        if any(v < 0 for v in self.j_per_bit.values()):
            raise ValueError("energy per bit must be >= 0")

    def path_j_per_bit(self, classes: list[str]) -> float:
        """Joules per bit over hops of these classes."""
        return sum(self.j_per_bit[c] for c in classes)


def hop_class(role_a: str, role_b: str) -> str:
    """The class of a link between nodes of roles ``role_a`` and ``role_b`` (:class:`mcfn.network.topology.Role`
    values): an edge server's LAN to its base station, a base station's backhaul to aggregation, aggregation to
    the core, and the core's WAN to the cloud; any other pair is counted as core."""
    roles = {role_a, role_b}
    if "edge_server" in roles:
        return "lan"
    if "base_station" in roles:
        return "backhaul"
    if "cloud" in roles:
        return "wan"
    return "core"
