"""AI for edge (seed §1, §2): learned orchestration of the mobile computing-force network.

:mod:`mcfn.learn.observe` encodes a decision for a learner and turns its action into the orchestrator's choice;
:mod:`mcfn.learn.credit` pays each task's utility to the decision that chose its way; :mod:`mcfn.learn.env` is the
Gymnasium environment over the simulator's decisions, registered as ``mcfn/Offload-v0`` when Gymnasium is installed
(the ``learn`` extra); :mod:`mcfn.learn.policy` runs a trained agent as the simulator's orchestrator
(``mcfn run --policy learned:PATH``); :mod:`mcfn.learn.train` trains one with sb3-contrib's MaskablePPO.
"""

from __future__ import annotations

#: The environment's id in Gymnasium's registry.
ENV_ID = "mcfn/Offload-v0"

try:
    import gymnasium
except ImportError:  # the learn extra is not installed: the environment is not registered
    gymnasium = None

if gymnasium is not None and ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="mcfn.learn.env:OffloadEnv")
