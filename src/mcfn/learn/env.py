"""The Gymnasium environment over the simulator's orchestration decisions: ``mcfn/Offload-v0``.

One step is one decision of the orchestrator: which way (variant, exit, compression) serves the task that has just
arrived; its stages are then placed by ``compute-aware`` routing (:mod:`mcfn.learn.observe`: observation, action,
mask). An episode is one simulated run of a scenario on one seed: the arrivals of ``duration_s`` seconds, then the
drain (:func:`mcfn.sim.run.drain`), whose outcomes the last step pays. Rewards follow the delayed-credit rule of
:mod:`mcfn.learn.credit`: a step pays the utilities of the tasks that ended since the step before, and
``info["credit"]`` names the decision each of them belongs to.

**Control flow without threads.** The simulator is callback-driven and knows nothing of the environment: the
environment owns the run's arrivals (an :class:`~mcfn.sim.arrivals.Arrivals` of its own; the model's is given the
least positive duration, so it schedules none) and runs the kernel until an arrival needs a
decision, which stops it (:meth:`Simulator.stop`). That arrival is held, its observation returned;
``step`` hands the action to the model's chooser (:class:`~mcfn.learn.observe.LearnedChoices`, which the model calls
as it would the utility chooser) and lets the model take the task in at the same simulated instant
(:meth:`NetworkModel._arrive`), then runs on to the next decision. Arrivals that need no decision (the terminal is
outside coverage, its station is down) are taken in at once and fail as in any run.

**Seeds.** ``reset(seed=s)`` seeds the environment's generator, which draws each episode's simulation seed from
``[TRAINING_SEEDS, 2^31)``: the seeds ``0 … TRAINING_SEEDS - 1`` (what ``mcfn run --seeds`` uses) are never trained
on, so they stay held out for evaluation.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from mcfn.learn.credit import Ledger
from mcfn.learn.observe import (
    CANDIDATE_FEATURES,
    CENTRAL,
    CLIP,
    WAY_FEATURES,
    LearnedChoices,
    Observer,
)
from mcfn.network.uplink import JOINT_ALLOCATION
from mcfn.orchestration.learned import PLACEMENT
from mcfn.routing import make_policy
from mcfn.scenario import Scenario, default_scenario, load_scenario
from mcfn.sim.arrivals import Arrivals
from mcfn.sim.engine import Simulator
from mcfn.sim.failures import Failures
from mcfn.sim.model import NetworkModel
from mcfn.sim.run import drain
from mcfn.sim.world import build_world, menus

#: Simulation seeds below this are never drawn for training (module docstring).
TRAINING_SEEDS = 1_000_000


def resolve_scenario(scenario: Scenario | str | Path | None) -> Scenario:
    """A scenario value from a value, a YAML path, or ``None`` (the embedded default)."""
    if scenario is None:
        return default_scenario()
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def observation_space(observer: Observer) -> spaces.Dict:
    """The observation space of ``observer``'s decisions (:mod:`mcfn.learn.observe`)."""
    return spaces.Dict(
        {
            "task": spaces.Box(-CLIP, CLIP, (observer.task_size,), np.float32),
            "candidates": spaces.Box(-CLIP, CLIP, (observer.candidates, CANDIDATE_FEATURES), np.float32),
            "ways": spaces.Box(-CLIP, CLIP, (observer.slots, WAY_FEATURES), np.float32),
        }
    )


def make_observer(scenario: Scenario, world: Any, layout: str = CENTRAL) -> Observer:
    """The :class:`Observer` of ``scenario``'s decisions on its built ``world``."""
    return Observer(
        menus=menus(world),
        topology=world.topology,
        nodes=world.fleet.node_ids,
        stations=world.stations,
        weight=scenario.utility_weight,
        joint=scenario.radio.uplink_policy == JOINT_ALLOCATION,
        layout=layout,
    )


class OffloadEnv(gym.Env):
    """Offloading decisions of one scenario (module docstring); ``duration_s`` overrides the scenario's arrivals'
    duration (an episode's length), ``layout`` picks the observation (:data:`mcfn.learn.observe.OBSERVATIONS`)."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self, scenario: Scenario | str | Path | None = None, *, duration_s: float | None = None, layout: str = CENTRAL
    ) -> None:
        scenario = resolve_scenario(scenario)
        if duration_s is not None:
            if not duration_s > 0:
                raise ValueError(f"duration_s must be positive, got {duration_s!r}")
            scenario = scenario.model_copy(update={"duration_s": float(duration_s)})
        self.scenario = scenario
        world = build_world(scenario)
        # the model's own arrivals see no time to arrive in (the least positive duration; a trace's rows at 0 s would
        # still arrive): the environment's arrivals hold each task for a decision
        quiet = scenario.model_copy(update={"duration_s": math.ulp(0.0)})
        self._world = dataclasses.replace(world, scenario=quiet)
        self._menus = menus(world)
        self.observer = make_observer(scenario, world, layout)
        self.observation_space = observation_space(self.observer)
        self.action_space = spaces.Discrete(self.observer.slots)
        self._options = world.options
        self._model: NetworkModel | None = None
        self._pending: tuple[int, int, float] | None = None
        self._mask = np.ones(self.observer.slots, dtype=bool)
        self._action = 0
        self._steps = 0
        self.simulation_seed = -1

    # --- the Gymnasium API -----------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start an episode on a simulation seed drawn from the environment's generator (``options["simulation_seed"]``
        sets it instead)."""
        super().reset(seed=seed)
        chosen = (options or {}).get("simulation_seed")
        sim_seed = int(chosen) if chosen is not None else int(self.np_random.integers(TRAINING_SEEDS, 2**31 - 1))
        self._start(sim_seed)
        if not self._advance():
            raise ValueError(f"no task needs a decision in {self.scenario.duration_s:g} s on seed {sim_seed}")
        return self._observe(), self._info([])

    def step(self, action: Any):
        if self._pending is None:
            raise RuntimeError("step() after the episode ended: call reset()")
        service, terminal, scale = self._pending
        self._pending = None
        self._action = int(action)
        model = self._model
        self._ledger.decided(model.table.count, self._steps)  # the id the arrival is about to get
        model._arrive(service, terminal, scale)
        self._steps += 1
        terminated = not self._advance()
        if terminated:
            drain(model, self.scenario)
        credits = self._ledger.settle()
        reward = float(sum(utility for _, utility in credits))
        observation = self._observe() if not terminated else _zeros(self.observation_space)
        return observation, reward, terminated, False, self._info(credits)

    def action_masks(self) -> np.ndarray:
        """The current decision's action mask (what sb3-contrib's MaskablePPO asks for)."""
        return self._mask

    # --- the simulation --------------------------------------------------------------------------------------
    def _start(self, seed: int) -> None:
        scenario = self.scenario
        sim = Simulator(seed=seed)
        placement = make_policy(PLACEMENT, sim.stream("policy"))
        model = NetworkModel(sim, self._world, policy=placement)
        Failures(model, scenario.failures)
        model.chooser = LearnedChoices(
            router=model.router,
            policy=placement,
            menus=self._menus,
            weight=scenario.utility_weight,
            decide=self._decide,
        )
        self._arrivals = Arrivals(sim, scenario, on_arrival=self._arrival)
        self._model = model
        self._sim = sim
        self._ledger = Ledger(
            model.table,
            options=self._options,
            deadlines_s=[s.deadline_s for s in scenario.services],
            weight=scenario.utility_weight,
        )
        self._pending = None
        self._steps = 0
        self.simulation_seed = seed

    def _arrival(self, service: int, terminal: int, scale: float) -> None:
        """An arrival: held for a decision, or taken in at once when it needs none."""
        model = self._model
        station = model.access.serving[terminal]
        if station < 0 or station in model.down_stations:
            model._arrive(service, terminal, scale)
            return
        self._pending = (service, terminal, scale)
        self._sim.stop()  # hand control back to step() at this instant

    def _advance(self) -> bool:
        """Fire events until an arrival waits for a decision (True) or the arrivals are over (False)."""
        self._sim.run(until_s=self.scenario.duration_s)
        return self._pending is not None

    def _observe(self) -> dict[str, np.ndarray]:
        service, terminal, _ = self._pending
        model = self._model
        station = model.access.serving[terminal]
        uplink_bps = model.access.uplink_bps(terminal, station)
        observation, self._mask = self.observer.observe(model.view, service, station, uplink_bps, self._sim.now)
        return observation

    def _decide(self, service: int, station: int, uplink_bps: float, now_s: float) -> tuple[int, int]:
        return self.observer.decode(service, self._action, self._mask)

    def _info(self, credits: list[tuple[int, float]]) -> dict[str, Any]:
        return {"action_mask": self._mask, "credit": credits, "decisions": self._steps}


def _zeros(space: spaces.Dict) -> dict[str, np.ndarray]:
    return {key: np.zeros(box.shape, dtype=box.dtype) for key, box in space.spaces.items()}
