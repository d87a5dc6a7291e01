"""Training a learned orchestrator with sb3-contrib's MaskablePPO (Huang & Ontañón, "A Closer Look at Invalid
Action Masking in Policy Gradient Algorithms", FLAIRS 2022; PPO: Schulman et al., arXiv:1707.06347).

**Credit.** Every decision is rewarded with its own task's utility (:mod:`mcfn.learn.credit`'s ``info["credit"]``):
after each rollout, :class:`ExactCredit` writes each step's reward as the utility of the task it decided, and the
advantage as that reward minus the critic's value — a contextual bandit (discount 0), the view the seed's per-task
utility and the utility chooser take: a decision is judged by its own task. A decision whose task is still in flight
when the rollout ends (the last few dozen of each environment's) teaches nothing: its advantage is set to 0, so an
outcome is never credited to the wrong decision. The environment's own per-step reward (the utilities of the tasks that
ended since the previous step) is not used.

**Workers.** ``envs`` environments run in one process (``DummyVecEnv``), or, with ``ray_address``, one Ray actor each
(:class:`mcfn.learn.ray_envs.RayVecEnv`) on the cluster the address names (``"local"``: a Ray started here).

**Learning curve.** After each rollout, the mean per-decision utility of its decisions with known outcomes, with a 95 %
confidence interval (Student t over the environments' means), against the environment steps so far.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcfn.experiments.stats import mean_ci
from mcfn.learn.env import OffloadEnv
from mcfn.learn.observe import CENTRAL
from mcfn.scenario import Scenario

#: PPO's settings for this problem (assumed: SB3's defaults but for these): a short rollout per environment, since a
#: decision's credit is exact and immediate; small networks (the observation is ~130 numbers).
ROLLOUT_STEPS = 512
BATCH_SIZE = 256
EPOCHS = 5
LEARNING_RATE = 1e-3
ENTROPY = 0.01
NET_ARCH = (64, 64)

#: ``progress(steps done, steps total, latest mean utility or None)``.
Progress = Callable[[int, int, float | None], None]


@dataclass(kw_only=True)
class TrainingLog:
    """What a training run did: settings, wall and CPU seconds, and the learning curve (one point per rollout)."""

    scenario_seed: int
    steps: int
    envs: int
    episode_s: float
    layout: str
    seed: int
    wall_s: float = 0.0
    cpu_s: float = 0.0
    stopped_by_budget: bool = False
    curve_steps: list[int] = field(default_factory=list)
    curve_utility: list[float] = field(default_factory=list)
    curve_ci95: list[float] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return dict(self.__dict__)


def train(
    scenario: Scenario,
    *,
    steps: int,
    out: Path,
    envs: int = 4,
    episode_s: float = 60.0,
    layout: str = CENTRAL,
    seed: int = 0,
    time_budget_s: float | None = None,
    ray_address: str | None = None,
    progress: Progress | None = None,
) -> TrainingLog:
    """Train a MaskablePPO agent for ``steps`` environment steps (or until ``time_budget_s`` wall seconds) on
    ``envs`` environments of ``scenario`` with episodes of ``episode_s`` simulated seconds; save it to ``out``."""
    import torch
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    if steps < 1 or envs < 1:
        raise ValueError(f"--steps and --envs must be at least 1, got {steps} and {envs}")
    torch.set_num_threads(1)
    factories = [_factory(scenario, episode_s, layout) for _ in range(envs)]
    if ray_address is None:
        vec = DummyVecEnv(factories)
    else:
        from mcfn.learn.ray_envs import RayVecEnv

        vec = RayVecEnv(factories, address=ray_address)
    vec.seed(seed)
    log = TrainingLog(
        scenario_seed=scenario.seed, steps=steps, envs=envs, episode_s=episode_s, layout=layout, seed=seed
    )
    model = MaskablePPO(
        "MultiInputPolicy",
        vec,
        n_steps=ROLLOUT_STEPS,
        batch_size=BATCH_SIZE,
        n_epochs=EPOCHS,
        learning_rate=LEARNING_RATE,
        gamma=0.0,
        gae_lambda=0.0,
        ent_coef=ENTROPY,
        policy_kwargs={"net_arch": list(NET_ARCH)},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    credit = ExactCredit(log, steps=steps, time_budget_s=time_budget_s, progress=progress)
    started, cpu = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=steps, callback=credit)
    log.wall_s = time.perf_counter() - started
    log.cpu_s = time.process_time() - cpu
    log.stopped_by_budget = credit.stopped
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    vec.close()
    return log


def _factory(scenario: Scenario, episode_s: float, layout: str) -> Callable[[], OffloadEnv]:
    return lambda: OffloadEnv(scenario, duration_s=episode_s, layout=layout)


def _callback_base() -> type:
    from stable_baselines3.common.callbacks import BaseCallback

    return BaseCallback


class ExactCredit(_callback_base()):  # type: ignore[misc]
    """Rewrites each rollout's rewards and advantages with the exact per-decision credit (module docstring); records
    the learning curve; stops at the time budget; reports progress."""

    def __init__(self, log: TrainingLog, *, steps: int, time_budget_s: float | None, progress: Progress | None) -> None:
        super().__init__()
        self._log = log
        self._steps = steps
        self._budget_s = time_budget_s
        self._progress = progress
        self._started = time.perf_counter()
        self.stopped = False

    def _on_rollout_start(self) -> None:
        n = self.training_env.num_envs
        #: per environment: decision index → buffer row, for the episode in progress
        self._rows: list[dict[int, int]] = [{} for _ in range(n)]
        self._known = np.zeros((self.model.n_steps, n), dtype=bool)
        self._utility = np.zeros((self.model.n_steps, n))

    def _on_step(self) -> bool:
        row = self.model.rollout_buffer.pos  # the row this step is about to be stored in
        for i, (info, done) in enumerate(zip(self.locals["infos"], self.locals["dones"], strict=True)):
            rows = self._rows[i]
            rows[info["decisions"] - 1] = row
            for decision, utility in info["credit"]:
                at = rows.pop(decision, None)
                if at is not None:
                    self._known[at, i] = True
                    self._utility[at, i] = utility
            if done:
                rows.clear()  # the next episode numbers its decisions from 0
        if self._budget_s is not None and time.perf_counter() - self._started > self._budget_s:
            self.stopped = True
            return False
        return True

    def _on_rollout_end(self) -> None:
        buffer = self.model.rollout_buffer
        known = self._known
        buffer.rewards[:] = np.where(known, self._utility, buffer.values)
        buffer.returns[:] = buffer.rewards
        buffer.advantages[:] = np.where(known, buffer.rewards - buffer.values, 0.0)
        per_env = [self._utility[known[:, i], i].mean() for i in range(known.shape[1]) if known[:, i].any()]
        if per_env:
            stats = mean_ci(per_env)
            self._log.curve_steps.append(int(self.num_timesteps))
            self._log.curve_utility.append(float(stats.mean))
            self._log.curve_ci95.append(stats.half_width or 0.0)
        if self._progress is not None:
            latest = self._log.curve_utility[-1] if self._log.curve_utility else None
            self._progress(min(int(self.num_timesteps), self._steps), self._steps, latest)
