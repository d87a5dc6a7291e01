"""Terminals as compute: local execution, device-to-device (D2D) offloading to helper terminals, and batteries.

With ``terminals.compute`` in the scenario (:class:`mcfn.scenario.terminal.TerminalCompute`) every terminal has a
device (:mod:`mcfn.compute.devices`) that runs one task at a time, first come first served (its work alone on the
device: a one-slot queue whose service times are known, so each task's start and end are set when it arrives), and
a battery. A service's *local* variant (its stages all ``on: [terminal]``) can run:

- **locally**: on the asking terminal's device; no radio, the result is there when the device is done;
- **D2D**: on a helper terminal (the last ``helpers`` share of the terminals offer their devices) within the
  sidelink's range: the input goes over the sidelink (:class:`mcfn.network.sidelink.Sidelink`: the rate at the
  pair's distance when the transfer starts, time-shared with the other transfers of the asking terminal's cell:
  :mod:`mcfn.sim.sidelink_pools`), the helper's device computes, the
  result comes back the same way. The pair's distance is checked when the input arrives and when the result is
  ready (positions move every ``terminals.step_s``): if they have moved out of range the sidelink is broken, and
  the task is offloaded from the asking terminal as a fresh request with the deadline it has left (its re-routes
  allow it), else it fails with the reason;
- or be **offloaded** as before (:mod:`mcfn.sim.model`).

Helpers advertise, every ``step_s`` (with the mobility step), their battery level and their device's backlog;
askers choose from these adverts (:mod:`mcfn.orchestration.placement`). Batteries: every joule a terminal spends on
its radio (cellular upload and download, sidelink sending and receiving; :class:`mcfn.compute.power.RadioPower`)
and its device (``active_w`` × seconds in service, or ``κ f² · cycles``: :meth:`DeviceProfile.compute_j`) comes off
its battery; a terminal whose battery is empty sends no more tasks (they fail with that reason) and is no longer
offered as a helper. Idle power is not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from mcfn.compute.power import RadioPower
from mcfn.orchestration.placement import D2D, LOCAL, OFFLOAD, PLACES, Candidate, best_placement
from mcfn.sim.engine import Simulator
from mcfn.sim.sidelink_pools import SidelinkPools

if TYPE_CHECKING:
    from mcfn.sim.model import NetworkModel

#: Why a task of a terminal whose battery is empty fails.
BATTERY_EMPTY_REASON = "battery empty: the terminal sends no more tasks"


class TerminalCompute:
    """The terminals' devices, batteries, helper adverts and D2D transfers of one run (module docstring).

    ``mode``: the places a task may take, in order of preference (:data:`TERMINAL_POLICIES`), or ``None`` to weigh
    them all against offloading by the energy-weighted utility (the orchestrating policies), or ``()`` to offload
    every task (the routing policies).
    """

    def __init__(self, model: NetworkModel, *, mode: tuple[str, ...] | None) -> None:
        world = model.world
        scenario = world.scenario
        doc = scenario.terminals.compute
        assert doc is not None  # built only with terminal compute
        self._model = model
        self._sim: Simulator = model.sim
        self._mode = mode
        self._step_s = scenario.terminals.step_s
        n = scenario.terminals.count
        profile = doc.profile
        device = profile.node("terminal")
        self._compute_j = profile.compute_j
        #: Each terminal's battery (J left; inf: mains powered).
        self.battery_j = np.full(n, np.inf if doc.battery_j is None else doc.battery_j * doc.charge)
        self.helpers = np.arange(n - round(doc.helpers * n), n)
        self._sidelink = doc.sidelink.model(scenario.radio.noise_psd_dbm_hz)
        self._pools = SidelinkPools(self._sim)
        self._pool: dict[int, int] = {}  # per D2D task: the sidelink pool its transfers share
        energy = scenario.energy
        self._radio = energy.radio_power(scenario.radio.terminal_tx_power_dbm)
        self._side_radio: RadioPower = energy.radio_power(doc.sidelink.tx_power_dbm)
        self._downlink_bps = scenario.radio.downlink_bps
        self._energy_weight = scenario.energy_weight
        self._weight = scenario.utility_weight
        # the local option of each service (None: none) and its seconds on one device
        self._local: list[int | None] = []
        self._local_s: list[float] = []
        for ids in world.service_options:
            local = [o for o in ids if world.is_local(o)]
            self._local.append(local[0] if local else None)
            stages = world.requests[local[0]][0].stages if local else ()
            self._local_s.append(sum(device.compute_time_s(stage.work) for stage in stages))
        self._free_at = np.zeros(n)  # when each device has done the work it was given
        #: per task: where it ran (index into PLACES), the helper (-1: none), device and sidelink energy (J)
        self.place: dict[int, int] = {}
        self.helper: dict[int, int] = {}
        self.device_j: dict[int, float] = {}
        self.sidelink_j: dict[int, float] = {}
        self.breaks = 0
        self._advert = np.zeros((0, 3))  # helpers' (terminal, battery J, backlog s) as last advertised
        self._advertise()

    # --- adverts and batteries -------------------------------------------------------------------------------
    def _advertise(self) -> None:
        """Every step: the helpers with charge left advertise their battery and backlog."""
        now = self._sim.now
        helpers = self.helpers[self.battery_j[self.helpers] > 0]
        backlog = np.maximum(self._free_at[helpers] - now, 0.0)
        self._advert = np.column_stack([helpers, self.battery_j[helpers], backlog])
        self._sim.schedule(self._step_s, self._advertise, priority=-1)

    def spend(self, terminal: int, joules: float) -> None:
        """Take ``joules`` off ``terminal``'s battery."""
        self.battery_j[terminal] -= joules

    def uploaded(self, terminal: int, upload_s: float) -> None:
        """``terminal`` sent an input over the cellular uplink for ``upload_s``."""
        self.battery_j[terminal] -= self._radio.upload_j(upload_s)

    def received(self, terminal: int, bits: float) -> None:
        """``terminal`` received a result of ``bits`` over the cellular downlink."""
        self.battery_j[terminal] -= self._radio.download_j(bits / self._downlink_bps, bits)

    # --- decisions -------------------------------------------------------------------------------------------
    def arrive(self, task: int, service: int, terminal: int, station: int) -> object:
        """Place a new task: True when it runs on the terminals (or failed: empty battery); else the offloading
        decision already made for it (a :class:`~mcfn.orchestration.choice.Choice`), or None."""
        model = self._model
        if self.battery_j[terminal] <= 0.0:
            model.fail(task, BATTERY_EMPTY_REASON)
            return True
        self.place[task] = 0
        if self._mode == () or self._local[service] is None:
            return None
        pool = station if station >= 0 else -1 - terminal  # outside coverage: a preconfigured pool of its own
        found = self._candidates(service, terminal, pool)
        choice = None
        if self._mode is not None:
            chosen = next((c for place in self._mode for c in found if c[0].place == place), None)
        else:
            options = list(found)
            if station >= 0:
                uplink_bps = model.access.uplink_bps(terminal, station)
                choice = model.chooser.choose(service, station, uplink_bps, self._sim.now)
                options.insert(0, (self._offload_candidate(service, choice, uplink_bps), -1))
            if not options:
                return None
            requested = model.world.scenario.services[service]
            k = best_placement(
                [c for c, _ in options],
                weight=self._weight,
                energy_weight=self._energy_weight,
                deadline_s=requested.deadline_s,
                min_accuracy=requested.min_accuracy,
            )
            chosen = options[k]
        if chosen is None or chosen[0].place == OFFLOAD:
            return choice
        candidate, helper = chosen
        option = self._local[service]
        self.place[task] = PLACES.index(candidate.place)
        model.table.route(task, option, [])
        model.flight(task).option = option
        if candidate.place == LOCAL:
            self._run(terminal, task)
        else:
            self.helper[task] = helper
            self._pool[task] = pool
            self._send(task, terminal, helper, self._bits(service, option)[0], self._at_helper)
        return True

    def _offload_candidate(self, service: int, choice: object, uplink_bps: float) -> Candidate:
        """The offloading choice as a candidate: its latency, accuracy, and the asking terminal's radio energy."""
        world = self._model.world
        up_bits = choice.compression * world.scenario.services[service].data_bits
        down_bits = world.options[choice.option].stages[-1].output_bits
        joules = self._radio.upload_j(up_bits / uplink_bps) + self._radio.download_j(
            down_bits / self._downlink_bps, down_bits
        )
        accuracy = world.options[choice.option].accuracy_at(choice.compression)
        return Candidate(place=OFFLOAD, latency_s=choice.latency_s, accuracy=accuracy, terminal_j=joules)

    def _candidates(self, service: int, terminal: int, pool: int) -> list[tuple[Candidate, int]]:
        """The terminal places open to a task (local; D2D on the nearest advertised helper in range, its transfers
        sharing ``pool`` with those in progress there now), each with the helper (-1: none), as the placement sees
        them."""
        option = self._local[service]
        accuracy = self._model.world.options[option].accuracy_at(1.0)
        work_s = self._local_s[service]
        now = self._sim.now
        own_backlog = max(self._free_at[terminal] - now, 0.0)
        local = Candidate(
            place=LOCAL, latency_s=own_backlog + work_s, accuracy=accuracy, terminal_j=self._compute_j(work_s)
        )
        out = [(local, -1)]
        helper = self._nearest_helper(terminal)
        if helper is not None:
            h, distance, backlog = helper
            rate = float(self._sidelink.rate_bps(distance))
            up_bits, down_bits = self._bits(service, option)
            up_s, down_s = up_bits / rate, down_bits / rate
            joules = self._side_radio.upload_j(up_s) + self._side_radio.download_j(down_s, down_bits)
            latency = (up_s + down_s) * (self._pools.sharing(pool) + 1) + backlog + work_s
            out.append((Candidate(place=D2D, latency_s=latency, accuracy=accuracy, terminal_j=joules), h))
        return out

    def _nearest_helper(self, terminal: int) -> tuple[int, float, float] | None:
        """The advertised helper nearest ``terminal`` within range (not itself): its id, distance, backlog."""
        advert = self._advert
        if not advert.size:
            return None
        xy = self._model.access.positions_m
        helpers = advert[:, 0].astype(np.int64)
        distance = np.hypot(*(xy[helpers] - xy[terminal]).T)
        distance[helpers == terminal] = np.inf
        k = int(np.argmin(distance))
        if distance[k] > self._sidelink.range_m:
            return None
        return int(helpers[k]), float(distance[k]), float(advert[k, 2])

    def _bits(self, service: int, option: int) -> tuple[float, float]:
        """The input and the answer bits of ``service``'s ``option``."""
        world = self._model.world
        return world.scenario.services[service].data_bits, world.options[option].stages[-1].output_bits

    # --- running on a device ---------------------------------------------------------------------------------
    def _run(self, runner: int, task: int) -> None:
        """Queue ``task`` on ``runner``'s device: it starts when the device is free and runs its work alone."""
        now = self._sim.now
        work_s = self._local_s[int(self._model.table.service[task])]
        start = max(self._free_at[runner], now)
        self._free_at[runner] = start + work_s
        self._sim.schedule(start + work_s - now, self._computed, task, runner, work_s)

    def _computed(self, task: int, runner: int, work_s: float) -> None:
        model = self._model
        flight = model.flight(task)
        joules = self._compute_j(work_s)
        self.device_j[task] = self.device_j.get(task, 0.0) + joules
        self.spend(runner, joules)
        if flight is None:  # it ended meanwhile (the run's end)
            return
        flight.compute_s += work_s
        if runner == flight.terminal:
            model.finish_on_terminal(task)
        elif not self._in_range(flight.terminal, runner):
            self._broken(task, runner)
        else:
            self._send(task, runner, flight.terminal, self._bits(flight.service, flight.option)[1], self._returned)

    # --- the sidelink ----------------------------------------------------------------------------------------
    def _distance(self, a: int, b: int) -> float:
        xy = self._model.access.positions_m
        return float(np.hypot(*(xy[a] - xy[b])))

    def _in_range(self, a: int, b: int) -> bool:
        return self._distance(a, b) <= self._sidelink.range_m

    def _send(self, task: int, sender: int, receiver: int, bits: float, then: Callable[[int], None]) -> None:
        """Carry ``bits`` of ``task`` over its sidelink pool at the pair's rate now (alone; the pool shares it);
        ``then(task)`` when through. The radios are charged the transfer's air time alone."""
        rate = float(self._sidelink.rate_bps(self._distance(sender, receiver)))
        if rate <= 0.0:  # out of range already
            self._broken(task, self.helper[task])
            return
        seconds = bits / rate
        sent, received = self._side_radio.upload_j(seconds), self._side_radio.download_j(seconds, bits)
        self.spend(sender, sent)
        self.spend(receiver, received)
        self.sidelink_j[task] = self.sidelink_j.get(task, 0.0) + sent + received
        self._pools.send(self._pool[task], task, bits, rate, then)

    def _at_helper(self, task: int) -> None:
        flight = self._model.flight(task)
        if flight is None:
            return
        helper = self.helper[task]
        if self._in_range(flight.terminal, helper):
            self._run(helper, task)
        else:
            self._broken(task, helper)

    def _returned(self, task: int) -> None:
        if self._model.flight(task) is not None:
            self._model.finish_on_terminal(task)

    def _broken(self, task: int, helper: int) -> None:
        """The sidelink to ``helper`` broke: offload ``task`` afresh from its terminal, or fail it."""
        self.breaks += 1
        terminal = self._model.flight(task).terminal
        reason = (
            f"sidelink to helper terminal {helper} broke: {self._distance(terminal, helper):.0f} m apart, "
            f"beyond its {self._sidelink.range_m:g} m range"
        )
        self.place[task] = PLACES.index(OFFLOAD)
        self._model.offload_again(task, reason)

    # --- records ---------------------------------------------------------------------------------------------
    def columns(self, tasks: int) -> dict[str, np.ndarray]:
        """Per task: ``placement`` (index into :data:`PLACES`), ``helper`` (-1: none), device and sidelink J."""
        columns = {
            "placement": np.zeros(tasks, dtype=np.int8),
            "helper": np.full(tasks, -1, dtype=np.int32),
            "device_energy_j": np.zeros(tasks),
            "sidelink_energy_j": np.zeros(tasks),
        }
        for name, values in (("placement", self.place), ("helper", self.helper), ("device_energy_j", self.device_j),
                             ("sidelink_energy_j", self.sidelink_j)):  # fmt: skip
            if values:
                keys = np.fromiter(values.keys(), dtype=np.int64, count=len(values))
                columns[name][keys] = np.fromiter(values.values(), dtype=float, count=len(values))
        return columns


def terminal_summary(model: NetworkModel, columns: Mapping[str, np.ndarray]) -> dict[str, object]:
    """Where the tasks ran (``placements`` by place), sidelinks that broke, batteries emptied, and the lowest
    battery's share of its capacity at the end (None: no batteries)."""
    placements = np.bincount(columns["placement"], minlength=len(PLACES))
    terminals = model.terminals
    battery = None if terminals is None else terminals.battery_j
    capacity = None if terminals is None else model.world.scenario.terminals.compute.battery_j
    return {
        "placements": dict(zip(PLACES, placements.tolist(), strict=True)),
        "sidelink_breaks": 0 if terminals is None else terminals.breaks,
        "batteries_empty": 0 if battery is None else int((battery <= 0).sum()),
        "min_battery_share": None if capacity is None else max(float(battery.min()) / capacity, 0.0),
    }
