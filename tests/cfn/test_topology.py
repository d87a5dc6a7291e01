import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcfn.compute import UnknownIdError
from mcfn.network.topology import HexSpec, Link, Role, Topology, TopologyError, hex_topology, parse_topology


def diamond() -> Topology:
    """s - a - t is slow but short; s - b - t is fast; the fast one has the bottleneck 1 Gb/s."""
    return Topology(
        roles={"s": "base_station", "a": "core", "b": "core", "t": "cloud"},
        links=[
            Link(a="s", b="a", bandwidth_bps=1e8, delay_s=1e-3),
            Link(a="a", b="t", bandwidth_bps=1e8, delay_s=1e-3),
            Link(a="s", b="b", bandwidth_bps=1e10, delay_s=2e-3),
            Link(a="b", b="t", bandwidth_bps=1e9, delay_s=2e-3),
        ],
    )


def test_fastest_path_and_its_exact_latency():
    topo = diamond()
    assert topo.path("s", "t") == ("s", "b", "t")
    assert topo.transfer_s("s", "t", 1e6) == pytest.approx(4e-3 + 1e6 / 1e9)
    assert topo.transfer_s("s", "s", 1e6) == 0.0


def test_changing_a_link_invalidates_cached_paths():
    topo = diamond()
    before = topo.fastest_paths("s")
    assert topo.fastest_paths("s") is before
    topo.update_link("s", "b", bandwidth_bps=1e6)
    assert topo.version == 1
    assert topo.path("s", "t") == ("s", "a", "t")
    assert topo.transfer_s("s", "t", 1e6) == pytest.approx(2e-3 + 1e6 / 1e8)


def test_unreachable_targets_are_infinite_and_pathless():
    topo = Topology(
        roles={"x": "core", "y": "core", "z": "cloud"}, links=[Link(a="x", b="y", bandwidth_bps=1, delay_s=0)]
    )
    assert topo.path("x", "z") == ()
    assert topo.transfer_s("x", "z", 1.0) == np.inf


def test_bad_links_and_names():
    with pytest.raises(ValueError, match="bandwidth_bps must be positive"):
        Link(a="x", b="y", bandwidth_bps=0, delay_s=0)
    with pytest.raises(UnknownIdError, match="unknown topology node 'nope'"):
        diamond().path("s", "nope")


def test_hex_layout_has_the_expected_elements_and_hierarchy():
    topo = hex_topology(HexSpec(rings=2, terminals_per_cell=3, cells_per_aggregation=7), np.random.default_rng(1))
    assert len(topo.nodes_with_role(Role.BASE_STATION)) == 19
    assert len(topo.nodes_with_role(Role.EDGE_SERVER)) == 19
    assert len(topo.nodes_with_role(Role.TERMINAL)) == 57
    assert len(topo.nodes_with_role(Role.AGGREGATION)) == 3
    assert topo.path("ue0.0", "edge0") == ("ue0.0", "bs0", "edge0")
    assert topo.path("bs0", "cloud") == ("bs0", "agg0", "core", "cloud")
    radio_bps = [topo.link(f"ue0.{k}", "bs0").bandwidth_bps for k in range(3)]
    assert all(1e5 < r < 1e9 for r in radio_bps)
    a, b = topo.positions_m["bs0"], topo.positions_m["bs1"]
    assert np.hypot(a[0] - b[0], a[1] - b[1]) == pytest.approx(np.sqrt(3) * 500)


def test_hex_is_reproducible_for_a_seed():
    def rates(seed):
        topo = hex_topology(HexSpec(rings=1, terminals_per_cell=2), np.random.default_rng(seed))
        return [link.bandwidth_bps for link in topo.links()]

    assert rates(3) == rates(3)
    assert rates(3) != rates(4)


def test_document_builds_explicit_and_hex_topologies():
    explicit = parse_topology(
        {
            "nodes": [{"id": "bs0", "role": "base_station"}, {"id": "cloud", "role": "cloud"}],
            "links": [{"a": "bs0", "b": "cloud", "bandwidth_bps": "1e9", "delay_s": 0.01}],
        }
    )
    assert explicit.transfer_s("bs0", "cloud", 1e9) == pytest.approx(1.01)
    assert len(parse_topology({"hex": {"rings": 1}})) == 7 * 2 + 3


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"hex": {"rings": -1}}, r"^hex\.rings: Input should be greater than or equal to 0$"),
        ({"nodes": [{"id": "a", "role": "router"}], "links": []}, r"^nodes\[0\]\.role: Input should be"),
        (
            {"nodes": [{"id": "a", "role": "core"}], "links": [{"a": "a", "b": "q", "bandwidth_bps": 1, "delay_s": 0}]},
            "links\\[0\\] names an unknown node 'q'",
        ),
        (
            {
                "nodes": [{"id": "a", "role": "core"}, {"id": "b", "role": "core"}],
                "links": [{"a": "a", "b": "b", "bandwidth_bps": -1, "delay_s": 0}],
            },
            r"^links\[0\]\.bandwidth_bps: Input should be greater than 0$",
        ),
        ({}, "either 'hex' or 'nodes'"),
        ({"hex": {}, "extra": 1}, "^extra: Extra inputs are not permitted$"),
    ],
)
def test_bad_documents_give_one_line_naming_the_field(document, message):
    with pytest.raises(TopologyError, match=message) as info:
        parse_topology(document)
    assert "\n" not in str(info.value)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 25),
    extra=st.integers(0, 40),
    seed=st.integers(0, 2**32 - 1),
    bits=st.floats(0, 1e8),
)
def test_fastest_paths_agree_with_networkx(n, extra, seed, bits):
    """The tree's delay sums and bottlenecks are those of networkx's shortest path for the same weights."""
    rng = np.random.default_rng(seed)
    pairs = {(int(rng.integers(i)), i) for i in range(1, n)}  # a random spanning tree keeps it connected
    pairs |= {tuple(sorted(map(int, rng.choice(n, 2, replace=False)))) for _ in range(extra)}
    links = [
        Link(a=f"n{a}", b=f"n{b}", bandwidth_bps=float(rng.uniform(1e6, 1e10)), delay_s=float(rng.uniform(0, 1e-2)))
        for a, b in sorted(pairs)
    ]
    topo = Topology(roles={f"n{i}": "core" for i in range(n)}, links=links)
    graph = nx.Graph()
    for link in links:
        graph.add_edge(link.a, link.b, w=link.delay_s + 1e6 / link.bandwidth_bps, link=link)
    lengths = nx.single_source_dijkstra_path_length(graph, "n0", weight="w")
    tree = topo.fastest_paths("n0")
    for target in topo.names[1:]:
        path = topo.path("n0", target)
        hops = [graph.edges[a, b]["link"] for a, b in itertools.pairwise(path)]
        assert sum(graph.edges[a, b]["w"] for a, b in itertools.pairwise(path)) == pytest.approx(lengths[target])
        i = topo.index_of(target)
        assert tree.delay_s[i] == pytest.approx(sum(h.delay_s for h in hops))
        assert tree.bottleneck_bps[i] == min(h.bandwidth_bps for h in hops)
        assert topo.transfer_s("n0", target, bits) == pytest.approx(
            sum(h.delay_s for h in hops) + bits / min(h.bandwidth_bps for h in hops)
        )


def _one_tree(topo: Topology, source: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One source's tree as the simulator computed it before trees were batched: scipy's Dijkstra from that source
    alone, then each path's delay added up hop by hop from the source and its least bandwidth."""
    from scipy.sparse.csgraph import dijkstra

    weight, _, _ = topo._csr()
    _, pred = dijkstra(weight, directed=True, indices=source, return_predecessors=True)
    delay, bottleneck = np.full(len(topo), np.inf), np.zeros(len(topo))
    for target in range(len(topo)):
        if target != source and pred[target] < 0:
            continue
        hops = [target]
        while hops[-1] != source:
            hops.append(int(pred[hops[-1]]))
        total, least = 0.0, np.inf
        for a, b in itertools.pairwise(hops[::-1]):
            link = topo.link(topo.names[a], topo.names[b])
            total, least = total + link.delay_s, min(least, link.bandwidth_bps)
        delay[target], bottleneck[target] = total, least
    return np.asarray(pred, dtype=np.int64), delay, bottleneck


@pytest.mark.parametrize("seed", range(3))
def test_batched_trees_equal_one_source_at_a_time(seed, monkeypatch):
    """Trees computed together (in several blocks) are bit for bit those of one Dijkstra per source, on random
    topologies with parallel-cost ties (repeated delays and bandwidths), zero delays and an unreachable part."""
    import mcfn.network.topology.paths as paths

    rng = np.random.default_rng(seed)
    n = 60
    pairs = {(int(rng.integers(i)), i) for i in range(1, n - 5)}  # the last 5 nodes: an island of their own
    pairs |= {tuple(sorted(map(int, rng.choice(n - 5, 2, replace=False)))) for _ in range(80)}
    pairs |= {(n - 5 + i, n - 4 + i) for i in range(4)}
    links = [
        Link(
            a=f"n{a}",
            b=f"n{b}",
            bandwidth_bps=float(rng.choice([1e8, 1e9, 1e10])),
            delay_s=float(rng.choice([0, 1e-3, 2e-3])),
        )
        for a, b in sorted(pairs)
    ]
    topo = Topology(roles={f"n{i}": "core" for i in range(n)}, links=links)
    monkeypatch.setattr(paths, "BLOCK_CELLS", 7 * n)  # blocks of 7 sources
    topo.batch_fastest_paths(topo.names)
    first = topo.fastest_paths("n3")
    assert first is topo.fastest_paths("n3")
    for source in range(n):
        tree = topo.fastest_paths(source)
        pred, delay, bottleneck = _one_tree(topo, source)
        assert tree.source == source
        assert np.array_equal(tree.predecessor, pred)
        assert np.array_equal(tree.delay_s, delay)
        assert np.array_equal(tree.bottleneck_bps, bottleneck)
        finite = np.isfinite(bottleneck) & (bottleneck > 0)
        assert np.array_equal(tree.seconds_per_bit[finite], 1.0 / bottleneck[finite])
        assert not tree.seconds_per_bit[~finite].any()
    topo.update_link("n0", topo.neighbours("n0")[0], delay_s=5e-3)  # a change drops every tree; all come back
    assert np.array_equal(topo.fastest_paths(0).delay_s, _one_tree(topo, 0)[1])
