"""The network resource layer's graph: terminals, base stations with edge servers, aggregation, core, cloud.

:class:`Topology` is a networkx graph of named nodes with a :class:`Role` and undirected :class:`Link` s
(bandwidth, propagation delay). It answers fastest-path questions from per-source shortest-path trees that it
caches; :meth:`Topology.update_link` changes a link and drops every cached tree, so an answer is never stale. The
object has no clock: the engine that owns it calls ``update_link`` when its world changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix

from mcfn.compute.ids import unknown_id
from mcfn.network.topology.paths import FastestPaths, fastest_paths_from

#: Reference transfer size that path choice is optimised for (see :mod:`mcfn.network.topology.paths`).
DEFAULT_REFERENCE_BITS = 1e6


class Role(StrEnum):
    """What a topology node is."""

    TERMINAL = "terminal"
    BASE_STATION = "base_station"
    EDGE_SERVER = "edge_server"
    AGGREGATION = "aggregation"
    CORE = "core"
    CLOUD = "cloud"


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """An undirected link between nodes ``a`` and ``b``."""

    a: str
    b: str
    bandwidth_bps: float
    delay_s: float

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ValueError(f"link {self.a}-{self.b}: a link needs two different ends")
        if not self.bandwidth_bps > 0:
            raise ValueError(f"link {self.a}-{self.b}: bandwidth_bps must be positive, got {self.bandwidth_bps}")
        if not self.delay_s >= 0:
            raise ValueError(f"link {self.a}-{self.b}: delay_s must be >= 0, got {self.delay_s}")


class Topology:
    """Named nodes with roles and links; fastest paths cached per source until a link changes."""

    def __init__(
        self,
        *,
        roles: Mapping[str, Role | str],
        links: Iterable[Link],
        positions_m: Mapping[str, tuple[float, float]] | None = None,
        reference_bits: float = DEFAULT_REFERENCE_BITS,
    ) -> None:
        self._graph = nx.Graph()
        for name, role in roles.items():
            self._graph.add_node(name, role=Role(role))
        for link in links:
            for end in (link.a, link.b):
                if end not in self._graph:
                    raise ValueError(f"link {link.a}-{link.b}: {unknown_id('node', end, roles)}")
            if self._graph.has_edge(link.a, link.b):
                raise ValueError(f"link {link.a}-{link.b} is given twice")
            self._graph.add_edge(link.a, link.b, link=link)
        self._names: tuple[str, ...] = tuple(self._graph.nodes)
        self._index = MappingProxyType({name: i for i, name in enumerate(self._names)})
        self._positions = MappingProxyType(dict(positions_m or {}))
        self._reference_bits = float(reference_bits)
        self._matrices: tuple[csr_matrix, csr_matrix, csr_matrix] | None = None
        self._trees: dict[int, FastestPaths] = {}
        self._batch: frozenset[int] = frozenset()
        self._paths: dict[tuple[str, str], tuple[str, ...]] = {}
        self.version = 0

    # --- nodes and links -------------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """Node names; a node's position in this tuple is its index."""
        return self._names

    @property
    def index(self) -> Mapping[str, int]:
        return self._index

    @property
    def positions_m(self) -> Mapping[str, tuple[float, float]]:
        """Planar positions of the nodes that have one (e.g. base stations and terminals of a hex layout)."""
        return self._positions

    def index_of(self, name: str) -> int:
        """Index of node ``name``; raises :class:`~mcfn.compute.ids.UnknownIdError` naming valid nodes."""
        if name not in self._index:
            raise unknown_id("topology node", name, self._index)
        return self._index[name]

    def role(self, name: str) -> Role:
        return self._graph.nodes[self._names[self.index_of(name)]]["role"]

    def nodes_with_role(self, role: Role | str) -> tuple[str, ...]:
        wanted = Role(role)
        return tuple(n for n, r in self._graph.nodes(data="role") if r is wanted)

    def links(self) -> tuple[Link, ...]:
        return tuple(link for _, _, link in self._graph.edges(data="link"))

    def link(self, a: str, b: str) -> Link:
        if not self._graph.has_edge(a, b):
            raise ValueError(f"no link {a}-{b}")
        return self._graph.edges[a, b]["link"]

    def neighbours(self, name: str) -> tuple[str, ...]:
        return tuple(self._graph.neighbors(self._names[self.index_of(name)]))

    def __len__(self) -> int:
        return len(self._names)

    def update_link(self, a: str, b: str, *, bandwidth_bps: float | None = None, delay_s: float | None = None) -> None:
        """Change a link's bandwidth and/or delay; every cached fastest path is dropped."""
        old = self.link(a, b)
        new = Link(
            a=old.a,
            b=old.b,
            bandwidth_bps=old.bandwidth_bps if bandwidth_bps is None else bandwidth_bps,
            delay_s=old.delay_s if delay_s is None else delay_s,
        )
        self._graph.edges[a, b]["link"] = new
        self._matrices = None
        self._trees.clear()
        self._paths.clear()
        self.version += 1

    # --- paths -----------------------------------------------------------------------------------------------
    def batch_fastest_paths(self, sources: Iterable[str]) -> None:
        """Compute the trees of ``sources`` together: from now on, the first tree asked of one of them (and the
        first after every link change) comes with every other one of them, in one vectorised call (much faster
        than one at a time on a large topology). What :meth:`fastest_paths` answers does not change."""
        self._batch = frozenset(self.index_of(name) for name in sources)

    def fastest_paths(self, source: str | int) -> FastestPaths:
        """The fastest-path tree from ``source`` (a name or an index), cached until a link changes."""
        src = self.index_of(source) if isinstance(source, str) else int(source)
        tree = self._trees.get(src)
        if tree is None:
            batch = [src]
            if src in self._batch:
                batch += sorted(s for s in self._batch if s != src and s not in self._trees)
            for computed in fastest_paths_from(*self._csr(), batch):
                self._trees[computed.source] = computed
            tree = self._trees[src]
        return tree

    def path(self, source: str, target: str) -> tuple[str, ...]:
        """Node names on the fastest path from ``source`` to ``target``; empty if unreachable (cached until a link
        changes)."""
        key = (source, target)
        path = self._paths.get(key)
        if path is None:
            hops = self.fastest_paths(source).path(self.index_of(target))
            path = self._paths[key] = tuple(self._names[i] for i in hops)
        return path

    def transfer_s(self, source: str, target: str, bits: float) -> float:
        """Seconds to carry ``bits`` from ``source`` to ``target`` on the fastest path (``inf`` if unreachable)."""
        tree = self.fastest_paths(source)
        return float(tree.transfer_s(bits)[self.index_of(target)])

    def _csr(self) -> tuple[csr_matrix, csr_matrix, csr_matrix]:
        if self._matrices is None:
            n = len(self._names)
            links = self.links()
            u = np.array([self._index[link.a] for link in links], dtype=np.int64)
            v = np.array([self._index[link.b] for link in links], dtype=np.int64)
            rows, cols = np.concatenate([u, v]), np.concatenate([v, u])
            bw = np.array([link.bandwidth_bps for link in links], dtype=float)
            delay = np.array([link.delay_s for link in links], dtype=float)

            def sym(values: np.ndarray) -> csr_matrix:
                return csr_matrix((np.concatenate([values, values]), (rows, cols)), shape=(n, n))

            self._matrices = (sym(delay + self._reference_bits / bw), sym(delay), sym(bw))
        return self._matrices
