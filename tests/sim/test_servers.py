"""Compute nodes' advert loop: what it draws from its stream and what reaches the view."""

import numpy as np
import pytest

from mcfn.awareness import AdvertPolicy
from mcfn.compute import Fleet
from mcfn.compute.power import ServerPower
from mcfn.sim.energy import metered_servers
from mcfn.sim.engine import Calling, Simulator
from mcfn.sim.servers import ComputeServers
from mcfn.sim.world import build_world
from tests.sim.conftest import small_scenario


class StoreRecorder:
    """Stands in for the view: records when each delivered advert was sent."""

    def __init__(self) -> None:
        self.sent_s: list[float] = []

    def store(self, j: int, sent_s: float, *fields: float) -> bool:
        self.sent_s.append(sent_s)
        return True


def test_adverts_draw_jitter_and_loss_as_one_generator_call_each():
    """The loop draws its uniforms in batches: the same numbers, in the same order, as ``Generator.uniform`` for the
    jitter and ``Generator.random`` for the loss, called once per advert."""
    node = build_world(small_scenario()).fleet.nodes[0]
    policy = AdvertPolicy(period_s=0.1, jitter_s=0.02, loss_probability=0.3)
    sim = Simulator(seed=5)
    view = StoreRecorder()
    ComputeServers(
        sim, fleet=Fleet([node]), view=view, policy=policy, delay_to_router_s=np.zeros(1), on_computed=Calling(print)
    )
    sim.run(until_s=300.0)  # about 3000 adverts: several batches of draws

    rng = Simulator(seed=5).stream("adverts")
    sent_s, expected = float(rng.uniform(0.0, policy.period_s, size=1)[0]), []
    while sent_s <= 300.0:
        later_s = sent_s + (policy.period_s + rng.uniform(-policy.jitter_s, policy.jitter_s))
        if not rng.random() < policy.loss_probability:
            expected.append(sent_s)
        sent_s = later_s
    assert len(expected) > 2000
    assert view.sent_s == expected


def test_jobs_are_charged_from_when_they_took_a_vm_and_the_rest_at_close_in_that_order():
    """Twelve VMs (no slowdown), twelve jobs and three waiting: each waiting job takes the VM of the first to finish
    then; at close the jobs still holding a VM are charged until then, in the order they took it (more jobs hold
    VMs than the compiled array's first room, and they leave out of order)."""
    node = (
        build_world(small_scenario())
        .fleet.nodes[0]
        .__class__.of_kind(
            node_id="n", tier="edge", kind="cpu", peak_flops_per_s=1e11, memory_bytes=1e9, vm_slots=12, degradation=0.0
        )
    )
    sim = Simulator(seed=0)
    ended = []
    servers = metered_servers(
        sim,
        [node],
        [ServerPower(idle_w=0.0, peak_w=120.0)],
        on_computed=Calling(lambda job: ended.append((job, sim.now))),
    )
    works = [5.0, 1.0, 7.0, 2.0, 9.0, 3.0, 11.0, 4.0, 13.0, 6.0, 15.0, 8.0, 10.0, 10.0, 10.0]
    for job, work in enumerate(works):
        servers.submit(0, job, work)
    sim.run(until_s=8.5)
    servers.close()
    assert ended == [(1, 1.0), (3, 2.0), (5, 3.0), (7, 4.0), (0, 5.0), (9, 6.0), (2, 7.0), (11, 8.0)]
    jobs, joules = servers.dynamic_j.arrays()
    held = [4, 6, 8, 10, 12, 13, 14]  # jobs 12, 13, 14 took the VMs freed at 1, 2 and 3 s
    assert jobs.tolist() == [1, 3, 5, 7, 0, 9, 2, 11, *held]
    seconds = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 8.5, 8.5, 8.5, 8.5, 7.5, 6.5, 5.5]
    assert joules.tolist() == pytest.approx([10.0 * s for s in seconds])  # 120 W over 12 VMs
