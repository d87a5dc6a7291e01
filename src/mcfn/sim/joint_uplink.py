"""A base station's uplink shared by the seed §3.2 allocation solver (uplink policy ``joint-allocation``).

When an upload starts, :meth:`JointUplink.offer` poses the station's batch — the uploads in progress plus the new
one — and solves it by the orchestration layer's path (:func:`mcfn.orchestration.uplink.allocate_uploads`, the one
:func:`mcfn.orchestration.orchestrate` takes, here through its lean twin
:class:`~mcfn.orchestration.uplink.UplinkBatch`, which decides the same to the last bit from the uploads' numbers in
buffers kept from one solve to the next): the router has already placed the new task's stages, so the problem
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

from mcfn.allocation.problem import AccuracyCurve
from mcfn.orchestration.uplink import Server, UplinkBatch, UplinkSystem, overhead_s
from mcfn.routing.router import StagedRoute
from mcfn.sim.engine import Simulator
from mcfn.sim.sharing import Finished, PolicySharing
from mcfn.sim.world import World, answer_radio_s


class UploadTerms:
    """What the solver needs to know of a task served by one option: its input, whether the first stage's work
    scales with it, the first stage's one-VM seconds on every fleet node, the option's curve (kept as its ``p``,
    ``q``, ``r``), the service's floor and deadline, and the radio time outside the route (the air delays, the
    answer's downlink). (Read-only; a C class compiled, ``joint_uplink.pxd``: :meth:`JointUplink.offer` reads it at
    every upload.)"""

    __slots__ = ("data_bits", "deadline_s", "min_accuracy", "p", "q", "r", "radio_s", "scales", "vm_s")

    def __init__(
        self,
        *,
        data_bits: float,
        scales: bool,
        vm_s: tuple[float, ...],
        curve: AccuracyCurve,
        min_accuracy: float,
        deadline_s: float,
        radio_s: float,
    ) -> None:
        self.data_bits = data_bits
        self.scales = scales
        self.vm_s = vm_s
        self.p, self.q, self.r = curve.p, curve.q, curve.r
        self.min_accuracy = min_accuracy
        self.deadline_s = deadline_s
        self.radio_s = radio_s


class SolverStats:
    """Solver calls and their total wall time, decisions made in closed form, and tasks turned away. (A C class
    compiled, ``joint_uplink.pxd``: counted at every upload.)"""

    __slots__ = ("closed_form", "rejected", "solve_wall_s", "solves")

    def __init__(self) -> None:
        self.solves = 0
        self.solve_wall_s = 0.0
        self.closed_form = 0
        self.rejected = 0


class _Admitted:
    """An admitted upload as later decisions pose it: its SNR, band, first-stage node and work, due time and the
    predicted time outside the upload and that stage (made by :func:`_admit`)."""

    __slots__ = ("bandwidth_hz", "due_s", "overhead_s", "server", "snr_hz", "vm_s")


def _admit(snr_hz: float, bandwidth_hz: float, server: int, vm_s: float, due_s: float, overhead_s: float) -> _Admitted:
    """An :class:`_Admitted` of these fields (compiled, allocated and filled in C: a call of the class would box
    each field into a Python object, at every upload)."""
    info = _Admitted.__new__(_Admitted)
    info.snr_hz = snr_hz
    info.bandwidth_hz = bandwidth_hz
    info.server = server
    info.vm_s = vm_s
    info.due_s = due_s
    info.overhead_s = overhead_s
    return info


class JointUplink(PolicySharing):
    """One station's OFDMA uplink whose band, compression ratios and compute shares the allocation sets."""

    def __init__(
        self,
        sim: Simulator,
        *,
        system: UplinkSystem,
        batch: UplinkBatch,
        stats: SolverStats,
        on_finish: Finished,
        delay_s: float = 0.0,
    ) -> None:
        super().__init__(sim, rule=self._rate_rule, on_finish=on_finish, delay_s=delay_s)
        self._bandwidth_hz = system.bandwidth_hz
        #: The batch every station of the world poses its problems in (one at a time), with the fleet's nodes.
        self._batch = batch
        self._stats = stats
        #: The uploads in progress as later decisions pose them, in the station's order of its jobs in service.
        self._admitted: list[_Admitted] = []
        #: Rates decided by the last :meth:`offer`, in the order of the jobs in service after its submit, for the
        #: rule call that submit makes.
        self._decided: list[float] | None = None

    def offer(
        self, task: int, snr_hz: float, terms: UploadTerms, node: int, route: StagedRoute
    ) -> tuple[float, float] | None:
        """Start ``task``'s upload if the allocation admits it, its first stage on fleet node ``node`` of ``route``;
        returns its compression ratio and compute share, or None if turned away."""
        self.account()  # the station up to now: the uploads still sending, each with the bits it has left
        now = self._sim.now
        vm_s = terms.vm_s[node]
        overhead = overhead_s(route) + terms.radio_s
        batch = self._batch
        n = len(self._keys)  # the uploads in progress
        self._pose_in_progress(now)
        batch.add(
            snr_hz,
            terms.data_bits,
            vm_s,
            terms.scales,
            node,
            terms.p,
            terms.q,
            terms.r,
            terms.min_accuracy,
            terms.deadline_s,
            overhead,
            False,
        )
        if n:
            if not self._solve():
                self._stats.rejected += 1
                return None
            rho, share, bandwidth = float(batch.compression[n]), float(batch.share[n]), float(batch.bandwidth_hz[n])
            decided = self._rebanded(n)
        else:  # alone at the station: the closed form, in scalars (the common case)
            rho = batch.lone()
            if rho < 0.0:
                self._stats.rejected += 1
                return None
            self._stats.closed_form += 1
            share, bandwidth = 1.0, self._bandwidth_hz
            decided = []
        decided.append(_rate(bandwidth, snr_hz))
        self._decided = decided
        work_s = vm_s * rho if terms.scales else vm_s
        self._admitted.append(_admit(snr_hz, bandwidth, node, work_s, now + terms.deadline_s, overhead))
        self.submit(task, rho * terms.data_bits, task)
        return rho, share

    def offer_fixed(self, job: int, *, snr_hz: float, bits: float, deadline_s: float, server: int) -> bool:
        """Start the upload of another workload's ``job`` (a federated update: ``bits`` sent whole, no accuracy
        floor, no compute, due in ``deadline_s``, its node ``server``) as a fixed upload of the station's problem,
        if the allocation fits it with the uploads in progress; False if not (it is not counted as a rejected task).
        """
        self.account()
        now = self._sim.now
        due_s = now + deadline_s
        self._pose_in_progress(now)
        left_s = max(due_s - now, 1e-9)
        self._batch.add(snr_hz, max(bits, 1.0), 0.0, False, server, 1.0, 0.0, 1.0, 0.0, left_s, 0.0, True)
        if not self._solve():
            return False
        n = len(self._keys)
        decided = self._rebanded(n)
        bandwidth = float(self._batch.bandwidth_hz[n])
        decided.append(_rate(bandwidth, snr_hz))
        self._decided = decided
        self._admitted.append(_admit(snr_hz, bandwidth, server, 0.0, due_s, 0.0))
        self.submit(job, bits, job)
        return True

    def drop_all(self) -> list[int]:
        jobs = super().drop_all()
        self._admitted.clear()
        return jobs

    def _pose_in_progress(self, now: float) -> None:
        """The batch of the uploads in progress at ``now``, each as a fixed upload of the bits it has left."""
        batch = self._batch
        batch.clear()
        for i in range(len(self._keys)):
            info = self._admitted[i]
            batch.add(
                info.snr_hz,
                max(self._left_at(i), 1.0),
                info.vm_s,
                False,
                info.server,
                1.0,
                0.0,
                1.0,
                0.0,
                max(info.due_s - now, 1e-9),
                info.overhead_s,
                True,
            )

    def _rebanded(self, n: int) -> list[float]:
        """After a solve: the first ``n`` uploads' (those in progress) new bands kept, and their rates, in order."""
        rates = []
        for i in range(n):
            info = self._admitted[i]
            info.bandwidth_hz = float(self._batch.bandwidth_hz[i])
            rates.append(_rate(info.bandwidth_hz, info.snr_hz))
        return rates

    def _solve(self) -> bool:
        started = time.perf_counter()
        solved = self._batch.solve()
        self._stats.solves += 1
        self._stats.solve_wall_s += time.perf_counter() - started
        return solved

    def _rate_rule(self, keys: Sequence[int], remaining_bits: Sequence[float]) -> list[float]:
        """The rate rule: the rates :meth:`offer` decided; after an upload ended, the band shared in proportion to
        what each upload held (the whole band for a lone one, as under every policy).

        Asked at the station's instant of change, which may be earlier than the clock (a rate rule must not read
        it, :data:`~mcfn.sim.sharing.RateRule`).
        """
        decided, self._decided = self._decided, None
        # the call of offer's submit, for the jobs the rates were decided for (a job joins at the end, in order)
        if decided is not None and len(decided) == len(keys):
            return decided
        admitted = self._admitted
        total = 0.0
        for info in admitted:
            total += info.bandwidth_hz
        scale = self._bandwidth_hz / total
        rates = []
        for info in admitted:
            info.bandwidth_hz *= scale
            rates.append(info.bandwidth_hz * math.log2(1.0 + info.snr_hz / info.bandwidth_hz))
        return rates

    def _remove(self, job: int) -> None:
        """``job``'s upload has been sent (it leaves after the air interface's delay): no longer in the problem."""
        n = len(self._keys)
        i = 0
        while i < n and self._job_at(i) != job:
            i += 1
        PolicySharing._remove(self, job)  # raises if it is not in service
        del self._admitted[i]


def _rate(bandwidth_hz: float, snr_hz: float) -> float:
    """The Shannon rate (:func:`mcfn.network.radio.shannon_rate_bps`) of an upload of SNR ``snr_hz`` (Hz) on
    ``bandwidth_hz``, in scalars; 0 without band."""
    return bandwidth_hz * math.log2(1.0 + snr_hz / bandwidth_hz) if bandwidth_hz > 0.0 else 0.0


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
        batch = UplinkBatch([Server(n.vm_slots, 0, n.degradation) for n in world.fleet.nodes], system)
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
                batch=batch,
                stats=self.stats,
                on_finish=on_finish,
                delay_s=radio_doc.radio_delay_s,
            )
            for _ in world.stations
        ]

    def offer(
        self, station: int, task: int, snr_hz: float, option: int, node: int, route: StagedRoute
    ) -> tuple[float, float] | None:
        """:meth:`JointUplink.offer` at ``station`` for a task served by option ``option``. (Compiled, a C method
        that calls the station's in C: the simulator asks at every upload.)"""
        uplink = self.uplinks[station]
        return uplink.offer(task, snr_hz, self.terms[option], node, route)
