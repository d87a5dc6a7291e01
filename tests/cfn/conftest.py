"""Shared builders of small, hand-checkable networks for the CFN tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcfn.awareness import AwareView
from mcfn.compute import ComputeNode, Fleet, ServiceCatalog
from mcfn.network.topology import Link, Topology
from mcfn.routing import Router

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "route_snapshot.yaml"


def line_network(
    *,
    edge_flops: tuple[float, ...] = (1e12, 1e12),
    cloud_flops: float = 1e14,
    slots: int = 2,
    degradation: float = 0.0,
) -> tuple[Topology, Fleet]:
    """bs0 - edge0 (1 ms), bs0 - agg - bs1 - edge1 (3 ms), agg - cloud (20 ms); every link 1 Gb/s.

    Nodes run every op class at the given rate (CPU kind, explicit throughputs), so times are easy to check.
    """
    links = [
        Link(a="bs0", b="edge0", bandwidth_bps=1e9, delay_s=1e-3),
        Link(a="bs0", b="agg", bandwidth_bps=1e9, delay_s=1e-3),
        Link(a="agg", b="bs1", bandwidth_bps=1e9, delay_s=1e-3),
        Link(a="bs1", b="edge1", bandwidth_bps=1e9, delay_s=1e-3),
        Link(a="agg", b="cloud", bandwidth_bps=1e9, delay_s=20e-3),
    ]
    roles = {
        "bs0": "base_station",
        "bs1": "base_station",
        "edge0": "edge_server",
        "edge1": "edge_server",
        "agg": "aggregation",
        "cloud": "cloud",
    }
    topology = Topology(roles=roles, links=links)

    def node(name: str, tier: str, flops: float) -> ComputeNode:
        speeds = dict.fromkeys(("conv", "matmul", "elementwise", "other"), flops)
        return ComputeNode(
            node_id=name,
            tier=tier,
            kind="cpu",
            throughput_flops_per_s=speeds,
            memory_bytes=1e10,
            vm_slots=slots,
            degradation=degradation,
        )

    nodes = [node(f"edge{i}", "edge", f) for i, f in enumerate(edge_flops)] + [node("cloud", "cloud", cloud_flops)]
    return topology, Fleet(nodes)


def router_for(topology: Topology, fleet: Fleet, view: AwareView | None = None) -> Router:
    catalog = ServiceCatalog({"svc": fleet.node_ids})
    return Router(topology=topology, catalog=catalog, view=view or AwareView(fleet))


@pytest.fixture
def line() -> tuple[Topology, Fleet]:
    return line_network()


@pytest.fixture(scope="session")
def make_line():
    """The :func:`line_network` factory, for tests that vary its parameters."""
    return line_network


@pytest.fixture(scope="session")
def make_router():
    """The :func:`router_for` factory: one service ``svc`` hosted on every node."""
    return router_for


@pytest.fixture
def example_path() -> Path:
    return EXAMPLE
