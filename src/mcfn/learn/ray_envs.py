"""Environments stepped in parallel as Ray actors: a Stable-Baselines3 ``VecEnv`` whose environments live on a Ray
cluster (https://docs.ray.io), one actor each, joined as :mod:`mcfn.experiments.executor` joins one for sweeps.

A step sends every actor its action and waits for all of them (lockstep, as SB3's ``SubprocVecEnv``); an actor
resets its environment at the end of an episode and returns the final observation in ``info["terminal_observation"]``
(SB3's convention). The action masks that MaskablePPO asks for are the ones the last step returned in each
environment's ``info["action_mask"]``, so masks cost no extra round trip. A round trip costs far more than one decision
(a fraction of a millisecond against tens of microseconds), so actors pay off when the cluster has more cores than
this machine or the episodes are heavy, not for the default scenario on one machine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from mcfn.experiments.executor import ray_cluster


class _Worker:
    """One environment in a Ray actor."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.env = factory()

    def spaces(self) -> tuple[Any, Any]:
        return self.env.observation_space, self.env.action_space

    def reset(self, seed: int | None) -> tuple[Any, dict]:
        return self.env.reset(seed=seed)

    def step(self, action: int) -> tuple[Any, float, bool, dict]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        done = terminated or truncated
        if done:
            info = {**info, "terminal_observation": observation, "TimeLimit.truncated": truncated and not terminated}
            observation, reset_info = self.env.reset()
            info["action_mask"] = reset_info["action_mask"]
        return observation, reward, done, info

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        attribute = getattr(self.env, name)
        return attribute(*args, **kwargs) if callable(attribute) else attribute


class RayVecEnv(VecEnv):
    """``factories``' environments as Ray actors on the cluster at ``address`` (module docstring)."""

    def __init__(self, factories: Sequence[Callable[[], Any]], *, address: str) -> None:
        self._stack = contextlib.ExitStack()
        ray = self._stack.enter_context(ray_cluster(address))
        self._ray = ray
        worker = ray.remote(num_cpus=1)(_Worker)
        self._actors = [worker.remote(factory) for factory in factories]
        observation_space, action_space = ray.get(self._actors[0].spaces.remote())
        super().__init__(len(factories), observation_space, action_space)
        self._seeds: list[int | None] = [None] * self.num_envs
        self._masks: list[np.ndarray] = []
        self._pending: list[Any] = []

    def reset(self) -> Any:
        results = self._ray.get([a.reset.remote(s) for a, s in zip(self._actors, self._seeds, strict=True)])
        self._seeds = [None] * self.num_envs
        self._masks = [info["action_mask"] for _, info in results]
        self.reset_infos = [info for _, info in results]
        return self._stack_observations([observation for observation, _ in results])

    def step_async(self, actions: np.ndarray) -> None:
        self._pending = [a.step.remote(int(x)) for a, x in zip(self._actors, actions, strict=True)]

    def step_wait(self) -> Any:
        results = self._ray.get(self._pending)
        self._masks = [info["action_mask"] for *_, info in results]
        observations = self._stack_observations([r[0] for r in results])
        rewards = np.array([r[1] for r in results], dtype=np.float32)
        dones = np.array([r[2] for r in results], dtype=bool)
        return observations, rewards, dones, [r[3] for r in results]

    def action_masks(self) -> np.ndarray:
        return np.stack(self._masks)

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
        if method_name == "action_masks":  # what the last step said: no round trip
            return [self._masks[i] for i in self._get_indices(indices)]
        return self._ray.get([self._actors[i].call.remote(method_name, *args, **kwargs)
                              for i in self._get_indices(indices)])  # fmt: skip

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return self._ray.get([self._actors[i].call.remote(attr_name) for i in self._get_indices(indices)])

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        raise NotImplementedError("the environments live in Ray actors: set attributes before creating them")

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Seed the next reset: environment ``i`` with ``seed + i``."""
        self._seeds = [None if seed is None else seed + i for i in range(self.num_envs)]
        return self._seeds

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._stack.close()

    def _stack_observations(self, observations: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        return {key: np.stack([o[key] for o in observations]) for key in observations[0]}
