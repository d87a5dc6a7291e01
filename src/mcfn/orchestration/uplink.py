"""A base station's batch of uploads as the seed's §3.2 problem: pose it, solve it, hand back each task's bandwidth,
compute share and compression ratio, or the rejects.

Seed §3.2 allocates, for the tasks of the terminals attached to one base station, OFDMA bandwidth, compute and each
task's compression ratio jointly, maximising ``Σ w A − (1 − w) T / T_max`` under accuracy floors and deadlines
(``docs/formats/allocation.md``). :func:`allocate_uploads` is the one path that does it for both users: the batch
orchestrator (:func:`mcfn.orchestration.orchestrate`) and the simulator's ``joint-allocation`` uplink
(:class:`mcfn.sim.joint_uplink.JointUplink`). The router has already placed every task's stages, so each
:class:`Upload` says on which node its first stage runs (:class:`Server`: the cell's edge server, another edge or
the cloud), its one-VM time there, and its predicted time outside the upload and that stage (``overhead_s``: the
wired hops, queueing, the later stages, the return). :func:`pose` turns the batch into the solver's arrays
(:class:`~mcfn.allocation.problem.ScaledTasks`, one row per upload, no per-task objects; an allocation
:class:`~mcfn.allocation.problem.Instance` of it is built only where admission needs one):

- **bandwidth** is the station's band ``B``, shared by every upload whatever its node;
- **compute**: the spec's one budget ``Σ f ≤ F`` with one cap ``f_max`` cannot say that tasks on different nodes
  draw on different servers, so each node's budget is kept apart by construction: node ``j``'s free VMs are split
  equally among the batch's ``m_j`` tasks that run there, each capped at one VM — a task's share is
  ``s_j = min(1, free_j / m_j)`` of a VM of its node — and the instance's common budget is left slack
  (``F = N f_max``). Since latency falls as ``f`` grows, the seed's optimum gives every task its cap, so this is
  the seed's own optimum when no node runs more of the batch's tasks than it has free VMs (the usual case), and a
  feasible, conservative one otherwise (it forgoes trading compute among the tasks of an oversubscribed node).
  Work is posed in one-VM seconds of the task's own node, with the seed's parallel slowdown
  ``(1 + d_j)^(i_j − 1)``, ``i_j = min(busy_j + m_j, slots_j)``, folded into it (the instance's unit is
  :data:`REFERENCE_HZ` "cycles" per VM-second; its ``d`` is 0 and ``i`` 1);
- **compression** changes the uploaded bits ``α = ρ D`` and the accuracy, along the task's curve (seed eq. 1,
  read as the accuracy of inference on ``α`` bits of input); it changes the compute only where the service's work
  scales with its input (``Upload.scales``; the seed's model ``c α / f``). Work that does not scale (an image
  classifier resizes its input to a fixed tensor) is a constant: its time joins ``overhead_s`` and the instance's
  compute term is made negligible (:data:`NEGLIGIBLE_CYCLES_PER_BIT`, 1 µs per Mbit);
- **deadline and objective**: the instance's deadline is the budget ``T' = T − overhead`` left for the upload and
  the first stage. The instance weighs latency by ``1 / T'``; scaling the task's accuracy curve and floor by
  ``T / T'`` makes each task's own accuracy–latency trade-off exactly the seed's (``w A − (1 − w) t / T`` times
  ``T / T'``); across tasks, the more urgent (smaller ``T' / T``) weigh more — an approximation, stated.

An upload already in progress (``fixed``) has compressed its data already: ``data_bits`` is what it has left to
send and must be sent whole. It enters with accuracy floor 0 and the curve ``A(α) = Mbit / D − Mbit / α``, whose
floor is met exactly at ``α = D`` and whose value there is 0: it adds nothing but its latency.

One case needs no solver: a lone starting upload, whose utility with the whole band and its compute cap is concave
in its data alone, with the stationary point ``α* = (w q r T' Mbit^r / ((1 − w) c₁ + T' k λ P / R(B)))^(1/(r+1))``,
``c₁ = 1 / R(B) + c / f_max`` seconds per bit, ``λ P`` the energy weight and upload power, clipped to the floor and
the deadline (:func:`lone_upload`; the tests hold it to the exact solver). Everything else goes to :func:`solve`,
the one call of the allocation solver (``method`` as the scenario says): without admission (the simulator) the lean
:func:`~mcfn.allocation.solve.solve_formulation` on the posed arrays, no evaluation or result records; with it (the
batch orchestrator) :func:`~mcfn.allocation.solve.allocate`. The simulator, which solves a batch at every upload
that starts beside others, takes :class:`UplinkBatch`: the same pose, formulation, fast method and conversions on
buffers it keeps, the same decisions to the last bit (the tests hold it to :func:`allocate_uploads`), at about a
quarter of the cost of the path through the objects (``benchmarks/learn.py`` measures the difference it makes).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from mcfn.allocation import kernels
from mcfn.allocation._conic import AllSolversFailedError
from mcfn.allocation.barrier import Barrier
from mcfn.allocation.choices import Method, Scheme
from mcfn.allocation.fast import FastSolverError, optimum
from mcfn.allocation.problem import GHZ, MBIT, MHZ, AccuracyCurve, Instance, ScaledTasks, Task
from mcfn.allocation.schemes import formulate
from mcfn.allocation.solve import allocate, infeasibility_reason, solve_formulation, to_si
from mcfn.network.radio import FloatArray, noise_psd_w_per_hz
from mcfn.routing.router import StagedRoute

#: The instance's compute unit: one VM-second of a task's own node is ``REFERENCE_HZ`` cycles, and ``f_max`` is
#: ``REFERENCE_HZ`` (a whole VM). 1 Gcycle/s keeps the solver's scaled units near 1.
REFERENCE_HZ = 1e9
#: The instance's compute term of a task whose work does not scale with its input: 1e-3 cycles a bit, i.e. 1 µs per
#: Mbit at :data:`REFERENCE_HZ` (the conic form takes the logarithm of ``c``, so it cannot be 0).
NEGLIGIBLE_CYCLES_PER_BIT = 1e-3
#: Solver units (Gcycle/s) of one VM, and the solver's compute term (s per Mbit at 1 Gcycle/s) of work that does not
#: scale.
_G_PER_REFERENCE = REFERENCE_HZ / GHZ
_NEGLIGIBLE_WORK = NEGLIGIBLE_CYCLES_PER_BIT * MBIT / GHZ
#: Columns :func:`pose` fills per upload: the eight of :class:`~mcfn.allocation.problem.ScaledTasks`, then cap,
#: compute seconds and whether they scale (:class:`Posed`), and the energy's cost per second on the air ``λ P T / T'``.
_COLUMNS = 12
#: An :class:`UplinkBatch`'s inputs per upload: SNR, data, one-VM seconds, the curve's p, q, r, the floor, the
#: deadline and the overhead (and apart, as integers: its node, whether its work scales, whether it is fixed).
_INPUTS = 9
#: What :func:`_lone_core` returns where the accuracy floor is out of reach, or the deadline and floor cannot both be
#: met (a ratio is never negative).
_FLOOR_OUT_OF_REACH = -1.0
_TOO_LATE = -2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class UplinkSystem:
    """The station's side of the problem: its band, the objective's weight, the least ratio, the solver method, and
    the weight of the terminals' transmit energy: ``energy_weight`` (1/J) times the power a terminal draws while it
    uploads (``upload_power_w``) is what each second of upload costs (the instance's ``energy_weight`` and
    ``upload_power_w``; scaled by ``T / T'`` like the accuracy curve). 0: the seed's objective."""

    bandwidth_hz: float
    noise_psd_dbm_hz: float
    weight: float
    min_compression: float
    method: str = "exact"
    energy_weight: float = 0.0
    upload_power_w: float = 0.0


@dataclass(frozen=True, slots=True)
class Server:
    """A node that runs the first stage of some uploads, as the solver sees it: its VMs, how many are busy with
    other work (``busy_vms < vm_slots``), and its parallel degradation ``d`` (seed eq. 2)."""

    vm_slots: int
    busy_vms: int
    degradation: float


class Upload(NamedTuple):
    """One upload at the station (module docstring). ``vm_s`` is its first stage's one-VM seconds on its node
    (``server``) at ``data_bits`` of input; ``deadline_s`` the time it has left; ``overhead_s`` its predicted time
    outside the upload and the first stage's compute. (A named tuple: the simulator makes one for every upload
    in progress at every decision.)"""

    snr_hz: float
    data_bits: float
    vm_s: float
    scales: bool
    server: int
    curve: AccuracyCurve
    min_accuracy: float
    deadline_s: float
    overhead_s: float
    fixed: bool


@dataclass(frozen=True, slots=True)
class UplinkAllocation:
    """Every upload's bandwidth (Hz), compression ratio (1 for fixed ones, up to the solver's tolerance), compute
    share (of one VM of its node) and predicted first-stage compute seconds at that ratio and share, in order;
    ``admitted`` is false for the tasks admission turned away (zero bandwidth and share)."""

    bandwidth_hz: FloatArray
    compression: FloatArray
    share: FloatArray
    compute_s: FloatArray
    admitted: np.ndarray
    solve_time_s: float
    #: True when :func:`lone_upload` answered without the solver.
    closed_form: bool = False


class Solved(NamedTuple):
    """What :func:`solve` (or a closed form) decides for each task of a batch: bandwidth (Hz), compute (Hz of the
    instance, at most :data:`REFERENCE_HZ`), compression ratio, and whether it is admitted."""

    bandwidth_hz: FloatArray
    compute_hz: FloatArray
    compression: FloatArray
    admitted: np.ndarray


@dataclass(frozen=True, slots=True)
class Posed:
    """A batch as the solver sees it: its tasks in solver units, each task's compute cap (share of a VM), its
    first-stage compute seconds at the cap and the whole of its ``data_bits`` (slowdown included), and whether
    that time scales with the data."""

    tasks: ScaledTasks
    cap: FloatArray
    compute_s: FloatArray
    scales: np.ndarray
    system: UplinkSystem

    @property
    def instance(self) -> Instance:
        """The same problem as an allocation :class:`~mcfn.allocation.problem.Instance` (SI units, one
        :class:`~mcfn.allocation.problem.Task` per upload), for admission and reasons."""
        s, system = self.tasks, self.system
        noise = noise_psd_w_per_hz(system.noise_psd_dbm_hz)
        columns = (s.data_mbit, s.snr_mhz, s.compute_s_per_mbit_g, s.p, s.q, s.r, s.min_accuracy, s.deadline_s)
        rows = zip(*(c.tolist() for c in columns), strict=True)
        tasks = tuple(
            Task(
                id=str(i),
                terminal=str(i),
                data_bits=data * MBIT,
                cycles_per_bit=work * GHZ / MBIT,
                accuracy=AccuracyCurve(p=p, q=q, r=r),
                min_accuracy=floor,
                deadline_s=deadline,
                tx_power_w=1.0,
                channel_gain=snr * MHZ * noise,
                parallel=1,
                upload_power_w=None if s.upload_cost_per_s is None else float(s.upload_cost_per_s[i]),
            )
            for i, (data, snr, work, p, q, r, floor, deadline) in enumerate(rows)
        )
        return Instance(
            bandwidth_hz=system.bandwidth_hz,
            noise_psd_dbm_hz=system.noise_psd_dbm_hz,
            edge_capacity_hz=s.capacity_g * GHZ,
            vm_capacity_hz=s.vm_capacity_g * GHZ,
            degradation=0.0,
            weight=system.weight,
            min_compression=system.min_compression,
            tasks=tasks,
            energy_weight=0.0 if s.upload_cost_per_s is None else 1.0,  # folded into each task's power
        )


def overhead_s(route: StagedRoute) -> float:
    """The predicted time of ``route`` outside its first stage's compute: the wired hops, queueing, the later stages
    and the return (what :attr:`Upload.overhead_s` counts, before the radio's own delays)."""
    first = route.stages[0]
    return route.latency_s - first.compute_s


def pose(uploads: Sequence[Upload], servers: Sequence[Server], system: UplinkSystem) -> Posed:
    """The §3.2 problem of ``uploads`` (module docstring), ``servers`` indexed by ``Upload.server``: one row of
    solver-unit columns per upload, no per-task objects."""
    batch = UplinkBatch(servers, system, len(uploads))
    for u in uploads:
        batch.add_upload(u)
    return batch.posed()


class UplinkBatch:
    """A station's batch of uploads posed straight from their scalars into buffers kept from one batch to the next,
    and solved there: :meth:`solve` decides what :func:`allocate_uploads` does without admission, bit for bit, with
    no object per upload and no array per solve where the method is ``fast`` (the simulator's ``joint-allocation``
    uplink solves a batch at every upload that starts beside others); any other method, or a Newton failure, takes
    :func:`allocate_uploads` itself. :meth:`lone` is :func:`lone_upload` in scalars.

    :meth:`clear` empties the batch, :meth:`add` (or :meth:`add_upload`) appends an upload (the fields of
    :class:`Upload`; a fixed upload's curve and floor are not read); after a successful :meth:`solve`, row ``i`` of
    ``bandwidth_hz``, ``compression`` and ``share`` is upload ``i``'s (:class:`UplinkAllocation`'s fields)."""

    def __init__(self, servers: Sequence[Server], system: UplinkSystem, capacity: int = 4) -> None:
        self._servers = tuple(servers)
        self._system = system
        self._slots = np.array([s.vm_slots for s in servers], dtype=np.intp)
        self._busy = np.array([s.busy_vms for s in servers], dtype=np.intp)
        self._degradation = np.array([s.degradation for s in servers], dtype=float)
        self._count = np.zeros(len(servers), dtype=np.intp)
        self._band_mhz = system.bandwidth_hz / MHZ
        self._fast = system.method == Method.FAST
        # the system's numbers, read at every solve
        self._weight, self._bandwidth_hz, self._least_ratio = system.weight, system.bandwidth_hz, system.min_compression
        self._energy_weight, self._upload_power_w = system.energy_weight, system.upload_power_w
        self._barrier = Barrier()
        self.n = 0
        self._grow(max(capacity, 1))

    def _grow(self, capacity: int) -> None:
        """Buffers for ``capacity`` uploads, the first ``n`` rows kept."""
        n = self.n
        inputs, kinds = np.empty((_INPUTS, capacity)), np.zeros((3, capacity), dtype=np.intp)
        if n:
            inputs[:, :n] = self._inputs_array[:, :n]
            kinds[:, :n] = self._kinds_array[:, :n]
        self._inputs_array, self._kinds_array = inputs, kinds
        self._inputs, self._kinds = inputs, kinds
        self._table_array = np.empty((_COLUMNS, capacity))
        self._table = self._table_array
        # the least data of each upload, the solver's point (data, bandwidth, compute) and the answer (bandwidth,
        # compute, compression, share)
        self._least, self._point, self._si = np.empty(capacity), np.empty((3, capacity)), np.empty((4, capacity))
        self.capacity = capacity

    def clear(self) -> None:
        """Empty the batch."""
        self.n = 0

    def add(
        self,
        snr_hz: float,
        data_bits: float,
        vm_s: float,
        scales: bool,
        server: int,
        p: float,
        q: float,
        r: float,
        min_accuracy: float,
        deadline_s: float,
        overhead_s: float,
        fixed: bool,
    ) -> None:
        """Append an upload (:class:`Upload`'s fields, its curve's as ``p``, ``q``, ``r``)."""
        if self.n == self.capacity:
            self._grow(2 * self.capacity)
        i = self.n
        row = self._inputs
        row[0, i], row[1, i], row[2, i], row[3, i] = snr_hz, data_bits, vm_s, p
        row[4, i], row[5, i], row[6, i], row[7, i], row[8, i] = q, r, min_accuracy, deadline_s, overhead_s
        self._kinds[0, i], self._kinds[1, i], self._kinds[2, i] = server, scales, fixed
        self.n = i + 1

    def add_upload(self, u: Upload) -> None:
        """Append ``u``."""
        curve = u.curve
        self.add(
            u.snr_hz,
            u.data_bits,
            u.vm_s,
            u.scales,
            u.server,
            curve.p,
            curve.q,
            curve.r,
            u.min_accuracy,
            u.deadline_s,
            u.overhead_s,
            u.fixed,
        )

    def uploads(self) -> list[Upload]:
        """The batch as :class:`Upload` s."""
        row, kind = self._inputs_array, self._kinds_array
        return [
            Upload(
                float(row[0, i]),
                float(row[1, i]),
                float(row[2, i]),
                bool(kind[1, i]),
                int(kind[0, i]),
                AccuracyCurve(float(row[3, i]), float(row[4, i]), float(row[5, i])),
                float(row[6, i]),
                float(row[7, i]),
                float(row[8, i]),
                bool(kind[2, i]),
            )
            for i in range(self.n)
        ]

    def _fill(self) -> None:
        """The batch's solver-unit columns (:data:`_COLUMNS`) in the first ``n`` columns of the table."""
        n = self.n
        row, kind, columns, count = self._inputs, self._kinds, self._table, self._count
        for i in range(n):
            count[kind[0, i]] = 0
        for i in range(n):
            count[kind[0, i]] += 1
        joules = self._energy_weight * self._upload_power_w
        for i in range(n):
            j = kind[0, i]
            fixed = kind[2, i] != 0
            deadline = row[7, i]
            cap, seconds, scaled, budget, k = _row_terms(
                self._slots[j], self._busy[j], self._degradation[j], row[2, i], kind[1, i] != 0, fixed, deadline,
                row[8, i], count[j]
            )  # fmt: skip
            data = row[1, i] / MBIT
            columns[0, i] = data
            columns[1, i] = row[0, i] / MHZ
            columns[2, i] = seconds * _G_PER_REFERENCE / data if scaled else _NEGLIGIBLE_WORK
            if fixed:
                columns[3, i], columns[4, i], columns[5, i], columns[6, i] = 1.0 / data, 1.0, 1.0, 0.0
            else:
                columns[3, i], columns[4, i], columns[5, i] = k * row[3, i], k * row[4, i], row[5, i]
                columns[6, i] = k * row[6, i]
            columns[7, i] = budget
            columns[8, i] = cap
            columns[9, i] = seconds
            columns[10, i] = 1.0 if scaled else 0.0
            columns[11, i] = joules * deadline / budget

    def posed(self) -> Posed:
        """The batch as the solver sees it; its arrays are views of the batch's buffers (valid until it changes)."""
        self._fill()
        table = self._table_array[:, : self.n]
        system = self._system
        return Posed(
            ScaledTasks(
                data_mbit=table[0],
                snr_mhz=table[1],
                compute_s_per_mbit_g=table[2],
                p=table[3],
                q=table[4],
                r=table[5],
                min_accuracy=table[6],
                deadline_s=table[7],
                bandwidth_mhz=self._band_mhz,
                capacity_g=self.n * _G_PER_REFERENCE,
                vm_capacity_g=_G_PER_REFERENCE,
                weight=system.weight,
                min_compression=system.min_compression,
                upload_cost_per_s=table[11] if system.energy_weight > 0.0 else None,
            ),
            table[8],
            table[9],
            table[10] > 0.0,
            system,
        )

    def solve(self) -> bool:
        """Decide the batch (class docstring); False where it cannot be served within its deadlines and floors."""
        if not self._fast:
            return self._general()
        n = self.n
        self._fill()
        t = self._table
        ratio = self._least_ratio
        least = self._least
        for i in range(n):
            least[i] = kernels.least_mbit(t[0, i], kernels.floor_mbit(t[3, i], t[4, i], t[5, i], t[6, i]), ratio)
            if not math.isfinite(least[i]):
                return False
        self._barrier.pose_arrays(
            n,
            (self._band_mhz, n * _G_PER_REFERENCE, _G_PER_REFERENCE, self._weight),
            t[1, :n],
            t[2, :n],
            t[7, :n],
            t[4, :n],
            t[5, :n],
            least[:n],
            t[0, :n],
            None,
            None,
            t[11, :n] if self._energy_weight > 0.0 else None,
        )
        try:
            if not optimum(self._barrier, self._weight * _total(t[3, :n])):
                return False
        except FastSolverError:
            return self._general()
        point, si = self._point, self._si
        self._barrier.point_into(point)
        kernels.to_si_into(
            point[0, :n], point[1, :n], point[2, :n], t[0, :n], self._band_mhz, n * _G_PER_REFERENCE,
            _G_PER_REFERENCE, ratio, MHZ, GHZ, si
        )  # fmt: skip
        for i in range(n):
            si[3, i] = _share(t[8, i], si[1, i])
        self.bandwidth_hz, self.compression, self.share = si[0, :n], si[2, :n], si[3, :n]
        return True

    def _general(self) -> bool:
        """:meth:`solve` by :func:`allocate_uploads`."""
        decision = allocate_uploads(self.uploads(), self._servers, self._system)
        if isinstance(decision, str):
            return False
        self.bandwidth_hz, self.compression, self.share = decision.bandwidth_hz, decision.compression, decision.share
        return True

    def lone(self) -> float:
        """:func:`lone_upload` of the batch's first upload (a starting one, alone at the station): its compression
        ratio, or a negative number where there is none."""
        row, kind = self._inputs, self._kinds
        j = kind[0, 0]
        _, seconds, scaled, budget, k = _row_terms(
            self._slots[j], self._busy[j], self._degradation[j], row[2, 0], kind[1, 0] != 0, False, row[7, 0],
            row[8, 0], 1
        )  # fmt: skip
        return float(
            _lone_core(
                row[0, 0], row[1, 0], row[3, 0], row[4, 0], row[5, 0], row[6, 0], seconds, scaled, budget, k,
                self._weight, self._bandwidth_hz, self._least_ratio, self._energy_weight, self._upload_power_w
            )
        )  # fmt: skip


def _row_terms(
    vm_slots: int,
    busy_vms: int,
    degradation: float,
    vm_s: float,
    scales: bool,
    fixed: bool,
    deadline_s: float,
    overhead: float,
    m: int,
) -> tuple[float, float, bool, float, float]:
    """An upload's compute cap (share of a VM), its first stage's seconds at the cap and the whole of its data
    (slowdown included), whether that time scales with the data, its budget ``T'`` and the factor ``T / T'`` of
    its curve, ``m`` being the batch's tasks on its node of ``vm_slots`` VMs, ``busy_vms`` busy (module
    docstring)."""
    free = vm_slots - busy_vms
    if free < 1:
        raise ValueError("an upload's node has no free VM (the caller decides where such tasks go)")
    cap = min(1.0, free / m)
    seconds = (1.0 + degradation) ** (min(busy_vms + m, vm_slots) - 1) * vm_s / cap
    scaled = scales and not fixed
    budget = max(deadline_s - (overhead if scaled else overhead + seconds), 1e-9)
    return cap, seconds, scaled, budget, deadline_s / budget


def _total(values: FloatArray) -> float:
    """``np.add.reduce(values)`` to the last bit: left to right below 8 values (NumPy's own order there), else
    NumPy's pairwise sum."""
    n = values.shape[0]
    if n >= 8:
        return float(np.add.reduce(values))
    total = 0.0
    for i in range(n):
        total += values[i]
    return total


def _share(cap: float, compute_hz: float) -> float:
    """A task's compute share of a VM of its node, given its cap and the compute (Hz of the instance) it got."""
    return cap * min(compute_hz / REFERENCE_HZ, 1.0)


def _terms(u: Upload, server: Server, m: int) -> tuple[float, float, bool, float, float]:
    """:func:`_row_terms` of ``u`` on ``server``."""
    return _row_terms(
        server.vm_slots, server.busy_vms, server.degradation, u.vm_s, u.scales, u.fixed, u.deadline_s, u.overhead_s, m
    )


def solve(posed: Posed, method: str, *, admission: bool = False) -> Solved | str:
    """The one call of the allocation solver (seed §3.2, ``proposed`` scheme) for every user of this module: each
    task's bandwidth (Hz), compute (Hz of the instance) and compression ratio and whether it is admitted, or why
    the batch cannot be served. Without ``admission`` the lean path (:func:`~mcfn.allocation.solve.solve_formulation`
    on the posed arrays); with it :func:`~mcfn.allocation.solve.allocate`, which turns tasks away by the spec's rule.
    """
    if admission:
        result = allocate(posed.instance, method=method, admission=True)
        if result.status != "optimal":
            return result.reason or result.status
        columns = np.array([(t.bandwidth_hz, t.compute_hz, t.compression, t.admitted) for t in result.tasks]).T
        return Solved(columns[0], columns[1], columns[2], columns[3] > 0.0)
    try:
        raw = solve_formulation(formulate(Scheme.PROPOSED, posed.tasks), method)
    except AllSolversFailedError as exc:
        return f"every solver failed: {exc}"
    if raw is None:
        return infeasibility_reason(posed.instance, Scheme.PROPOSED)
    return Solved(*to_si(posed.tasks, raw), np.ones(posed.tasks.n, dtype=bool))


def allocate_uploads(
    uploads: Sequence[Upload], servers: Sequence[Server], system: UplinkSystem, *, admission: bool = False
) -> UplinkAllocation | str:
    """Seed §3.2 for ``uploads`` (module docstring): the closed forms where they apply, else :func:`solve`.

    Returns the allocation, or the reason when the batch cannot be served within its deadlines and floors. With
    ``admission`` the solver turns tasks away one by one (the spec's rule) instead, and ``admitted`` says whom.
    """
    started = time.perf_counter()
    if len(uploads) == 1 and not uploads[0].fixed:
        return _lone(uploads[0], servers[uploads[0].server], system, started)
    posed = pose(uploads, servers, system)
    solved = solve(posed, system.method, admission=admission)
    if isinstance(solved, str):
        return solved
    share, compute_s = _shares(posed, solved)
    return UplinkAllocation(
        solved.bandwidth_hz,
        solved.compression,
        share,
        compute_s,
        solved.admitted,
        time.perf_counter() - started,
        False,
    )


def _shares(posed: Posed, solved: Solved) -> tuple[FloatArray, FloatArray]:
    """Each task's compute share of a VM of its node and its first stage's compute seconds at that share and its
    ratio (0 for a task turned away)."""
    n = posed.tasks.n
    out = np.zeros((2, n))
    values = out
    cap, seconds, scales = posed.cap, posed.compute_s, posed.scales
    compute, compression, admitted = solved.compute_hz, solved.compression, solved.admitted
    for i in range(n):
        if admitted[i]:
            values[0, i] = share = _share(cap[i], compute[i])
            values[1, i] = seconds[i] * cap[i] * (compression[i] if scales[i] else 1.0) / share
    return out[0], out[1]


def _lone(upload: Upload, server: Server, system: UplinkSystem, started: float) -> UplinkAllocation | str:
    """:func:`allocate_uploads` for one starting upload: :func:`lone_upload` in scalars (the simulator's common
    case), with the whole band and a whole VM."""
    terms = _terms(upload, server, 1)
    rho = _lone_ratio(upload, system, terms)
    if isinstance(rho, str):
        return rho
    _, seconds, scaled, _, _ = terms
    return UplinkAllocation(
        np.array([system.bandwidth_hz]),
        np.array([rho]),
        np.array([1.0]),
        np.array([seconds * rho if scaled else seconds]),
        np.array([True]),
        time.perf_counter() - started,
        True,
    )


def lone_upload(upload: Upload, server: Server, system: UplinkSystem) -> float | str:
    """The compression ratio of the optimum of seed §3.2 for one starting upload alone on its node (module
    docstring), or why there is none. O(1); exact: the utility is concave in the data once bandwidth and compute
    are at their (binding) maxima."""
    return _lone_ratio(upload, system, _terms(upload, server, 1))


def _lone_ratio(upload: Upload, system: UplinkSystem, terms: tuple[float, float, bool, float, float]) -> float | str:
    """:func:`lone_upload` given the upload's :func:`_terms` alone on its node."""
    _, seconds, scaled, budget, k = terms
    curve = upload.curve
    ratio = _lone_core(
        upload.snr_hz, upload.data_bits, curve.p, curve.q, curve.r, upload.min_accuracy, seconds, scaled, budget, k,
        system.weight, system.bandwidth_hz, system.min_compression, system.energy_weight, system.upload_power_w
    )  # fmt: skip
    if ratio == _FLOOR_OUT_OF_REACH:
        return f"accuracy floor {upload.min_accuracy:g} is above what the uncompressed input reaches"
    if ratio == _TOO_LATE:
        return "its deadline and accuracy floor cannot both be met, even alone with the whole band"
    return ratio


def _lone_core(
    snr_hz: float,
    data: float,
    p: float,
    q: float,
    r: float,
    min_accuracy: float,
    seconds: float,
    scaled: bool,
    budget: float,
    k: float,
    w: float,
    bandwidth: float,
    min_compression: float,
    energy_weight: float,
    upload_power_w: float,
) -> float:
    """:func:`lone_upload` in scalars: the ratio, or :data:`_FLOOR_OUT_OF_REACH` or :data:`_TOO_LATE`."""
    p, q, floor = k * p, k * q, k * min_accuracy
    rate = bandwidth * math.log2(1.0 + snr_hz / bandwidth)
    per_bit_s = 1.0 / rate + (seconds / data if scaled else NEGLIGIBLE_CYCLES_PER_BIT / REFERENCE_HZ)
    headroom = p - floor
    if headroom < 0 or (headroom == 0 and q > 0):
        return _FLOOR_OUT_OF_REACH
    floor_bits = MBIT * kernels.floor_mbit(p, q, r, floor) if q > 0 and headroom > 0 else 0.0
    low = max(min_compression * data, floor_bits)
    high = min(data, budget / per_bit_s)
    if low > high * (1 + 1e-12):
        return _TOO_LATE
    # the latency's and the energy's cost per bit, both times T': (1 - w) c1 + T' k λ P / R(B)
    cost = (1.0 - w) * per_bit_s + budget * k * energy_weight * upload_power_w / rate
    if cost <= 0.0:
        best = high
    elif w <= 0.0 or q == 0.0:
        best = low
    else:
        best = (w * q * r * budget * MBIT**r / cost) ** (1.0 / (r + 1.0))
    return min(max(best, low), high) / data
