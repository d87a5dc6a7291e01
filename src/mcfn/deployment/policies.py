"""Deployment policies behind one interface: what to load at the start, whom to evict on a miss, what to place each
period, and whether services follow their users.

A policy returns decisions; the engine (:mod:`mcfn.sim.deployment`) owns the state and the clock and applies them
(the Flower strategy pattern). Each reads the :class:`~mcfn.deployment.state.DeployedState` and the uses it is told
of, nothing else.

- ``static``: today's behaviour — every node loads, at the start, the items it may host in catalogue order while
  they fit, and never changes (a miss is not loaded: the router sends the task elsewhere).
- ``lru``: least recently used eviction on a miss (this and the policies below start with every node empty).
- ``lfu``: least frequently used (uses since loaded; ties: least recent).
- ``greedy-dual``: GreedyDual-Size-Frequency keep-alive, as FaasCache does for serverless functions (Fuerst and
  Sharma, "FaasCache: Keeping Serverless Computing Alive with Greedy-Dual Caching", ASPLOS 2021; Cherkasova,
  "Improving WWW Proxies Performance with Greedy-Dual-Size-Frequency Caching Policy", HP Labs 1998): priority
  ``clock + frequency · cost / size`` with the item's load seconds as its cost and its bytes as its size; the node's
  clock rises to each evicted item's priority, so items unused for long age out.
- ``optimal``: every ``period_s`` the placement maximising the seed's expected utility over the predicted demand per
  cell under the nodes' memory (:func:`mcfn.deployment.placement.solve_placement`, a MILP); between plans, a miss
  evicts only items outside the plan (least recently used first).
- ``follow-me``: LRU, and a terminal's service state migrates with its handover to the new cell's edge server, which
  loads the terminal's items ahead of its next task (EdgeSimPy's follow-user migration; Souza, Ferreto and Calheiros,
  "EdgeSimPy: Python-Based Modeling and Simulation of Edge Computing Resource Management Policies", FGCS 148, 2023).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from mcfn.deployment.placement import PlacementProblem, PlacementResult, solve_placement
from mcfn.deployment.state import DeployedState


class DeploymentPolicy:
    """The interface, with the static policy's answers: preload what fits, never evict, never plan."""

    name: ClassVar[str] = "static"
    #: Seconds between two placements (:meth:`plan`); None: the policy never plans.
    period_s: float | None = None
    #: Whether a terminal's service state follows its handovers.
    follows_users: ClassVar[bool] = False

    def initial(self, state: DeployedState, hosts: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
        """``(node, item)`` pairs loaded at the start: each node's items (``hosts[node]``, in order) while they fit."""
        chosen, free = [], state.capacity_bytes - state.used_bytes
        for node, items in enumerate(hosts):
            for item in items:
                if state.item_bytes[item] <= free[node]:
                    chosen.append((node, item))
                    free[node] -= state.item_bytes[item]
        return chosen

    def used(self, node: int, item: int, now_s: float) -> None:
        """A task uses ``item`` on ``node`` at ``now_s`` (loaded or not)."""

    def evicted(self, node: int, item: int) -> None:
        """``item`` left ``node``."""

    def victims(self, state: DeployedState, node: int, item: int, now_s: float) -> list[int] | None:
        """Items to evict from ``node`` so that ``item`` fits, or None if it is not to be loaded now."""
        return [] if state.fits(node, item) else None

    def plan(self, problem: PlacementProblem) -> PlacementResult | None:
        """The target placement for the next period (only when :attr:`period_s` is set)."""
        return None


class CachePolicy(DeploymentPolicy):
    """Start empty (a cache fills on demand); on a miss, evict the unpinned items of least :meth:`priority` until the
    missing item fits."""

    def __init__(self) -> None:
        self._last_s: dict[tuple[int, int], float] = {}
        self._uses: dict[tuple[int, int], int] = {}

    def initial(self, state: DeployedState, hosts: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
        return []

    def used(self, node: int, item: int, now_s: float) -> None:
        key = (node, item)
        self._last_s[key] = now_s
        self._uses[key] = self._uses.get(key, 0) + 1

    def evicted(self, node: int, item: int) -> None:
        self._uses.pop((node, item), None)

    def priority(self, node: int, item: int) -> tuple[float, ...]:
        """Lower is evicted first."""
        return (self._last_s.get((node, item), -np.inf),)

    def candidates(self, state: DeployedState, node: int) -> list[int]:
        """The items that may make room, in any order."""
        return state.evictable(node)

    def victims(self, state: DeployedState, node: int, item: int, now_s: float) -> list[int] | None:
        need = state.item_bytes[item] - state.free_bytes(node)
        if need <= 0:
            return []
        chosen = []
        for victim in sorted(self.candidates(state, node), key=lambda i: self.priority(node, i)):
            chosen.append(victim)
            need -= state.item_bytes[victim]
            if need <= 0:
                return chosen
        return None


class LRU(CachePolicy):
    name = "lru"


class LFU(CachePolicy):
    name = "lfu"

    def priority(self, node: int, item: int) -> tuple[float, ...]:
        key = (node, item)
        return (self._uses.get(key, 0), self._last_s.get(key, -np.inf))


class GreedyDual(CachePolicy):
    """GreedyDual-Size-Frequency with load seconds as the cost (module docstring)."""

    name = "greedy-dual"

    def __init__(self, *, cost_s: Sequence[float], size_bytes: Sequence[float], nodes: int) -> None:
        super().__init__()
        self._value = np.asarray(cost_s, dtype=float) / np.maximum(np.asarray(size_bytes, dtype=float), 1.0)
        self._clock = np.zeros(nodes)

    def priority(self, node: int, item: int) -> tuple[float, ...]:
        key = (node, item)
        return (self._clock[node] + self._uses.get(key, 0) * self._value[item], self._last_s.get(key, -np.inf))

    def evicted(self, node: int, item: int) -> None:
        self._clock[node] = max(self._clock[node], self.priority(node, item)[0])
        super().evicted(node, item)


class FollowMe(LRU):
    name = "follow-me"
    follows_users = True


class OptimalPlacement(CachePolicy):
    """The periodic MILP placement; between plans, misses evict unplanned items, least recently used first."""

    name = "optimal"

    def __init__(self, *, period_s: float) -> None:
        super().__init__()
        self.period_s = period_s
        self._target: list[set[int]] | None = None

    def plan(self, problem: PlacementProblem) -> PlacementResult:
        result = solve_placement(problem)
        self._target = [set(items) for items in result.placement]
        return result

    def candidates(self, state: DeployedState, node: int) -> list[int]:
        target = self._target[node] if self._target is not None else set()
        return [i for i in state.evictable(node) if i not in target]


#: Every deployment policy's name.
DEPLOYMENT_POLICIES: tuple[str, ...] = ("static", "lru", "lfu", "greedy-dual", "optimal", "follow-me")


def make_deployment_policy(
    name: str, *, cost_s: Sequence[float], size_bytes: Sequence[float], nodes: int, period_s: float
) -> DeploymentPolicy:
    """The policy ``name`` (:data:`DEPLOYMENT_POLICIES`): ``cost_s`` and ``size_bytes`` per item feed
    ``greedy-dual``, ``period_s`` the ``optimal`` placement's period."""
    if name == "static":
        return DeploymentPolicy()
    if name == "lru":
        return LRU()
    if name == "lfu":
        return LFU()
    if name == "greedy-dual":
        return GreedyDual(cost_s=cost_s, size_bytes=size_bytes, nodes=nodes)
    if name == "optimal":
        return OptimalPlacement(period_s=period_s)
    if name == "follow-me":
        return FollowMe()
    raise ValueError(f"unknown deployment policy {name!r}; valid: {', '.join(DEPLOYMENT_POLICIES)}")
