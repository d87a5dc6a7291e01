"""Network topology (seed §3.1, network resource layer): graph, fastest paths, builders, YAML documents."""

from mcfn.network.topology.builders import HexSpec, hex_centres_m, hex_topology
from mcfn.network.topology.graph import Link, Role, Topology
from mcfn.network.topology.io import TopologyError, load_topology, parse_topology
from mcfn.network.topology.paths import FastestPaths

__all__ = [
    "FastestPaths",
    "HexSpec",
    "Link",
    "Role",
    "Topology",
    "TopologyError",
    "hex_centres_m",
    "hex_topology",
    "load_topology",
    "parse_topology",
]
