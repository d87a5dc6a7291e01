"""Terminal device profiles: what a phone, a Raspberry Pi or a Jetson computes, and what it draws doing so.

A profile is a processor kind, its peak FLOP rate (per-op-class speeds follow the kind's shares,
:func:`mcfn.compute.op_throughputs`), its memory and its power while computing above idle (``active_w``: measured
power × time gives a local stage's energy). The alternative is the CMOS dynamic-power model (:class:`DynamicPower`:
``E = κ f² · cycles``; Burd and Brodersen, "Processor design for portable systems", J. VLSI Signal Process. 13(2),
1996; as used in mobile edge computing by Mao et al., "A survey on mobile edge computing: the communication
perspective", IEEE COMST 19(4), 2017, §IV-A), which needs the chip's effective switched capacitance ``κ``: no
profile ships one, a scenario gives it. Sources per profile:

- ``raspberry-pi-4``: four Cortex-A72 cores at 1.5 GHz, one 128-bit NEON FMA a cycle each (8 FP32 FLOP): 48
  GFLOP/s peak (Arm Cortex-A72 technical reference manual); 4 GB; it draws about 2.7 W idle and 6.4 W with all cores
  busy (Raspberry Pi 4 model B power measurements, e.g. Jeff Geerling's and Tom's Hardware's), so 3.7 W active.
- ``jetson-orin-nano``: NVIDIA Jetson Orin Nano 8 GB, 1024 Ampere CUDA cores at 625 MHz: 1.28 TFLOP/s FP32 peak;
  8 GB; 15 W power mode (NVIDIA Jetson Orin Nano series data sheet), about 10 W above idle under load (assumed).
- ``phone-npu``: a flagship phone's NPU, taken as 1.2 TFLOP/s effective on dense layers, of the order of the
  MobileNet and ResNet latencies the AI-Benchmark ranking publishes for 2022–2023 flagship NPUs (Ignatov et al.,
  "AI Benchmark: All about deep learning on smartphones in 2019", ICCVW 2019, and ai-benchmark.com; assumed value);
  8 GB; 4 W while computing, the sustained power envelope of a phone SoC (assumed).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from mcfn.compute.node import ComputeNode, Kind, Tier


@dataclass(frozen=True, kw_only=True)
class DynamicPower:
    """CMOS dynamic power (module docstring): a processor clocked at ``clock_hz`` spends ``κ f²`` joules a cycle, so
    ``C`` cycles cost ``κ f² C`` over ``C / f`` seconds (power ``κ f³``). ``switched_capacitance`` is ``κ`` in
    J / (cycle · Hz²); mobile CPUs are modelled with ``κ`` of the order of 1e-28 (Mao et al.'s survey, §IV-A)."""

    switched_capacitance: float
    clock_hz: float

    def __post_init__(self) -> None:
        if not (self.switched_capacitance > 0 and self.clock_hz > 0):
            raise ValueError("switched_capacitance and clock_hz must be > 0")

    def energy_j(self, seconds: float) -> float:
        """Energy of ``seconds`` of computing: ``κ f² · cycles`` with ``cycles = f · seconds``."""
        cycles = self.clock_hz * seconds
        return self.switched_capacitance * self.clock_hz**2 * cycles


@dataclass(frozen=True, kw_only=True)
class DeviceProfile:
    """A terminal's compute: kind, peak FLOP/s, memory, power while computing (W above idle), and optionally the
    dynamic-power model that replaces that power."""

    kind: Kind
    peak_flops_per_s: float
    memory_bytes: float
    active_w: float
    dynamic: DynamicPower | None = None

    def compute_j(self, seconds: float) -> float:
        """Energy of ``seconds`` computing: :class:`DynamicPower` if the profile has it, else ``active_w`` × time."""
        return self.active_w * seconds if self.dynamic is None else self.dynamic.energy_j(seconds)

    def node(self, node_id: str) -> ComputeNode:
        """The terminal's compute node (one VM: the device runs one stage at a time)."""
        return ComputeNode.of_kind(
            node_id=node_id,
            tier=Tier.TERMINAL,
            kind=self.kind,
            peak_flops_per_s=self.peak_flops_per_s,
            memory_bytes=self.memory_bytes,
        )


#: The shipped profiles by name (module docstring for their sources).
DEVICES: MappingProxyType[str, DeviceProfile] = MappingProxyType(
    {
        "raspberry-pi-4": DeviceProfile(kind=Kind.CPU, peak_flops_per_s=48e9, memory_bytes=4e9, active_w=3.7),
        "jetson-orin-nano": DeviceProfile(kind=Kind.GPU, peak_flops_per_s=1.28e12, memory_bytes=8e9, active_w=10.0),
        "phone-npu": DeviceProfile(kind=Kind.NPU, peak_flops_per_s=1.2e12, memory_bytes=8e9, active_w=4.0),
    }
)
