"""An agent's loaded stages: real torch modules loaded and unloaded on command within a memory budget.

The runtime's side of :mod:`mcfn.deployment`: the same items (a stage of a variant, its weights as the layer graph
counts them) and the same policies decide what is evicted to make room, while the cold start is real — building the
module is timed — and its memory is measured from the module's own tensors (parameters and buffers, the bytes the
zoo's ``param_bytes`` count). The budget is enforced on the measured bytes: a module larger than its item's planned
weights is refused before it is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcfn.deployment import DeployedState, DeploymentPolicy, Item

if TYPE_CHECKING:
    from torch import nn


def module_bytes(module: nn.Module) -> int:
    """Bytes of ``module``'s parameters and buffers (what it holds while loaded, activations aside)."""
    return sum(t.numel() * t.element_size() for t in (*module.parameters(), *module.buffers()))


@dataclass(frozen=True, slots=True)
class LoadReport:
    """One load: the stage, the seconds it took (the cold start), the bytes measured, and the stages evicted."""

    stage_id: str
    load_s: float
    measured_bytes: int
    evicted: tuple[str, ...]


class StageCache:
    """Stage modules of ``items`` built by ``builders`` (by item id), kept within ``capacity_bytes`` under
    ``policy``."""

    def __init__(
        self,
        items: Sequence[Item],
        builders: Mapping[str, Callable[[], nn.Module]],
        *,
        capacity_bytes: float,
        policy: DeploymentPolicy,
    ) -> None:
        missing = [item.item_id for item in items if item.item_id not in builders]
        if missing:
            raise ValueError(f"no builder for stage {missing[0]!r}")
        self._index = {item.item_id: i for i, item in enumerate(items)}
        self._builders = builders
        self._policy = policy
        self.state = DeployedState([capacity_bytes], items)
        self._modules: dict[int, nn.Module] = {}

    @property
    def memory_bytes(self) -> float:
        """Bytes held by the loaded stages (their planned footprints)."""
        return float(self.state.used_bytes[0])

    def loaded(self) -> list[str]:
        """The ids of the loaded stages, sorted."""
        return sorted(self.modules())

    def modules(self) -> dict[str, nn.Module]:
        """The loaded modules by stage id (a snapshot: another thread may load or unload meanwhile)."""
        held = tuple(self._modules.items())  # copied at once, under the GIL
        return {self.state.items[i].item_id: module for i, module in sorted(held, key=lambda pair: pair[0])}

    def measured_bytes(self) -> int:
        """Bytes of the loaded modules' tensors, measured (:func:`module_bytes`)."""
        return sum(module_bytes(module) for module in self.modules().values())

    def get(self, stage_id: str) -> nn.Module | None:
        """The loaded module of ``stage_id`` (None: not loaded), recording the use for the policy."""
        i = self._item(stage_id)
        self._policy.used(0, i, time.monotonic())
        return self._modules.get(i)

    def load(self, stage_id: str) -> LoadReport:
        """Load ``stage_id`` (a command of the controller): evict what the policy names, build the module, measure it.
        Raises ``MemoryError`` when no room can be made or the module is larger than its item's footprint."""
        i = self._item(stage_id)
        if i in self._modules:
            return LoadReport(stage_id, 0.0, module_bytes(self._modules[i]), ())
        victims = self._policy.victims(self.state, 0, i, time.monotonic())
        if victims is None:
            raise MemoryError(f"no room for stage {stage_id} in {self.state.capacity_bytes[0]:g} bytes")
        evicted = tuple(self.state.items[v].item_id for v in victims)
        for victim in evicted:
            self.unload(victim)
        started = time.perf_counter()
        module = self._builders[stage_id]().eval()
        load_s = time.perf_counter() - started
        measured = module_bytes(module)
        if measured > self.state.item_bytes[i]:
            raise MemoryError(
                f"stage {stage_id} holds {measured} bytes, above its footprint {self.state.item_bytes[i]:g}"
            )
        self.state.reserve(0, i, 0.0)
        self.state.ready(0, i)
        self._modules[i] = module
        return LoadReport(stage_id, load_s, measured, evicted)

    def unload(self, stage_id: str) -> None:
        """Unload ``stage_id`` (a command of the controller, or an eviction): its module is dropped."""
        i = self._item(stage_id)
        if i not in self._modules:
            raise ValueError(f"stage {stage_id} is not loaded")
        del self._modules[i]
        self.state.evict(0, i)
        self._policy.evicted(0, i)

    def _item(self, stage_id: str) -> int:
        i = self._index.get(stage_id)
        if i is None:
            raise ValueError(f"unknown stage {stage_id!r}; known: {', '.join(self._index)}")
        return i
