"""The uploads at a station as seed §3.2: the allocation solver's answer, and the closed forms held to it."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.allocation import AccuracyCurve, Instance, Task, allocate
from mcfn.network import radio
from mcfn.network.joint_uplink import (
    UplinkAllocation,
    UplinkSystem,
    Upload,
    _instance,
    allocate_uploads,
    fixed_uploads,
    lone_upload,
)

SYSTEM = UplinkSystem(
    bandwidth_hz=20e6,
    noise_psd_dbm_hz=-174.0,
    tx_power_w=0.2,
    vm_flops_per_s=4e11,
    vm_slots=4,
    degradation=0.1,
    weight=0.5,
    min_compression=0.05,
)


def _upload(rng: np.random.Generator, *, fixed: bool = False) -> Upload:
    distance_km = rng.uniform(0.05, 0.5)
    gain = radio.channel_gain(distance_km * 1000.0)
    return Upload(
        snr_hz=float(radio.snr_bandwidth_hz(SYSTEM.tx_power_w, gain, radio.noise_psd_w_per_hz(-174.0))),
        data_bits=rng.uniform(0.3e6, 3e6),
        compute_flops=rng.uniform(1e9, 8e9),
        curve=AccuracyCurve(p=rng.uniform(0.8, 1.0), q=rng.uniform(0.05, 0.2), r=rng.uniform(0.4, 0.9)),
        min_accuracy=0.3,
        deadline_s=rng.uniform(0.1, 0.5),
        fixed=fixed,
    )


def _solver_instance(upload: Upload) -> Instance:
    noise = radio.noise_psd_w_per_hz(SYSTEM.noise_psd_dbm_hz)
    task = Task(
        id="t",
        terminal="u",
        data_bits=upload.data_bits,
        cycles_per_bit=upload.compute_flops / upload.data_bits,
        accuracy=upload.curve,
        min_accuracy=upload.min_accuracy,
        deadline_s=upload.deadline_s,
        tx_power_w=SYSTEM.tx_power_w,
        channel_gain=upload.snr_hz * noise / SYSTEM.tx_power_w,
        parallel=1,
    )
    return Instance(
        bandwidth_hz=SYSTEM.bandwidth_hz,
        noise_psd_dbm_hz=SYSTEM.noise_psd_dbm_hz,
        edge_capacity_hz=SYSTEM.vm_flops_per_s * SYSTEM.vm_slots,
        vm_capacity_hz=SYSTEM.vm_flops_per_s,
        degradation=SYSTEM.degradation,
        weight=SYSTEM.weight,
        min_compression=SYSTEM.min_compression,
        tasks=(task,),
    )


@pytest.mark.parametrize("seed", range(8))
def test_the_lone_upload_closed_form_is_the_exact_solvers_optimum(seed):
    upload = _upload(np.random.default_rng(seed))
    closed = lone_upload(upload, SYSTEM)
    solved = allocate(_solver_instance(upload), method="exact", admission=False)
    if solved.status != "optimal":
        assert isinstance(closed, str)
        return
    assert isinstance(closed, UplinkAllocation)
    assert closed.bandwidth_hz[0] == pytest.approx(solved.tasks[0].bandwidth_hz, rel=1e-5)
    assert closed.compression[0] == pytest.approx(solved.tasks[0].compression, rel=1e-4)


def test_an_accuracy_floor_out_of_reach_turns_a_lone_upload_away():
    upload = _upload(np.random.default_rng(0))
    out_of_reach = Upload(**{**{f: getattr(upload, f) for f in upload.__slots__}, "min_accuracy": 0.99})
    assert isinstance(lone_upload(out_of_reach, SYSTEM), str)


def test_uploads_in_progress_keep_their_data_and_the_band_is_shared():
    rng = np.random.default_rng(5)
    uploads = [_upload(rng, fixed=True), _upload(rng, fixed=True), _upload(rng)]
    uploads = [Upload(**{**{f: getattr(u, f) for f in u.__slots__}, "deadline_s": 1.0}) for u in uploads]
    decision = allocate_uploads(uploads, SYSTEM)
    assert isinstance(decision, UplinkAllocation)
    assert decision.bandwidth_hz.sum() == pytest.approx(SYSTEM.bandwidth_hz, rel=1e-6)
    assert decision.compression[:2] == pytest.approx([1.0, 1.0], rel=1e-6)
    assert SYSTEM.min_compression * (1 - 1e-6) <= decision.compression[2] < 1.0
    new = uploads[2]
    assert new.curve.accuracy(decision.compression[2] * new.data_bits) >= new.min_accuracy - 1e-6


@pytest.mark.parametrize(("seed", "count"), [(1, 2), (2, 3), (3, 6), (4, 9)])
def test_fixed_uploads_in_closed_form_are_the_exact_solvers_optimum(seed, count):
    rng = np.random.default_rng(seed)
    uploads = [_upload(rng, fixed=True) for _ in range(count)]
    uploads = [Upload(**{**{f: getattr(u, f) for f in u.__slots__}, "deadline_s": 2.0}) for u in uploads]
    closed = fixed_uploads(uploads, SYSTEM)
    assert closed is not None
    assert closed.closed_form
    solved = allocate(_instance(uploads, SYSTEM), method="exact", admission=False)
    assert solved.status == "optimal"
    solver_bandwidth = np.array([t.bandwidth_hz for t in solved.tasks])
    assert closed.bandwidth_hz == pytest.approx(solver_bandwidth, rel=1e-3)
    assert [t.compression for t in solved.tasks] == pytest.approx(closed.compression, rel=1e-6)
    data = np.array([u.data_bits for u in uploads])
    snr = np.array([u.snr_hz for u in uploads])

    def upload_time_s(bandwidth):  # the bandwidth part of the utility (deadlines equal)
        return float(np.sum(data / radio.shannon_rate_bps(bandwidth, 1.0, snr, 1.0)))

    assert upload_time_s(closed.bandwidth_hz) <= upload_time_s(solver_bandwidth) * (1 + 1e-9)


def test_a_binding_deadline_leaves_fixed_uploads_to_the_solver():
    rng = np.random.default_rng(7)
    uploads = [_upload(rng, fixed=True) for _ in range(4)]
    tight = [Upload(**{**{f: getattr(u, f) for f in u.__slots__}, "deadline_s": 0.02}) for u in uploads]
    assert fixed_uploads(tight, SYSTEM) is None
    decision = allocate_uploads(tight, SYSTEM)
    assert isinstance(decision, str) or not decision.closed_form
