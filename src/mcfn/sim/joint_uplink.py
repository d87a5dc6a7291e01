"""A base station's uplink shared by the seed §3.2 allocation solver (uplink policy ``joint-allocation``).

When an upload starts, :meth:`JointUplink.offer` solves the station's problem for the uploads in progress plus
the new one (:func:`mcfn.network.joint_uplink.allocate_uploads`): the solver picks the new task's compression
ratio, so it uploads ``ρ D`` bits and scores the accuracy of its curve at ``ρ D``, and re-divides the band among
all of them. A new task the station cannot serve within its deadline and accuracy floor together with the uploads
in progress is turned away (the seed's admission), and the caller fails it. When an upload ends, the band is
re-divided among the others by the same problem with every ratio fixed (in closed form unless a deadline
binds). Should a solve fail (a numerical failure of every conic solver), the band is divided equally and the
fallback counted.

An admitted task stays feasible as others come and go (a new one is admitted only if all fit; an ending one only
frees band), so uploads in progress do not run late unless a fallback made them; one that did would leave no
room for any new task at its station until it ends (the summary counts fallbacks and tasks turned away).

The station's bookkeeping comes from its rate rule alone: every time the set of uploads changes the rule sees
each one's remaining bits and returns its rate, so the remaining bits at any later moment follow; no internals of
:class:`~mcfn.sim.sharing.PolicySharing` are read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mcfn.allocation.problem import AccuracyCurve
from mcfn.compute import Tier
from mcfn.network import radio
from mcfn.network.joint_uplink import UplinkAllocation, UplinkSystem, Upload, allocate_uploads
from mcfn.scenario import Scenario
from mcfn.sim.engine import Simulator
from mcfn.sim.sharing import Finished, PolicySharing
from mcfn.sim.world import stage_work


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadTerms:
    """What the solver needs to know of a service's task."""

    data_bits: float
    compute_flops: float
    curve: AccuracyCurve
    min_accuracy: float
    deadline_s: float


@dataclass(slots=True)
class SolverStats:
    """Solver calls and their total wall time, decisions made in closed form, fallbacks to equal bandwidth, and
    tasks turned away."""

    solves: int = 0
    solve_wall_s: float = 0.0
    closed_form: int = 0
    fallbacks: int = 0
    rejected: int = 0


@dataclass(slots=True)
class _Admitted:
    snr_hz: float
    compute_flops: float
    due_s: float


class JointUplink(PolicySharing):
    """One station's OFDMA uplink whose band and compression ratios the allocation solver sets."""

    def __init__(
        self, sim: Simulator, *, system: UplinkSystem, stats: SolverStats, on_finish: Finished, delay_s: float = 0.0
    ) -> None:
        super().__init__(sim, rule=self._rate_rule, on_finish=on_finish, delay_s=delay_s)
        self._sim = sim
        self._system = system
        self._stats = stats
        self._admitted: dict[int, _Admitted] = {}
        #: Rates decided by the last :meth:`offer`, for the rule call its submit makes.
        self._decided: dict[int, float] | None = None

    def offer(self, task: int, *, snr_hz: float, terms: UploadTerms) -> float | None:
        """Start ``task``'s upload if the solver admits it; returns its compression ratio, or None if turned away."""
        self.account()  # the station up to now: the uploads still sending, each with the bits it has left
        now = self._sim.now
        tasks = list(self._jobs)
        uploads = [self._in_progress(j, left, now) for j, left in zip(tasks, self._left, strict=True)]
        uploads.append(
            Upload(
                snr_hz=snr_hz,
                data_bits=terms.data_bits,
                compute_flops=terms.compute_flops,
                curve=terms.curve,
                min_accuracy=terms.min_accuracy,
                deadline_s=terms.deadline_s,
                fixed=False,
            )
        )
        decision = self._solve(uploads)
        if not isinstance(decision, UplinkAllocation):
            self._stats.rejected += 1
            return None
        rho = float(decision.compression[-1])
        tasks.append(task)
        self._decided = dict(zip(tasks, self._to_rates(decision.bandwidth_hz, uploads), strict=True))
        self._admitted[task] = _Admitted(snr_hz, rho * terms.compute_flops, now + terms.deadline_s)
        self.submit(task, rho * terms.data_bits, task)
        return rho

    def drop_all(self) -> list[int]:
        self._admitted.clear()
        return super().drop_all()

    def _in_progress(self, task: int, left_bits: float, now: float) -> Upload:
        """``task``'s upload with ``left_bits`` still to send at ``now``, as a fixed upload of the problem."""
        info = self._admitted[task]
        return Upload(
            snr_hz=info.snr_hz,
            data_bits=max(left_bits, 1.0),
            compute_flops=info.compute_flops,
            curve=AccuracyCurve(1.0, 0.0, 1.0),  # unused: a fixed upload's curve is set by the problem
            min_accuracy=0.0,
            deadline_s=max(info.due_s - now, 1e-9),
            fixed=True,
        )

    def _solve(self, uploads: list[Upload]) -> UplinkAllocation | str:
        started = time.perf_counter()
        decision = allocate_uploads(uploads, self._system)
        if isinstance(decision, UplinkAllocation) and decision.closed_form:
            self._stats.closed_form += 1
        else:
            self._stats.solves += 1
            self._stats.solve_wall_s += time.perf_counter() - started
        return decision

    def _to_rates(self, bandwidth_hz: np.ndarray, uploads: Sequence[Upload]) -> list[float]:
        snr = np.array([u.snr_hz for u in uploads])
        return radio.shannon_rate_bps(bandwidth_hz, 1.0, snr, 1.0).tolist()

    def _rate_rule(self, keys: Sequence[int], remaining_bits: Sequence[float]) -> list[float]:
        """The rate rule: the rates :meth:`offer` decided, the whole band for a lone upload, else a new solve.

        Asked at the station's instant of change, which may be earlier than the clock (a rate rule must not read
        it, :data:`~mcfn.sim.sharing.RateRule`).
        """
        decided, self._decided = self._decided, None
        at_s = self._last_s
        uploads = [self._in_progress(task, left, at_s) for task, left in zip(keys, remaining_bits, strict=True)]
        if decided is not None and set(decided) == set(keys):
            rates = [decided[task] for task in keys]
        elif len(keys) == 1:  # the whole band is every policy's answer for a lone upload, the solver's included
            rates = self._to_rates(np.array([self._system.bandwidth_hz]), uploads)
        else:
            decision = self._solve(uploads)
            if isinstance(decision, UplinkAllocation):
                rates = self._to_rates(decision.bandwidth_hz, uploads)
            else:
                self._stats.fallbacks += 1
                rates = self._to_rates(np.full(len(keys), self._system.bandwidth_hz / len(keys)), uploads)
        return rates

    def _remove(self, job: int) -> None:
        """``job``'s upload has been sent (it leaves after the air interface's delay): no longer in the problem."""
        super()._remove(job)
        del self._admitted[job]


class JointUplinks:
    """Every station's :class:`JointUplink` for a scenario, the services' terms, and the solver's statistics."""

    def __init__(self, sim: Simulator, scenario: Scenario, *, stations: int, on_finish: Finished) -> None:
        radio_doc, edge = scenario.radio, scenario.compute.edge_server(0)  # with classes per cell: the first
        system = UplinkSystem(
            bandwidth_hz=radio_doc.bandwidth_hz,
            noise_psd_dbm_hz=radio_doc.noise_psd_dbm_hz,
            tx_power_w=float(radio.dbm_to_watt(radio_doc.terminal_tx_power_dbm)),
            vm_flops_per_s=edge.peak_flops_per_s,
            vm_slots=edge.vm_slots,
            degradation=edge.degradation,
            weight=scenario.utility_weight,
            min_compression=radio_doc.min_compression,
            method=radio_doc.allocation_method,
        )
        vm = edge.node("edge", Tier.EDGE)
        self.terms = tuple(
            UploadTerms(
                data_bits=s.data_bits,
                compute_flops=edge.peak_flops_per_s * sum(vm.compute_time_s(stage_work(stage)) for stage in s.stages),
                curve=s.curve,
                min_accuracy=s.min_accuracy,
                deadline_s=s.deadline_s,
            )
            for s in scenario.services
        )
        self.stats = SolverStats()
        self.uplinks = [
            JointUplink(sim, system=system, stats=self.stats, on_finish=on_finish, delay_s=radio_doc.radio_delay_s)
            for _ in range(stations)
        ]

    def offer(self, station: int, task: int, *, snr_hz: float, service: int) -> float | None:
        """:meth:`JointUplink.offer` at ``station`` for a task of service ``service``."""
        return self.uplinks[station].offer(task, snr_hz=snr_hz, terms=self.terms[service])
