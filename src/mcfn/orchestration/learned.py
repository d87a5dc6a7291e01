"""How a learned orchestrator (:mod:`mcfn.learn`) is named and what places its choices: light constants, so that the
engines and the command line check a policy name without importing the learner (Gymnasium, PyTorch)."""

from pathlib import PurePath

#: A policy name of this form (``mcfn run --policy learned:PATH``) runs the agent saved at the path after the colon.
LEARNED_PREFIX = "learned:"
#: The routing policy that places the stages of the way a learned orchestrator chooses.
PLACEMENT = "compute-aware"


def display_name(policy: str) -> str:
    """``policy`` as figures label it: a learned agent by its file's stem (``learned:offload-default``), not the
    whole path; any other policy by its name."""
    if policy.startswith(LEARNED_PREFIX):
        return LEARNED_PREFIX + PurePath(policy.removeprefix(LEARNED_PREFIX)).stem
    return policy
