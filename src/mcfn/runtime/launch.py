"""Where agents run: a :class:`Launcher` starts and stops one agent per node; the cluster does not care how.

:class:`ProcessLauncher` spawns one OS process per agent on this machine;
:class:`~mcfn.runtime.ray_launcher.RayLauncher` places the same agents as Ray actors on a Ray cluster.
"""

from __future__ import annotations

import multiprocessing
from typing import Protocol

from mcfn.runtime.agent import AgentSpec, run_agent


class Launcher(Protocol):
    """Starts and stops agents; ``stop`` ends one at once, as a crash would (nothing is cleaned up)."""

    def start(self, spec: AgentSpec) -> None: ...

    def stop(self, node_id: str) -> None: ...


class ProcessLauncher:
    """One spawned OS process per agent (``spawn``, so nothing of the parent's state is inherited)."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._processes: dict[str, multiprocessing.process.BaseProcess] = {}

    def start(self, spec: AgentSpec) -> None:
        """Spawn the agent; ``ValueError`` at once if torch cannot use its device on this machine."""
        from mcfn.runtime.device import torch_device

        torch_device(spec.device)
        process = self._context.Process(target=run_agent, args=(spec,), daemon=True, name=f"agent-{spec.node_id}")
        process.start()
        self._processes[spec.node_id] = process

    def stop(self, node_id: str) -> None:
        """SIGKILL the agent's process and reap it."""
        process = self._processes.pop(node_id)
        process.kill()
        process.join(timeout=10)

    def pid(self, node_id: str) -> int:
        """The process id of ``node_id``'s agent."""
        pid = self._processes[node_id].pid
        if pid is None:
            raise RuntimeError(f"agent {node_id} is not running")
        return pid
