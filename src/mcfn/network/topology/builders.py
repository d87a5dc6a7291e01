"""Builders: a hexagonal multi-cell access network with edge servers, aggregation, core and a cloud.

Cells follow the usual hexagonal layout of cellular system studies (3GPP TR 36.814 §A.2.1.1: an inter-site
distance of ``√3 R`` for cell radius ``R``): ``rings`` rings of cells around a centre cell, ``1 + 3 r (r + 1)``
cells in all. Every base station has an edge server on a LAN link; groups of ``cells_per_aggregation`` base
stations share an aggregation router; aggregation routers reach one core router over backhaul; the core reaches
the cloud over a WAN link. Terminals are dropped uniformly in a disc of radius ``R`` around their base station;
their radio link's bandwidth is the Shannon rate of an equal OFDMA share (:mod:`mcfn.network.radio`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfn.network import radio
from mcfn.network.topology.graph import Link, Role, Topology


@dataclass(frozen=True, kw_only=True)
class HexSpec:
    """Parameters of :func:`hex_topology` (SI units; defaults are a typical urban macro deployment)."""

    rings: int = 1
    cell_radius_m: float = 500.0
    terminals_per_cell: int = 0
    cells_per_aggregation: int = 7
    cell_bandwidth_hz: float = 20e6
    tx_power_dbm: float = 23.0
    noise_psd_dbm_hz: float = -174.0
    radio_delay_s: float = 1e-3
    lan_bps: float = 10e9
    lan_delay_s: float = 10e-6
    backhaul_bps: float = 10e9
    backhaul_delay_s: float = 0.5e-3
    core_bps: float = 100e9
    core_delay_s: float = 2e-3
    wan_bps: float = 10e9
    wan_delay_s: float = 20e-3

    def __post_init__(self) -> None:
        if self.rings < 0 or self.terminals_per_cell < 0 or self.cells_per_aggregation < 1:
            raise ValueError("rings and terminals_per_cell must be >= 0 and cells_per_aggregation >= 1")
        if self.cell_radius_m <= 0:
            raise ValueError(f"cell_radius_m must be positive, got {self.cell_radius_m}")


def hex_centres_m(rings: int, cell_radius_m: float) -> np.ndarray:
    """Centres ``(x, y)`` of the ``1 + 3 rings (rings + 1)`` cells of a hexagonal layout, centre cell first."""
    axial = [(q, r) for q in range(-rings, rings + 1) for r in range(-rings, rings + 1) if abs(q + r) <= rings]
    axial.sort(key=lambda qr: (max(abs(qr[0]), abs(qr[1]), abs(qr[0] + qr[1])), qr))
    q, r = np.array(axial, dtype=float).T
    return np.column_stack([np.sqrt(3.0) * cell_radius_m * (q + r / 2.0), 1.5 * cell_radius_m * r])


def hex_topology(spec: HexSpec, rng: np.random.Generator | None = None) -> Topology:
    """The hexagonal multi-cell network of ``spec``; ``rng`` drops terminals (needed when there are any).

    Names: ``bs{i}``, ``edge{i}``, ``ue{i}.{k}``, ``agg{g}``, ``core``, ``cloud``.
    """
    if spec.terminals_per_cell and rng is None:
        raise ValueError("dropping terminals needs a numpy Generator (rng=...)")
    centres = hex_centres_m(spec.rings, spec.cell_radius_m)
    roles: dict[str, Role] = {"core": Role.CORE, "cloud": Role.CLOUD}
    positions: dict[str, tuple[float, float]] = {}
    links = [Link(a="core", b="cloud", bandwidth_bps=spec.wan_bps, delay_s=spec.wan_delay_s)]
    n0 = radio.noise_psd_w_per_hz(spec.noise_psd_dbm_hz)
    share_hz = spec.cell_bandwidth_hz / max(spec.terminals_per_cell, 1)
    for i, (x, y) in enumerate(centres):
        bs, edge, agg = f"bs{i}", f"edge{i}", f"agg{i // spec.cells_per_aggregation}"
        roles[bs], roles[edge] = Role.BASE_STATION, Role.EDGE_SERVER
        positions[bs] = (float(x), float(y))
        links.append(Link(a=bs, b=edge, bandwidth_bps=spec.lan_bps, delay_s=spec.lan_delay_s))
        if agg not in roles:
            roles[agg] = Role.AGGREGATION
            links.append(Link(a=agg, b="core", bandwidth_bps=spec.core_bps, delay_s=spec.core_delay_s))
        links.append(Link(a=bs, b=agg, bandwidth_bps=spec.backhaul_bps, delay_s=spec.backhaul_delay_s))
        if spec.terminals_per_cell:
            assert rng is not None
            k = spec.terminals_per_cell
            dist = spec.cell_radius_m * np.sqrt(rng.uniform(0.0025, 1.0, size=k))  # >= R/20 from the mast
            angle = rng.uniform(0.0, 2.0 * np.pi, size=k)
            gain = radio.channel_gain(dist)
            rate = radio.shannon_rate_bps(share_hz, radio.dbm_to_watt(spec.tx_power_dbm), gain, n0)
            for t in range(k):
                ue = f"ue{i}.{t}"
                roles[ue] = Role.TERMINAL
                positions[ue] = (float(x + dist[t] * np.cos(angle[t])), float(y + dist[t] * np.sin(angle[t])))
                links.append(Link(a=ue, b=bs, bandwidth_bps=float(rate[t]), delay_s=spec.radio_delay_s))
    return Topology(roles=roles, links=links, positions_m=positions)
