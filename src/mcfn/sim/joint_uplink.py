"""A base station's uplink shared by the seed §3.2 allocation solver (uplink policy ``joint-allocation``).

When an upload starts, :meth:`JointUplink.offer` poses the station's batch — the uploads in progress plus the new
one — and solves it by the orchestration layer's path (:func:`mcfn.orchestration.uplink.allocate_uploads`, the one
:func:`mcfn.orchestration.orchestrate` takes): the router has already placed the new task's stages, so the problem
sees the node that runs its first stage (the cell's edge server, another edge or the cloud: its VMs and
degradation), its one-VM time there, and the rest of its route as time outside the upload and that stage. The
solver picks the new task's compression ratio ``ρ`` — it uploads ``ρ D`` bits and scores its curve at ``ρ D``
(seed eq. 1) — and its compute share, which the caller applies to the VM that runs its first stage
(:class:`~mcfn.sim.model.NetworkModel`), and re-divides the band among all uploads. A new task the station cannot
serve within its deadline and accuracy floor together with the uploads in progress is turned away (the seed's
admission), and the caller fails it. When an upload ends, the band it held goes to the others in proportion to
their shares: each only speeds up, so every admitted task stays feasible, at no solve (the seed poses its problem
at a decision, the next arrival re-optimises all of them); their compute shares stay as admitted.

The nodes are posed idle (no busy VMs): the router weighed their load when it placed the stages, and the VMs'
own concurrency model (:mod:`mcfn.sim.servers`) applies whatever load there is when the task gets there.

An admitted task stays feasible as others come and go (a new one is admitted only if all fit; an ending one only
frees band), so uploads in progress do not run late (the summary counts the tasks turned away).

The station's bookkeeping comes from its rate rule alone: every time the set of uploads changes the rule sees
each one's remaining bits and returns its rate, so the remaining bits at any later moment follow; no internals of
:class:`~mcfn.sim.sharing.PolicySharing` are read.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from mcfn.allocation.problem import AccuracyCurve
from mcfn.orchestration.uplink import (
    Server,
    UplinkAllocation,
    UplinkSystem,
    Upload,
    allocate_uploads,
    lone_upload,
    overhead_s,
)
from mcfn.routing.router import StagedRoute
from mcfn.sim.engine import Simulator
from mcfn.sim.sharing import Finished, PolicySharing
from mcfn.sim.world import World, answer_radio_s


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadTerms:
    """What the solver needs to know of a task served by one option: its input, whether the first stage's work
    scales with it, the first stage's one-VM seconds on every fleet node, the option's curve, the service's floor
    and deadline, and the radio time outside the route (the air delays, the answer's downlink)."""

    data_bits: float
    scales: bool
    vm_s: tuple[float, ...]
    curve: AccuracyCurve
    min_accuracy: float
    deadline_s: float
    radio_s: float


@dataclass(slots=True)
class SolverStats:
    """Solver calls and their total wall time, decisions made in closed form, and
    tasks turned away."""

    solves: int = 0
    solve_wall_s: float = 0.0
    closed_form: int = 0
    rejected: int = 0


class _Admitted:
    """An admitted upload as later decisions pose it: its SNR, band, first-stage node and work, due time and the
    predicted time outside the upload and that stage."""

    __slots__ = ("bandwidth_hz", "due_s", "overhead_s", "server", "snr_hz", "vm_s")

    def __init__(
        self, snr_hz: float, bandwidth_hz: float, server: int, vm_s: float, due_s: float, overhead_s: float
    ) -> None:
        self.snr_hz = snr_hz
        self.bandwidth_hz = bandwidth_hz
        self.server = server
        self.vm_s = vm_s
        self.due_s = due_s
        self.overhead_s = overhead_s


class JointUplink(PolicySharing):
    """One station's OFDMA uplink whose band, compression ratios and compute shares the allocation sets."""

    def __init__(
        self,
        sim: Simulator,
        *,
        system: UplinkSystem,
        servers: Sequence[Server],
        stats: SolverStats,
        on_finish: Finished,
        delay_s: float = 0.0,
    ) -> None:
        super().__init__(sim, rule=self._rate_rule, on_finish=on_finish, delay_s=delay_s)
        self._system = system
        self._servers = servers
        self._stats = stats
        self._admitted: dict[int, _Admitted] = {}
        #: Rates decided by the last :meth:`offer`, for the rule call its submit makes.
        self._decided: dict[int, float] | None = None

    def offer(
        self, task: int, *, snr_hz: float, terms: UploadTerms, node: int, route: StagedRoute
    ) -> tuple[float, float] | None:
        """Start ``task``'s upload if the allocation admits it, its first stage on fleet node ``node`` of ``route``;
        returns its compression ratio and compute share, or None if turned away."""
        self.account()  # the station up to now: the uploads still sending, each with the bits it has left
        now = self._sim.now
        tasks = list(self._jobs)
        uploads = [self._in_progress(j, left, now) for j, left in zip(tasks, self._left, strict=True)]
        vm_s = terms.vm_s[node]
        overhead = overhead_s(route) + terms.radio_s
        upload = Upload(
            snr_hz,
            terms.data_bits,
            vm_s,
            terms.scales,
            node,
            terms.curve,
            terms.min_accuracy,
            terms.deadline_s,
            overhead,
            False,
        )
        uploads.append(upload)
        if tasks:
            decision = self._solve(uploads)
            if not isinstance(decision, UplinkAllocation):
                self._stats.rejected += 1
                return None
            rho, share = float(decision.compression[-1]), float(decision.share[-1])
            bandwidth = decision.bandwidth_hz.tolist()
            for j, b in zip(tasks, bandwidth[:-1], strict=True):
                self._admitted[j].bandwidth_hz = b
        else:  # alone at the station: the closed form, in scalars (the common case)
            ratio = lone_upload(upload, self._servers[node], self._system)
            if isinstance(ratio, str):
                self._stats.rejected += 1
                return None
            self._stats.closed_form += 1
            rho, share, bandwidth = ratio, 1.0, [self._system.bandwidth_hz]
        tasks.append(task)
        self._decided = dict(zip(tasks, self._to_rates(bandwidth, uploads), strict=True))
        work_s = vm_s * rho if terms.scales else vm_s
        self._admitted[task] = _Admitted(snr_hz, bandwidth[-1], node, work_s, now + terms.deadline_s, overhead)
        self.submit(task, rho * terms.data_bits, task)
        return rho, share

    def offer_fixed(self, job: int, *, snr_hz: float, bits: float, deadline_s: float, server: int) -> bool:
        """Start the upload of another workload's ``job`` (a federated update: ``bits`` sent whole, no accuracy
        floor, no compute, due in ``deadline_s``, its node ``server``) as a fixed upload of the station's problem,
        if the allocation fits it with the uploads in progress; False if not (it is not counted as a rejected task).
        """
        self.account()
        now = self._sim.now
        tasks = [*self._jobs, job]
        self._admitted[job] = _Admitted(snr_hz, 0.0, server, 0.0, now + deadline_s, 0.0)
        uploads = [self._in_progress(j, left, now) for j, left in zip(tasks, [*self._left, bits], strict=True)]
        decision = self._solve(uploads)
        if not isinstance(decision, UplinkAllocation):
            del self._admitted[job]
            return False
        for j, b in zip(tasks, decision.bandwidth_hz.tolist(), strict=True):
            self._admitted[j].bandwidth_hz = b
        self._decided = dict(zip(tasks, self._to_rates(decision.bandwidth_hz, uploads), strict=True))
        self.submit(job, bits, job)
        return True

    def drop_all(self) -> list[int]:
        self._admitted.clear()
        return super().drop_all()

    def _in_progress(self, task: int, left_bits: float, now: float) -> Upload:
        """``task``'s upload with ``left_bits`` still to send at ``now``, as a fixed upload of the problem."""
        info = self._admitted[task]
        return Upload(
            info.snr_hz,
            max(left_bits, 1.0),
            info.vm_s,
            False,
            info.server,
            _UNUSED,
            0.0,
            max(info.due_s - now, 1e-9),
            info.overhead_s,
            True,
        )

    def _solve(self, uploads: list[Upload]) -> UplinkAllocation | str:
        started = time.perf_counter()
        decision = allocate_uploads(uploads, self._servers, self._system)
        self._stats.solves += 1
        self._stats.solve_wall_s += time.perf_counter() - started
        return decision

    def _to_rates(self, bandwidth_hz: list[float], uploads: Sequence[Upload]) -> list[float]:
        """The uploads' Shannon rates (:func:`mcfn.network.radio.shannon_rate_bps`) at ``bandwidth_hz``, in scalars:
        a handful of uploads, at every change of the set."""
        return [
            b * math.log2(1.0 + u.snr_hz / b) if b > 0.0 else 0.0 for b, u in zip(bandwidth_hz, uploads, strict=True)
        ]

    def _rate_rule(self, keys: Sequence[int], remaining_bits: Sequence[float]) -> list[float]:
        """The rate rule: the rates :meth:`offer` decided; after an upload ended, the band shared in proportion to
        what each upload held (the whole band for a lone one, as under every policy).

        Asked at the station's instant of change, which may be earlier than the clock (a rate rule must not read
        it, :data:`~mcfn.sim.sharing.RateRule`).
        """
        decided, self._decided = self._decided, None
        if decided is not None and set(decided) == set(keys):
            return [decided[task] for task in keys]
        admitted = [self._admitted[task] for task in keys]
        scale = self._system.bandwidth_hz / sum(info.bandwidth_hz for info in admitted)
        rates = []
        for info in admitted:
            info.bandwidth_hz *= scale
            rates.append(info.bandwidth_hz * math.log2(1.0 + info.snr_hz / info.bandwidth_hz))
        return rates

    def _remove(self, job: int) -> None:
        """``job``'s upload has been sent (it leaves after the air interface's delay): no longer in the problem."""
        PolicySharing._remove(self, job)
        del self._admitted[job]


#: A fixed upload's curve is set by the problem (:func:`mcfn.orchestration.uplink.pose`); this one is never read.
_UNUSED = AccuracyCurve(1.0, 0.0, 1.0)


class JointUplinks:
    """Every station's :class:`JointUplink` for a world, every option's terms, and the solver's statistics."""

    def __init__(self, sim: Simulator, world: World, *, on_finish: Finished) -> None:
        scenario = world.scenario
        radio_doc = scenario.radio
        system = UplinkSystem(
            bandwidth_hz=radio_doc.bandwidth_hz,
            noise_psd_dbm_hz=radio_doc.noise_psd_dbm_hz,
            weight=scenario.utility_weight,
            min_compression=radio_doc.min_compression,
            method=radio_doc.allocation_method,
            energy_weight=scenario.energy_weight,
            upload_power_w=scenario.energy.radio_power(radio_doc.terminal_tx_power_dbm).send_w,
        )
        servers = tuple(Server(n.vm_slots, 0, n.degradation) for n in world.fleet.nodes)
        self.terms = tuple(
            UploadTerms(
                data_bits=option.data_bits,
                scales=scenario.services[option.service].work_scales_with_input,
                vm_s=world.alone_s[o][0],
                curve=option.curve,
                min_accuracy=scenario.services[option.service].min_accuracy,
                deadline_s=scenario.services[option.service].deadline_s,
                radio_s=answer_radio_s(option, radio_doc),
            )
            for o, option in enumerate(world.options)
        )
        self.stats = SolverStats()
        self.uplinks = [
            JointUplink(
                sim,
                system=system,
                servers=servers,
                stats=self.stats,
                on_finish=on_finish,
                delay_s=radio_doc.radio_delay_s,
            )
            for _ in world.stations
        ]

    def offer(
        self, station: int, task: int, *, snr_hz: float, option: int, node: int, route: StagedRoute
    ) -> tuple[float, float] | None:
        """:meth:`JointUplink.offer` at ``station`` for a task served by option ``option``."""
        return self.uplinks[station].offer(task, snr_hz=snr_hz, terms=self.terms[option], node=node, route=route)
