"""Compute nodes' advert loop: what it draws from its stream and what reaches the view."""

import numpy as np

from mcfn.awareness import AdvertPolicy
from mcfn.compute import Fleet
from mcfn.sim.engine import Simulator
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
    ComputeServers(sim, fleet=Fleet([node]), view=view, policy=policy, delay_to_router_s=np.zeros(1), on_computed=print)
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
