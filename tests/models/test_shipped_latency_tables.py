"""The per-node latency tables measured on an NVIDIA H200 (examples/latency) fit the shipped zoo graphs."""

from pathlib import Path

import pytest

from mcfn.models.measure import load_latency_table
from mcfn.models.zoo import load_zoo_graph, zoo_names
from mcfn.partition.cost import measured_compute_s
from mcfn.partition.tiers import load_tiers

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", zoo_names())
def test_h200_table_covers_every_node_of_the_zoo_graph(name):
    table = load_latency_table(ROOT / "examples" / "latency" / f"{name}.h200.latency.json")
    assert table.model == name
    assert table.machine.startswith("NVIDIA H200")
    graph = load_zoo_graph(name)
    seconds = measured_compute_s(graph, load_tiers(ROOT / "examples" / "tiers.json"), table.node_latency_s)
    assert seconds.shape == (len(graph.nodes), 3)
    assert (seconds >= 0).all()
    assert seconds.sum() > 0
