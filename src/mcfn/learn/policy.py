"""A trained agent as the simulator's orchestrator: ``mcfn run --policy learned:PATH``.

The agent is an sb3-contrib MaskablePPO policy saved by ``mcfn learn`` (:mod:`mcfn.learn.train`). Loading it reads
its actor — the features (each observation array flattened, concatenated in the observation space's key order, as
Stable-Baselines3's ``CombinedExtractor`` does), the actor's hidden layers and its action layer — into NumPy, so a
decision is a few small matrix products rather than a PyTorch call; the action is the most probable one that the
decision's mask allows (deterministic). The observation layout (central, or a cell's own agent) is read from the saved
observation space. The agent then decides through :class:`~mcfn.learn.observe.LearnedChoices`, the same class the
environment decides through, so a run under ``learned:PATH`` takes exactly the decisions the agent would take in the
environment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mcfn.learn.observe import CANDIDATE_FEATURES, CELL, CENTRAL, WAY_FEATURES, LearnedChoices, Observer
from mcfn.routing import Policy

if TYPE_CHECKING:
    from mcfn.sim.model import NetworkModel


class Agent:
    """An actor network in NumPy: ``layers`` of ``(weight, bias, activation)``, the last one's output the logits."""

    def __init__(self, *, keys: Sequence[str], layers: Sequence[tuple[np.ndarray, np.ndarray, Callable | None]]):
        self.keys = tuple(keys)
        self.layers = tuple(layers)

    @property
    def input_size(self) -> int:
        return self.layers[0][0].shape[1]

    def act(self, observation: dict[str, np.ndarray], mask: np.ndarray) -> int:
        """The most probable action that ``mask`` allows."""
        x = np.concatenate([observation[key].ravel() for key in self.keys])
        for weight, bias, activation in self.layers:
            x = weight @ x + bias
            if activation is not None:
                x = activation(x)
        return int(np.argmax(np.where(mask, x, -np.inf)))


def load_agent(path: str | Path) -> Agent:
    """The actor of the MaskablePPO policy saved at ``path`` (module docstring); raises ValueError for a file that
    is not one."""
    import torch
    from sb3_contrib import MaskablePPO

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"learned policy {path}: no such file (train one with 'mcfn learn')")
    try:
        model = MaskablePPO.load(path, device="cpu")
    except Exception as exc:
        raise ValueError(f"learned policy {path}: not a MaskablePPO policy saved by 'mcfn learn' ({exc})") from None
    activations = {torch.nn.Tanh: np.tanh, torch.nn.ReLU: lambda x: np.maximum(x, 0.0)}
    layers: list[tuple[np.ndarray, np.ndarray, Callable | None]] = []
    modules = list(model.policy.mlp_extractor.policy_net)
    for k, module in enumerate(modules):
        if isinstance(module, torch.nn.Linear):
            following = modules[k + 1] if k + 1 < len(modules) else None
            activation = activations.get(type(following)) if following is not None else None
            layers.append((_array(module.weight), _array(module.bias), activation))
    layers.append((_array(model.policy.action_net.weight), _array(model.policy.action_net.bias), None))
    return Agent(keys=list(model.observation_space.spaces), layers=layers)


def _array(parameter) -> np.ndarray:
    return parameter.detach().cpu().numpy().astype(np.float64)


def learned_chooser(model: NetworkModel, path: str | Path, *, placement: Policy) -> LearnedChoices:
    """The chooser of ``model`` (its world's menus, its router and aware view) that decides with the agent at
    ``path``; ``placement`` (the model's routing policy, :data:`PLACEMENT`) places the chosen way's stages."""
    from mcfn.learn.env import make_observer

    agent = load_agent(path)
    world = model.world
    observer = next(
        (o for o in (make_observer(world.scenario, world, layout) for layout in (CENTRAL, CELL)) if _fits(o, agent)),
        None,
    )
    if observer is None:
        raise ValueError(
            f"learned policy {path}: its observation ({agent.input_size} numbers) does not fit this scenario's "
            "services, cells and compute nodes (train it on a scenario of the same shape)"
        )
    view = model.view

    def decide(service: int, station: int, uplink_bps: float, now_s: float) -> tuple[int, int]:
        observation, mask = observer.observe(view, service, station, uplink_bps, now_s)
        return observer.decode(service, agent.act(observation, mask), mask)

    return LearnedChoices(
        router=model.router,
        policy=placement,
        menus=observer.menus,
        weight=world.scenario.utility_weight,
        decide=decide,
    )


def _fits(observer: Observer, agent: Agent) -> bool:
    size = observer.task_size + observer.candidates * CANDIDATE_FEATURES + observer.slots * WAY_FEATURES
    return size == agent.input_size
