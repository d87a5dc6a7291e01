"""The radio access network: moving terminals, A3 handover, and one shared OFDMA uplink per base station.

Every ``step_s`` the mobility model (:mod:`mcfn.network.mobility`) moves all terminals at once and the handover
controller (:mod:`mcfn.network.handover`) applies one measurement; the terminals' uplink ``P g / N0`` to their
serving station (:mod:`mcfn.network.radio`), and its rates with equal shares of the band, are refreshed in the same
vectorised step, so a task reads them in ``O(1)``. An upload keeps the SNR and the station it started with
(uploads last milliseconds, a step a second). They are kept as NumPy arrays, read through read-only memoryviews
(compiled, typed ones: a C read), not as Python lists: a list of one object per terminal, rebuilt every step, would
cost a conversion and make every pass of the garbage collector visit each of its items.

Terminals move within the stations' coverage — the points within ``cell_radius_m`` of a station, which hold every
hexagonal cell (:class:`~mcfn.network.mobility.CoveredArea`) — and a terminal that is outside it anyway (a trace, or
a random-waypoint path across a gap) has no service: its serving station reads ``NO_SERVICE`` and its tasks fail
with :data:`NO_SERVICE_REASON`. :attr:`RadioAccess.outside_coverage` counts terminal-measurements outside.

Each base station's uplink is a :class:`~mcfn.sim.sharing.PolicySharing` station whose rule re-divides the band
among the uploads in progress with an uplink policy of :mod:`mcfn.network.uplink` on every upload start and end;
each upload's rate is the Shannon rate of its share. Under ``joint-allocation`` the caller hands in the stations
instead (:class:`~mcfn.sim.joint_uplink.JointUplink` s: the seed §3.2 allocation divides the band and sets each
new upload's compression ratio and compute share, or turns the task away) and starts uploads there itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from mcfn.network import radio
from mcfn.network.handover import HandoverController
from mcfn.network.mobility import (
    Area,
    CoveredArea,
    GaussMarkov,
    Grouped,
    MobilityModel,
    RandomWaypoint,
    Region,
    TraceMobility,
)
from mcfn.network.uplink import share_uplink
from mcfn.scenario import Scenario
from mcfn.scenario.model import GaussMarkovMobility, RandomWaypointMobility, TraceMobilityDoc
from mcfn.sim.engine import Simulator
from mcfn.sim.sharing import PolicySharing, RateRule

#: Uploads in a cell up to which every terminal's equal-bandwidth rates are tabulated (more: computed).
EQUAL_SHARES_TABULATED = 8
#: The serving station of a terminal outside coverage.
NO_SERVICE = -1
#: Why a task of a terminal outside coverage fails.
NO_SERVICE_REASON = "no service: the terminal is outside coverage"


def uplink_rates(snr_hz: np.ndarray, bandwidth_hz: float) -> np.ndarray:
    """``rates[t, n - 1]``: terminal ``t``'s Shannon rate with ``1 / n`` of the band for ``n = 1 …
    EQUAL_SHARES_TABULATED`` (one vectorised step for all terminals)."""
    shares_hz = bandwidth_hz / np.arange(1, EQUAL_SHARES_TABULATED + 1)
    return radio.shannon_rate_bps(shares_hz[None, :], 1.0, snr_hz[:, None], 1.0)


def _view(array: np.ndarray) -> memoryview:
    """A read-only view of ``array`` whose items read as Python numbers (compiled, assigned to a typed memoryview:
    read in C)."""
    return memoryview(array).toreadonly()


class UplinkTable:
    """One step's uplink of every terminal: ``P g / N0`` (Hz), and the Shannon rates of :func:`uplink_rates`, as
    read-only views (:func:`_view`). A table lives as long as an upload that started in its step: the upload's key
    points into it."""

    __slots__ = ("rates_bps", "snr_hz")

    def __init__(self, snr_hz: np.ndarray, bandwidth_hz: float) -> None:
        self.snr_hz = _view(snr_hz)
        self.rates_bps = _view(uplink_rates(snr_hz, bandwidth_hz))


class UplinkKey:
    """What :func:`uplink_rule` reads of an upload: its terminal's row of the table of the step it started in.

    Made and freed at every upload, it is one small object (compiled: not tracked by the garbage collector, which
    would visit it at every young pass) rather than the row's values as Python floats.
    """

    __slots__ = ("table", "terminal")

    @staticmethod
    def of(table: UplinkTable, terminal: int) -> UplinkKey:
        """``terminal``'s key in ``table`` (compiled: made without a constructor call and its argument tuple)."""
        key = UplinkKey.__new__(UplinkKey)
        key.table = table
        key.terminal = terminal
        return key

    def snr_hz(self) -> float:
        """The terminal's uplink ``P g / N0`` (Hz)."""
        return self.table.snr_hz[self.terminal]

    def rate_bps(self, n: int) -> float:
        """The terminal's Shannon rate with ``1 / n`` of the band, ``n <= EQUAL_SHARES_TABULATED``."""
        return self.table.rates_bps[self.terminal, n - 1]


def uplink_keys(snr_hz: np.ndarray, bandwidth_hz: float) -> list[UplinkKey]:
    """The keys of terminals of uplink ``P g / N0`` ``snr_hz`` (Hz) for :func:`uplink_rule`."""
    table = UplinkTable(snr_hz, bandwidth_hz)
    return [UplinkKey.of(table, terminal) for terminal in range(len(snr_hz))]


def _tabulated_rates(keys: Sequence[UplinkKey], n: int) -> list[float]:
    """Each key's rate among ``n`` uploads under equal shares, read from its step's table (compiled, C calls)."""
    rates = []
    for key in keys:
        rates.append(key.rate_bps(n))
    return rates


def _snrs_hz(keys: Sequence[UplinkKey]) -> list[float]:
    """Each key's ``P g / N0`` (Hz)."""
    snrs = []
    for key in keys:
        snrs.append(key.snr_hz())
    return snrs


def uplink_rule(policy: str, bandwidth_hz: float) -> RateRule:
    """Rates (bit/s) of concurrent uploads: the policy's bandwidth shares at their Shannon rates.

    An upload's key is an :class:`UplinkKey`. Every policy gives a lone upload the whole band, and
    ``equal-bandwidth`` gives each of ``n`` uploads ``1 / n`` of it, so those rates are read from the key's table
    (the same NumPy arithmetic, done once per terminal and step instead of at every upload event); other cases call
    NumPy.
    """
    tabulated = EQUAL_SHARES_TABULATED if policy == "equal-bandwidth" else 1

    def rule(keys: Sequence[UplinkKey], remaining_bits: Sequence[float]) -> list[float]:
        n = len(keys)
        if n <= tabulated:
            return _tabulated_rates(keys, n)
        snr_hz = np.array(_snrs_hz(keys))
        share = share_uplink(policy, bandwidth_hz, snr_hz, np.maximum(remaining_bits, 1.0))
        return radio.shannon_rate_bps(share, 1.0, snr_hz, 1.0).tolist()

    return rule


def hot_area(scenario: Scenario, station_xy_m: np.ndarray) -> Area:
    """Where the hot spot's terminals move: the square centred on its station inscribed in the circle inscribed in
    its hexagonal cell (half-side ``√3/2 R / √2``), so every point of it lies in that cell."""
    hotspot = scenario.terminals.hotspot
    assert hotspot is not None  # the caller asks only when there is one
    x, y = station_xy_m[int(hotspot.station[2:])]
    half_m = np.sqrt(3.0) / 2.0 * scenario.network.cell_radius_m / np.sqrt(2.0)
    return Area(width_m=2 * half_m, height_m=2 * half_m, x0_m=float(x - half_m), y0_m=float(y - half_m))


def mobility_model(
    scenario: Scenario, area: Region, rng: np.random.Generator, *, station_xy_m: np.ndarray
) -> MobilityModel:
    """The scenario's mobility model over ``area``; with a hot spot, its share of the terminals (the first ones)
    move in :func:`hot_area` around their station (of the stations at ``station_xy_m``) by the same model."""
    terminals = scenario.terminals
    doc, n = terminals.mobility, terminals.count
    if terminals.hotspot is not None and not isinstance(doc, TraceMobilityDoc):
        hot = terminals.hot_count
        parts = [(hot, hot_area(scenario, station_xy_m)), (n - hot, area)]
        return Grouped([_model(doc, count, where, rng) for count, where in parts if count])
    if isinstance(doc, TraceMobilityDoc):
        return _trace(doc.path, n)
    return _model(doc, n, area, rng)


def _model(
    doc: RandomWaypointMobility | GaussMarkovMobility, n: int, area: Region, rng: np.random.Generator
) -> MobilityModel:
    if isinstance(doc, RandomWaypointMobility):
        return RandomWaypoint(n=n, area=area, rng=rng, speed_mps=doc.speed_mps, pause_s=doc.pause_s)
    return GaussMarkov(
        n=n,
        area=area,
        rng=rng,
        mean_speed_mps=doc.mean_speed_mps,
        speed_std_mps=doc.speed_std_mps,
        heading_std_rad=doc.heading_std_rad,
        alpha=doc.alpha,
    )


def _trace(path: str, n: int) -> MobilityModel:
    model = TraceMobility.from_csv(path)
    if len(model.positions_m) != n:
        raise ValueError(f"terminals.mobility.path: the trace has {len(model.positions_m)} terminals, count is {n}")
    return model


class RadioAccess:
    """Terminal positions, serving stations and uplink SNRs, refreshed every step; the uplinks; handovers."""

    def __init__(
        self,
        sim: Simulator,
        scenario: Scenario,
        *,
        station_xy_m: np.ndarray,
        on_uploaded: Callable[[int, float], None],
        uplinks: Sequence[PolicySharing] | None = None,
    ) -> None:
        """``uplinks``: the stations' uplinks, one per station, when the caller makes them (else the policy's)."""
        r = scenario.radio
        self._sim = sim
        self._step_s = scenario.terminals.step_s
        margin = scenario.network.cell_radius_m
        low, high = station_xy_m.min(axis=0) - margin, station_xy_m.max(axis=0) + margin
        bounds = Area(width_m=float(high[0] - low[0]), height_m=float(high[1] - low[1]), x0_m=low[0], y0_m=low[1])
        self._stations = station_xy_m
        self._controller = HandoverController(
            stations_m=station_xy_m,
            tx_power_dbm=r.station_tx_power_dbm,
            hysteresis_db=r.hysteresis_db,
            time_to_trigger_s=r.time_to_trigger_s,
            coverage_radius_m=margin,
        )
        index = self._controller.index
        area = CoveredArea(bounds, lambda xy: index.within(xy, margin))
        self._mobility = mobility_model(scenario, area, sim.stream("mobility"), station_xy_m=station_xy_m)
        self._tx_w = float(radio.dbm_to_watt(r.terminal_tx_power_dbm))
        self._noise = radio.noise_psd_w_per_hz(r.noise_psd_dbm_hz)
        self._bandwidth_hz = r.bandwidth_hz
        self.uplinks: list[PolicySharing]
        if uplinks is not None:
            self.uplinks = list(uplinks)
        else:
            rule = uplink_rule(r.uplink_policy, r.bandwidth_hz)
            self.uplinks = [
                PolicySharing(sim, rule=rule, on_finish=on_uploaded, delay_s=r.radio_delay_s)
                for _ in range(len(station_xy_m))
            ]
        self._data_bits = [s.data_bits for s in scenario.services]
        self.handovers = 0
        #: Terminals outside coverage summed over measurements, and the measurements (attachment included).
        self.outside_coverage = 0
        self.measurements = 0
        positions = self._mobility.positions_m
        self._refresh(self._controller.attach(positions), index.within(positions, margin))
        sim.schedule(self._step_s, self._step, priority=-1)

    @property
    def positions_m(self) -> np.ndarray:
        """Every terminal's position (m) as of the last step."""
        return self._mobility.positions_m

    def serving_station(self, terminal: int) -> int:
        """``terminal``'s serving station as of the last step, ``NO_SERVICE`` outside coverage."""
        return self._serving[terminal]

    def upload(self, task: int, station: int, terminal: int, service: int, compression: float) -> None:
        """Start ``task``'s upload at ``station``, ``compression`` of its input, on an uplink of the policy's."""
        uplink = self.uplinks[station]
        uplink.submit(task, self._data_bits[service] * compression, self.uplink_key(terminal))

    def uplink_key(self, terminal: int) -> UplinkKey:
        """``terminal``'s key for :func:`uplink_rule` as of the last step, made for each upload (in a step most
        terminals upload nothing, and few upload twice)."""
        return UplinkKey.of(self._table, terminal)

    def uplink_snr_hz(self, terminal: int) -> float:
        """``terminal``'s uplink ``P g / N0`` (Hz) as of the last step."""
        return self._table.snr_hz[terminal]

    def uplink_bps(self, terminal: int, station: int) -> float:
        """The rate a new upload of ``terminal`` at ``station`` would start with under equal shares of the band
        (the uploads in progress there, and it): what the orchestrator predicts its upload with. Read from the rates
        tabulated at the last step, without making a key."""
        uplink = self.uplinks[station]
        n = uplink.in_service + 1
        if n <= EQUAL_SHARES_TABULATED:
            return self._table.rates_bps[terminal, n - 1]
        share_hz = self._bandwidth_hz / n
        return share_hz * math.log2(1.0 + self._table.snr_hz[terminal] / share_hz)

    def _refresh(self, serving: np.ndarray, covered: np.ndarray) -> None:
        xy = self._mobility.positions_m
        delta = xy - self._stations[serving]
        distance = np.maximum(np.hypot(delta[:, 0], delta[:, 1]), 1.0)
        snr = radio.snr_bandwidth_hz(self._tx_w, radio.channel_gain(distance), self._noise)
        #: Serving station of every terminal, ``NO_SERVICE`` outside coverage: a read-only view of ints (module
        #: docstring), replaced at every step.
        self.serving = self._serving = _view(np.where(covered, serving, NO_SERVICE))
        self.outside_coverage += len(covered) - int(np.count_nonzero(covered))
        self.measurements += 1
        self._table = UplinkTable(snr, self._bandwidth_hz)

    def _step(self) -> None:
        positions = self._mobility.advance(self._step_s)
        decision = self._controller.measure(positions, self._sim.now)
        self.handovers += int(decision.handed_over.sum())
        self._refresh(decision.serving, decision.covered)
        self._sim.schedule(self._step_s, self._step, priority=-1)
