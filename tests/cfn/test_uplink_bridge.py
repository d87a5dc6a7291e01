"""A station's uploads as seed §3.2 (mcfn.orchestration.uplink): the instance posed for the nodes that run the first
stages, the closed forms held to the exact solver, compute shares per node, work that does or does not scale."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mcfn.allocation import AccuracyCurve, allocate
from mcfn.network import radio
from mcfn.orchestration.uplink import (
    Server,
    UplinkAllocation,
    UplinkSystem,
    Upload,
    allocate_uploads,
    lone_upload,
    pose,
)

SYSTEM = UplinkSystem(bandwidth_hz=20e6, noise_psd_dbm_hz=-174.0, weight=0.5, min_compression=0.05)
#: An edge server (4 VMs, d = 0.1) and a cloud (7 VMs, no degradation).
SERVERS = (Server(vm_slots=4, busy_vms=0, degradation=0.1), Server(vm_slots=7, busy_vms=0, degradation=0.0))


def _upload(rng: np.random.Generator, *, fixed: bool = False, server: int = 0, scales: bool = True) -> Upload:
    gain = radio.channel_gain(rng.uniform(0.05, 0.5) * 1000.0)
    return Upload(
        snr_hz=float(radio.snr_bandwidth_hz(0.2, gain, radio.noise_psd_w_per_hz(-174.0))),
        data_bits=rng.uniform(0.3e6, 3e6),
        vm_s=rng.uniform(0.003, 0.02),
        scales=scales,
        server=server,
        curve=AccuracyCurve(p=rng.uniform(0.8, 1.0), q=rng.uniform(0.05, 0.2), r=rng.uniform(0.4, 0.9)),
        min_accuracy=0.3,
        deadline_s=rng.uniform(0.1, 0.5),
        overhead_s=rng.uniform(0.0, 0.03),
        fixed=fixed,
    )


def _exact(uploads: list[Upload]) -> UplinkAllocation | str:
    """The batch solved by the exact solver, whatever the closed forms would say."""
    posed = pose(uploads, SERVERS, SYSTEM)
    result = allocate(posed.instance, method="exact", admission=False)
    if result.status != "optimal":
        return result.reason or result.status
    return result


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("server", [0, 1])
@pytest.mark.parametrize("scales", [True, False])
def test_the_lone_upload_closed_form_is_the_exact_solvers_optimum(seed, server, scales):
    upload = _upload(np.random.default_rng(seed), server=server, scales=scales)
    closed = allocate_uploads([upload], SERVERS, SYSTEM)
    solved = _exact([upload])
    if isinstance(solved, str):
        assert isinstance(closed, str)
        return
    assert isinstance(closed, UplinkAllocation)
    assert closed.closed_form
    assert closed.bandwidth_hz[0] == pytest.approx(solved.tasks[0].bandwidth_hz, rel=1e-5)
    assert closed.compression[0] == pytest.approx(solved.tasks[0].compression, rel=1e-4)


@pytest.mark.parametrize("seed", range(6))
def test_a_lone_upload_maximises_the_seeds_utility_with_its_whole_route(seed):
    """The accuracy curve scaled by ``T / T'`` makes the choice the seed's: the best ``ρ`` on a fine grid of
    ``w A(ρ D) − (1 − w) (t_up + t_cmp + overhead) / T`` (the whole deadline), within the grid's step."""
    rng = np.random.default_rng(100 + seed)
    upload = _upload(rng)._replace(overhead_s=0.04, deadline_s=0.3, min_accuracy=0.0)
    decision = allocate_uploads([upload], SERVERS, SYSTEM)
    assert isinstance(decision, UplinkAllocation)
    rho = np.linspace(SYSTEM.min_compression, 1.0, 200_001)
    rate = radio.shannon_rate_bps(SYSTEM.bandwidth_hz, 1.0, upload.snr_hz, 1.0)
    latency = rho * upload.data_bits / rate + rho * upload.vm_s + upload.overhead_s
    accuracy = upload.curve.p - upload.curve.q * (rho * upload.data_bits / 1e6) ** (-upload.curve.r)
    utility = np.where(latency <= upload.deadline_s, 0.5 * accuracy - 0.5 * latency / upload.deadline_s, -np.inf)
    assert decision.compression[0] == pytest.approx(rho[np.argmax(utility)], abs=2e-5)


def test_an_accuracy_floor_out_of_reach_turns_a_lone_upload_away():
    upload = _upload(np.random.default_rng(0))._replace(min_accuracy=0.99)
    assert isinstance(allocate_uploads([upload], SERVERS, SYSTEM), str)
    assert isinstance(lone_upload(upload, SERVERS[0], SYSTEM), str)


def test_uploads_in_progress_keep_their_data_and_the_band_is_shared():
    rng = np.random.default_rng(5)
    uploads = [_upload(rng, fixed=True), _upload(rng, fixed=True, server=1), _upload(rng)]
    uploads = [u._replace(deadline_s=1.0) for u in uploads]
    decision = allocate_uploads(uploads, SERVERS, SYSTEM)
    assert isinstance(decision, UplinkAllocation)
    assert not decision.closed_form
    assert decision.bandwidth_hz.sum() == pytest.approx(SYSTEM.bandwidth_hz, rel=1e-6)
    assert decision.compression[:2] == pytest.approx([1.0, 1.0], rel=1e-6)
    assert SYSTEM.min_compression * (1 - 1e-6) <= decision.compression[2] < 1.0
    new = uploads[2]
    assert new.curve.accuracy(decision.compression[2] * new.data_bits) >= new.min_accuracy - 1e-6


@pytest.mark.parametrize(("slots", "busy", "on_edge"), [(4, 0, 2), (2, 0, 3), (4, 2, 4), (3, 1, 5)])
def test_each_node_keeps_its_own_compute_budget(slots, busy, on_edge):
    """Tasks on the edge get equal shares of its free VMs when they outnumber them, a whole VM otherwise; the
    cloud's task is not charged to the edge; every share is within its node's budget and applied to the task's own
    one-VM time (its node's f_max), with the node's slowdown."""
    servers = (Server(vm_slots=slots, busy_vms=busy, degradation=0.1), SERVERS[1])
    rng = np.random.default_rng(slots * 10 + on_edge)
    uploads = [_upload(rng)._replace(deadline_s=1.0) for _ in range(on_edge)]
    uploads.append(_upload(rng, server=1)._replace(deadline_s=1.0))
    decision = allocate_uploads(uploads, servers, SYSTEM)
    assert isinstance(decision, UplinkAllocation)
    free = slots - busy
    cap = min(1.0, free / on_edge)
    assert decision.share[:on_edge] == pytest.approx(np.full(on_edge, cap), rel=1e-2)
    assert decision.share[:on_edge].sum() <= free * (1 + 1e-9)
    assert decision.share[on_edge] == pytest.approx(1.0, rel=1e-2)
    slowdown = 1.1 ** (min(busy + on_edge, slots) - 1)
    triples = zip(uploads, decision.compression, decision.share, strict=True)
    expected = [slowdown * u.vm_s * rho / f for u, rho, f in triples]
    expected[-1] = uploads[-1].vm_s * decision.compression[-1] / decision.share[-1]  # the cloud: d = 0, alone
    assert decision.compute_s == pytest.approx(expected, rel=1e-9)


def test_work_that_does_not_scale_with_the_input_is_a_constant_of_the_problem():
    rng = np.random.default_rng(11)
    scaling = _upload(rng, scales=True)._replace(deadline_s=0.5, vm_s=0.04)
    fixed_work = scaling._replace(scales=False)
    a = allocate_uploads([scaling], SERVERS, SYSTEM)
    b = allocate_uploads([fixed_work], SERVERS, SYSTEM)
    assert isinstance(a, UplinkAllocation)
    assert isinstance(b, UplinkAllocation)
    assert a.compute_s[0] == pytest.approx(scaling.vm_s * a.compression[0])
    assert b.compute_s[0] == pytest.approx(fixed_work.vm_s)
    # compressing saves compute only where the work scales: the scaling task compresses harder
    assert a.compression[0] < b.compression[0]
    posed = pose([fixed_work], SERVERS, SYSTEM)
    assert posed.instance.tasks[0].deadline_s == pytest.approx(0.5 - fixed_work.overhead_s - fixed_work.vm_s)


def test_a_node_without_a_free_vm_cannot_be_posed():
    upload = _upload(np.random.default_rng(3))
    with pytest.raises(ValueError, match="no free VM"):
        pose([upload], (Server(vm_slots=2, busy_vms=2, degradation=0.1),), SYSTEM)


def test_admission_turns_away_the_hopeless_and_serves_the_rest():
    rng = np.random.default_rng(9)
    good = _upload(rng)._replace(deadline_s=0.5)
    hopeless = _upload(rng)._replace(snr_hz=1e4, deadline_s=0.5)  # at most 14 kbit/s
    assert isinstance(allocate_uploads([good, hopeless], SERVERS, SYSTEM), str)
    decision = allocate_uploads([good, hopeless], SERVERS, SYSTEM, admission=True)
    assert isinstance(decision, UplinkAllocation)
    assert decision.admitted.tolist() == [True, False]
    assert decision.share[1] == 0.0
    assert decision.compute_s[1] == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_a_lone_upload_weighs_its_transmit_energy_as_the_solver_does(seed):
    """With ``energy_weight`` λ and the terminal's draw ``P``, the closed form maximises ``w A − (1 − w) T / T_max
    − λ P t_up`` on a fine grid (the seed's units, the whole route), and equals the exact solver's optimum."""
    system = dataclasses.replace(SYSTEM, energy_weight=20.0, upload_power_w=2.0)
    upload = _upload(np.random.default_rng(200 + seed))._replace(overhead_s=0.04, deadline_s=0.3, min_accuracy=0.0)
    decision = allocate_uploads([upload], SERVERS, system)
    assert isinstance(decision, UplinkAllocation)
    rho = np.linspace(system.min_compression, 1.0, 200_001)
    rate = radio.shannon_rate_bps(system.bandwidth_hz, 1.0, upload.snr_hz, 1.0)
    upload_s = rho * upload.data_bits / rate
    latency = upload_s + rho * upload.vm_s + upload.overhead_s
    accuracy = upload.curve.p - upload.curve.q * (rho * upload.data_bits / 1e6) ** (-upload.curve.r)
    utility = 0.5 * accuracy - 0.5 * latency / upload.deadline_s - 20.0 * 2.0 * upload_s
    best = rho[np.argmax(np.where(latency <= upload.deadline_s, utility, -np.inf))]
    assert decision.compression[0] == pytest.approx(best, abs=2e-5)
    assert decision.compression[0] < allocate_uploads([upload], SERVERS, SYSTEM).compression[0]
    solved = allocate(pose([upload], SERVERS, system).instance, method="exact", admission=False)
    assert decision.compression[0] == pytest.approx(solved.tasks[0].compression, rel=1e-4)
