"""A router's cost tables: the inputs of its predictions that change rarely, each kept until what it depends on changes.

A prediction (:func:`~mcfn.routing.costs.predict`) combines inputs that change at very different rates:

- the network part of a candidate set (transfer seconds in and back, propagation delay in) depends only on the
  topology's fastest paths: kept per ``(service, source, home, bits in, bits out, result bits)`` until the topology's
  ``version`` changes (a link update, e.g. a failure or a recovery); so are the node paths that routes report;
- a stage's constants on each candidate never change: the one-VM compute seconds of its work and whether its
  memory fits;
- a decision's shortlist (:class:`~mcfn.routing.costs.Shortlist`: the candidates that can matter, and a bound on
  the rest) depends on both, and is kept as long as they are; it keeps its own candidates' network part only (the
  network part of every candidate is kept once a decision needed it: on a large network, the few that a shortlist
  does not settle), and shares its candidates' instances and stage constants with the shortlists that keep the same
  candidates;
- the nodes' state (the aware view: adverts and the router's own placements) changes with every decision, so
  :func:`~mcfn.routing.costs.predict` reads it afresh each time.

What is kept is exactly what would be computed afresh (the same elementwise arithmetic on the same inputs), so a
router's decisions do not depend on what it computed before; ``tests/cfn/test_routing_tables.py`` checks this on
random views, adverts and link failures.
"""

from __future__ import annotations

import numpy as np

from mcfn.compute.node import Work
from mcfn.network.topology.graph import Topology
from mcfn.routing.costs import Demand, FleetPaths, Instances, Shortlist, Transfers, shortlist_of, transfers

#: ``(service_id, source, home, in_bits, out_bits, result_bits)``.
NetworkKey = tuple[str, str, str, float, float, float]
#: ``(service_id, source, home, in_bits, out_bits, result_bits, per_op_flops, memory_bytes, keep)``.
ShortlistKey = tuple[str, str, str, float, float, float, tuple[float, ...], float, int]


class CostTables:
    """The cached inputs of one router's predictions over ``topology`` (owned by the caller) for a fleet whose nodes
    are the topology's ``vertices`` (by fleet index)."""

    def __init__(self, *, topology: Topology, vertices: np.ndarray) -> None:
        self._topology = topology
        self._topology_version = topology.version
        self._vertices = vertices
        #: by source: its fastest paths at the fleet's nodes, what every network part reads
        self._fleet_paths: dict[str, FleetPaths] = {}
        self._network: dict[NetworkKey, Transfers] = {}
        #: by source, then target: a look-up builds and hashes no key tuple, and reads a source's own small table
        self._paths: dict[str, dict[str, tuple[str, ...]]] = {}
        self._stage: dict[tuple[str, tuple[float, ...], float], Demand] = {}
        #: by one flat key (:data:`ShortlistKey`): a look-up hashes one tuple and reads one table, the fewest objects
        #: (on a large network, each a likely cache miss)
        self._shortlists: dict[ShortlistKey, Shortlist] = {}
        #: the candidates' instances and demand that shortlists keep, shared by those that keep the same ones
        #: (:func:`~mcfn.routing.costs.kept_subsets`); cleared with the shortlists, which bounds it
        self._subsets: dict[tuple[Demand, tuple[int, ...]], tuple[Instances, Demand]] = {}

    def network(
        self,
        service_id: str,
        instances: Instances,
        source: str,
        home: str,
        in_bits: float,
        out_bits: float,
        result_bits: float,
    ) -> Transfers:
        """The :class:`~mcfn.routing.costs.Transfers` of ``instances``: input from ``source``, ``out_bits`` back to
        ``home``, and a result of ``result_bits`` that a later stage sends ``home``."""
        self._check_topology()
        key = (service_id, source, home, in_bits, out_bits, result_bits)
        cached = self._network.get(key)
        if cached is None:
            into = self._paths_from(source)
            back = into if home == source else self._paths_from(home)
            cached = self._network[key] = transfers(instances.nodes, into, back, in_bits, out_bits, result_bits)
        return cached

    def _paths_from(self, source: str) -> FleetPaths:
        """The :class:`~mcfn.routing.costs.FleetPaths` of ``source``'s fastest-path tree."""
        paths = self._fleet_paths.get(source)
        if paths is None:
            paths = self._fleet_paths[source] = FleetPaths(self._topology.fastest_paths(source), self._vertices)
        return paths

    def path(self, source: str, target: str) -> tuple[str, ...]:
        """The topology's fastest path from ``source`` to ``target`` (node names)."""
        self._check_topology()
        targets = self._paths.get(source)
        if targets is None:
            targets = self._paths[source] = {}
        path = targets.get(target)
        if path is None:
            path = targets[target] = self._topology.path(source, target)
        return path

    def stage(self, service_id: str, instances: Instances, work: Work, memory_bytes: float) -> Demand:
        """The :class:`~mcfn.routing.costs.Demand` of a stage on each of ``service_id``'s ``instances``: the one-VM
        compute seconds of its ``work`` and whether its ``memory_bytes`` fit."""
        key = (service_id, work.per_op_flops, memory_bytes)
        demand = self._stage.get(key)
        if demand is None:
            alone_s, fits = instances.alone_s(work.per_op_flops), instances.fits(memory_bytes)
            for values in (alone_s, fits):  # shared by every decision, and handed on in CandidateCosts: read-only
                values.flags.writeable = False
            demand = self._stage[key] = Demand(alone_s, fits)
        return demand

    def shortlist(
        self,
        service_id: str,
        instances: Instances,
        source: str,
        home: str,
        in_bits: float,
        out_bits: float,
        result_bits: float,
        work: Work,
        memory_bytes: float,
        keep: int,
    ) -> Shortlist | None:
        """The :class:`~mcfn.routing.costs.Shortlist` of ``keep`` candidates (and the clouds) of a decision of
        :meth:`network` and :meth:`stage`'s arguments; ``None`` when it would hold every candidate."""
        if instances._nodes.shape[0] <= keep:  # the underscored twin: compiled, a typed view
            return None
        self._check_topology()
        key = (service_id, source, home, in_bits, out_bits, result_bits, work.per_op_flops, memory_bytes, keep)
        shortlist = self._shortlists.get(key)
        if shortlist is None:  # the transfers to every candidate are not kept: a shortlist settles most decisions
            into = self._paths_from(source)
            back = into if home == source else self._paths_from(home)
            demand = self.stage(service_id, instances, work, memory_bytes)
            shortlist = self._shortlists[key] = shortlist_of(
                instances, into, back, in_bits, out_bits, result_bits, demand, keep, self._subsets
            )
        return shortlist

    def _check_topology(self) -> None:
        if self._topology.version != self._topology_version:
            self._shortlists.clear()
            self._subsets.clear()
            self._fleet_paths.clear()
            self._network.clear()
            self._paths.clear()
            self._topology_version = self._topology.version
