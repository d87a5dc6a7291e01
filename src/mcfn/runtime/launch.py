"""Where agents run: a :class:`Launcher` starts and stops one agent per node; the cluster does not care how.

:class:`ProcessLauncher` spawns one OS process per agent on this machine;
:class:`~mcfn.runtime.ray_launcher.RayLauncher` places the same agents as Ray actors on a Ray cluster.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from typing import Protocol

from mcfn.runtime.agent import AgentSpec, run_agent


class Launcher(Protocol):
    """Starts and stops agents; ``stop`` ends one at once, as a crash would (nothing is cleaned up); ``check``
    raises ``ValueError`` naming what is missing before any agent of ``specs`` is started, if they cannot all run;
    ``alive`` says whether an agent started and not stopped still runs (or will run again: its launcher restarts
    it)."""

    def check(self, specs: Sequence[AgentSpec]) -> None: ...

    def start(self, spec: AgentSpec) -> None: ...

    def stop(self, node_id: str) -> None: ...

    def alive(self, node_id: str) -> bool: ...


class ProcessLauncher:
    """One spawned OS process per agent (``spawn``, so nothing of the parent's state is inherited)."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._processes: dict[str, multiprocessing.process.BaseProcess] = {}

    def check(self, specs: Sequence[AgentSpec]) -> None:
        """``ValueError`` if torch cannot use an agent's device on this machine."""
        from mcfn.runtime.device import torch_device

        for spec in specs:
            torch_device(spec.device)

    def start(self, spec: AgentSpec) -> None:
        """Spawn the agent; ``ValueError`` at once if torch cannot use its device on this machine."""
        self.check([spec])
        process = self._context.Process(target=run_agent, args=(spec,), daemon=True, name=f"agent-{spec.node_id}")
        process.start()
        self._processes[spec.node_id] = process

    def stop(self, node_id: str) -> None:
        """SIGKILL the agent's process and reap it."""
        process = self._processes.pop(node_id)
        process.kill()
        process.join(timeout=10)

    def alive(self, node_id: str) -> bool:
        """Whether the agent's process still runs."""
        return self._processes[node_id].is_alive()

    def pid(self, node_id: str) -> int:
        """The process id of ``node_id``'s agent."""
        pid = self._processes[node_id].pid
        if pid is None:
            raise RuntimeError(f"agent {node_id} is not running")
        return pid
