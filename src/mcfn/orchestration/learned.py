"""How a learned orchestrator (:mod:`mcfn.learn`) is named and what places its choices: light constants, so that the
engines and the command line check a policy name without importing the learner (Gymnasium, PyTorch)."""

#: A policy name of this form (``mcfn run --policy learned:PATH``) runs the agent saved at the path after the colon.
LEARNED_PREFIX = "learned:"
#: The routing policy that places the stages of the way a learned orchestrator chooses.
PLACEMENT = "compute-aware"
