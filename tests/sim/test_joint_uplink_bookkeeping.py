"""A joint-allocation station's own records of its uploads in progress (kept in the order of its jobs in service)
stay those of the jobs still sending when uploads end out of their order of arrival: each later decision poses
exactly the uploads in progress, each with the SNR, node and times it was admitted with."""

from __future__ import annotations

from mcfn.allocation.problem import AccuracyCurve
from mcfn.orchestration.uplink import Server, UplinkBatch, UplinkSystem
from mcfn.routing.router import Route, StagedRoute
from mcfn.sim.engine import Simulator
from mcfn.sim.joint_uplink import JointUplink, SolverStats, UploadTerms

SYSTEM = UplinkSystem(
    bandwidth_hz=20e6, noise_psd_dbm_hz=-174.0, weight=0.5, min_compression=0.1, method="fast"
)  # fmt: skip


def _terms(data_bits: float) -> UploadTerms:
    curve = AccuracyCurve(p=0.9, q=0.05, r=0.5)
    return UploadTerms(
        data_bits=data_bits, scales=False, vm_s=(0.01, 0.02), curve=curve, min_accuracy=0.0, deadline_s=5.0,
        radio_s=0.001,
    )  # fmt: skip


def _route(overhead_s: float) -> StagedRoute:
    stage = Route(
        service_id="s", node_id="n", path=(), network_s=overhead_s, queue_s=0.0, compute_s=0.01, budget_s=5.0,
        cloud_fallback=False, arrival_s=0.0,
    )  # fmt: skip
    return StagedRoute(stages=(stage,), return_path=(), deadline_s=5.0)


def test_the_uploads_in_progress_are_posed_as_admitted_after_others_end() -> None:
    sim = Simulator(seed=1)
    batch = UplinkBatch([Server(4, 0, 0.1), Server(8, 0, 0.0)], SYSTEM)
    finished: list[int] = []
    station = JointUplink(
        sim, system=SYSTEM, batch=batch, stats=SolverStats(), on_finish=lambda job, _served_s: finished.append(job)
    )
    # job: (SNR, node, data, the time outside the upload); the middle one sends far less and ends first
    jobs = {1: (3e7, 0, 4e6, 0.05), 2: (5e7, 1, 1e5, 0.07), 3: (4e7, 0, 3e6, 0.03)}
    for job, (snr_hz, node, data_bits, overhead_s) in jobs.items():
        assert station.offer(job, snr_hz, _terms(data_bits), node, _route(overhead_s)) is not None
    sim.run(until_s=0.05)
    assert finished == [2]
    station.offer(4, 6e7, _terms(2e6), 1, _route(0.02))
    posed = batch.uploads()
    assert [(u.snr_hz, u.server, u.overhead_s, u.fixed) for u in posed[:-1]] == [
        (snr_hz, node, overhead_s + 0.001, True) for job, (snr_hz, node, _, overhead_s) in jobs.items() if job != 2
    ]
    assert (posed[-1].snr_hz, posed[-1].fixed) == (6e7, False)
