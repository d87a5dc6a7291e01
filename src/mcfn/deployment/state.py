"""The deployed state of every compute node: which items are loaded or loading, and the memory they hold.

An item takes its memory when its load starts (the buffers are allocated first) and frees it when evicted; a
reservation that would exceed the node's memory raises, so no sequence of decisions can exceed it. An item that
tasks are using or waiting for is *pinned* and cannot be evicted. No clock: callers pass times.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mcfn.deployment.footprint import Item


class MemoryExceededError(ValueError):
    """A reservation that would exceed a node's memory."""


class DeployedState:
    """Items per node (``loaded``: ready to serve; ``loading``: item → the time its load ends) over ``capacity_bytes``
    per node; ``used_bytes`` counts both."""

    def __init__(self, capacity_bytes: Sequence[float], items: Sequence[Item]) -> None:
        self.capacity_bytes = np.asarray(capacity_bytes, dtype=float)
        self.items = tuple(items)
        self.item_bytes = np.array([item.memory_bytes for item in items], dtype=float)
        nodes = len(self.capacity_bytes)
        self.used_bytes = np.zeros(nodes)
        self.loaded: list[set[int]] = [set() for _ in range(nodes)]
        self.loading: list[dict[int, float]] = [{} for _ in range(nodes)]
        self._pins: dict[tuple[int, int], int] = {}

    def holds(self, node: int, item: int) -> bool:
        """Whether ``item`` is loaded (ready) on ``node``."""
        return item in self.loaded[node]

    def resident(self, node: int, item: int) -> bool:
        """Whether ``item`` is loaded or loading on ``node``."""
        return item in self.loaded[node] or item in self.loading[node]

    def free_bytes(self, node: int) -> float:
        return float(self.capacity_bytes[node] - self.used_bytes[node])

    def fits(self, node: int, item: int) -> bool:
        """Whether ``item`` fits in ``node``'s free memory now."""
        return self.item_bytes[item] <= self.free_bytes(node)

    def reserve(self, node: int, item: int, ready_s: float) -> None:
        """Start loading ``item`` on ``node``, to be ready at ``ready_s``; raises :class:`MemoryExceededError` if it
        does not fit."""
        if self.resident(node, item):
            raise ValueError(f"item {self.items[item].item_id} is already on node {node}")
        if not self.fits(node, item):
            raise MemoryExceededError(
                f"node {node}: item {self.items[item].item_id} needs {self.item_bytes[item]:g} bytes, "
                f"{self.free_bytes(node):g} free"
            )
        self.used_bytes[node] += self.item_bytes[item]
        self.loading[node][item] = ready_s

    def ready(self, node: int, item: int) -> None:
        """The load of ``item`` on ``node`` has ended."""
        del self.loading[node][item]
        self.loaded[node].add(item)

    def abandon(self, node: int, item: int) -> None:
        """The load of ``item`` on ``node`` failed: its memory is free again."""
        del self.loading[node][item]
        self.used_bytes[node] -= self.item_bytes[item]

    def evict(self, node: int, item: int) -> None:
        """Unload ``item`` from ``node`` (loaded, not pinned)."""
        if item not in self.loaded[node] or self.pinned(node, item):
            raise ValueError(f"item {self.items[item].item_id} on node {node} is not loaded or is in use")
        self.loaded[node].discard(item)
        self.used_bytes[node] -= self.item_bytes[item]

    def replace(self, node: int, items: Sequence[int]) -> None:
        """Make ``items`` the loaded items of ``node``, none loading (what a runtime agent holds when it registers);
        raises :class:`MemoryExceededError` if they exceed its memory."""
        needed = float(self.item_bytes[list(items)].sum())
        if needed > self.capacity_bytes[node]:
            raise MemoryExceededError(f"node {node}: items need {needed:g} bytes, {self.capacity_bytes[node]:g} there")
        self.loaded[node] = set(items)
        self.loading[node] = {}
        self.used_bytes[node] = needed

    def pin(self, node: int, item: int) -> None:
        key = (node, item)
        self._pins[key] = self._pins.get(key, 0) + 1

    def unpin(self, node: int, item: int) -> None:
        key = (node, item)
        left = self._pins[key] - 1
        if left:
            self._pins[key] = left
        else:
            del self._pins[key]

    def pinned(self, node: int, item: int) -> bool:
        return (node, item) in self._pins

    def evictable(self, node: int) -> list[int]:
        """The items loaded on ``node`` that no task uses, in item order."""
        return sorted(i for i in self.loaded[node] if (node, i) not in self._pins)
