"""Transfers over the wired network: a path's hops and joules found by its names, whichever tuple carries them."""

import pytest

from mcfn.network.topology import Link, Topology
from mcfn.sim.engine import Calling, Simulator
from mcfn.sim.wired import WiredNetwork


def chain() -> Topology:
    """a - b - c: 1 Gb/s then 2 Gb/s, 1 ms and 2 ms of propagation."""
    return Topology(
        roles={"a": "base_station", "b": "aggregation", "c": "core"},
        links=[
            Link(a="a", b="b", bandwidth_bps=1e9, delay_s=1e-3),
            Link(a="b", b="c", bandwidth_bps=2e9, delay_s=2e-3),
        ],
    )


def test_a_path_sent_as_new_tuples_or_the_same_one_takes_its_own_hops_and_joules():
    """Paths built afresh for every transfer (equal names, other tuples; freed tuples' addresses reused) and one
    tuple sent again are carried along their own links and charged their own joules per bit."""
    sim = Simulator(seed=0)
    arrived = {}
    wired = WiredNetwork(sim, chain(), on_blocked=print, j_per_bit={("a", "b"): 1e-9, ("b", "c"): 3e-9})
    names = {"forward": ["a", "b", "c"], "back": ["c", "b"], "short": ["a", "b"], "here": ["b"]}
    seconds = {"forward": 1e-3 + 1e6 / 1e9 + 2e-3 + 1e6 / 2e9, "back": 2e-3 + 1e6 / 2e9, "short": 1e-3 + 1e6 / 1e9}
    joules = {"forward": 4e-9 * 1e6, "back": 3e-9 * 1e6, "short": 1e-9 * 1e6, "here": 0.0}
    kept = tuple(names["forward"])
    sent = []
    for k in range(40):  # one at a time (no sharing): each arrives after its own path's time
        which = ("forward", "back", "short", "here")[k % 4] if k % 5 else "forward"
        path = kept if which == "forward" and k % 10 == 0 else tuple(names[which])
        start = sim.now
        wired.send(k, path, 1e6, Calling(lambda task, start=start: arrived.__setitem__(task, sim.now - start)))
        sim.run()
        sent.append(which)
    assert [arrived[k] for k in range(40)] == pytest.approx([seconds.get(which, 0.0) for which in sent])
    jobs, charged = wired.sent_j.arrays()
    assert jobs.tolist() == list(range(40))
    assert charged.tolist() == pytest.approx([joules[which] for which in sent])
