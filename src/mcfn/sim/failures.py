"""Node and link failures and recoveries from the scenario, as events on a :class:`~mcfn.sim.model.NetworkModel`.

When an element goes down the control plane learns it at once: every link of a down node, or the down link,
gets a propagation delay of :data:`DOWN_DELAY_S` in the topology (:meth:`mcfn.network.topology.Topology.
update_link`), so fastest paths avoid it and no deadline-aware prediction can choose it; compute awareness learns
nothing (the node simply stops advertising), so a load-based policy may still pick a down node, and the task fails
saying so. Tasks on the element are re-routed or fail (:meth:`~mcfn.sim.model.NetworkModel.reroute`); uploads at a
down base station fail. Recovery restores the links whose both ends are up.
"""

from __future__ import annotations

from mcfn.scenario import Failure
from mcfn.sim.model import NetworkModel
from mcfn.sim.wired import link_key

#: Propagation delay (s) that marks a link as down in the topology the router reads.
DOWN_DELAY_S = 1e6


class Failures:
    """Schedules the scenario's failures on ``model`` and applies them."""

    def __init__(self, model: NetworkModel, failures: tuple[Failure, ...]) -> None:
        self._model = model
        topology = model.world.topology
        self._original = {link_key(k.a, k.b): k.delay_s for k in topology.links()}
        for i, failure in enumerate(failures):
            try:
                if failure.node is not None:
                    topology.index_of(failure.node)
                    element: tuple[str, ...] = (failure.node,)
                else:
                    a, b = failure.link  # type: ignore[misc]
                    topology.link(a, b)
                    element = link_key(a, b)
            except ValueError as exc:
                raise ValueError(f"failures[{i}]: {exc}") from None
            model.sim.schedule(failure.at_s, self._down, element, priority=-2)
            if failure.for_s is not None:
                model.sim.schedule(failure.at_s + failure.for_s, self._up, element, priority=-2)

    def _links_of(self, element: tuple[str, ...]) -> list[tuple[str, str]]:
        if len(element) == 2:
            return [element]  # type: ignore[list-item]
        name = element[0]
        return [link_key(name, other) for other in self._model.world.topology.neighbours(name)]

    def _down(self, element: tuple[str, ...]) -> None:
        model, wired = self._model, self._model.wired
        if len(element) == 2:
            wired.down_links.add(element)  # type: ignore[arg-type]
            what = f"link {element[0]}-{element[1]} failed"
        else:
            wired.down_nodes.add(element[0])
            what = f"node {element[0]} failed"
        affected: list[int] = []
        for key in self._links_of(element):
            model.world.topology.update_link(*key, delay_s=DOWN_DELAY_S)
            affected += wired.drop_link(key)
        name = element[0]
        if len(element) == 1 and name in model.world.fleet.index:
            j = model.world.fleet.index[name]
            model.servers.down[j] = True
            affected += model.interrupt_compute(j)
        if len(element) == 1 and name in model.world.stations:
            s = model.world.stations.index(name)
            model.down_stations.add(s)
            for task in model.access.uplinks[s].drop_all():
                model.fail(task, f"{what} during the upload")
        for task in affected:
            model.reroute(task, what)

    def _up(self, element: tuple[str, ...]) -> None:
        model, wired = self._model, self._model.wired
        if len(element) == 2:
            wired.down_links.discard(element)  # type: ignore[arg-type]
        else:
            name = element[0]
            wired.down_nodes.discard(name)
            if name in model.world.fleet.index:
                model.servers.down[model.world.fleet.index[name]] = False
            if name in model.world.stations:
                model.down_stations.discard(model.world.stations.index(name))
        for key in self._links_of(element):
            if key not in wired.down_links and not (set(key) & wired.down_nodes):
                model.world.topology.update_link(*key, delay_s=self._original[key])
