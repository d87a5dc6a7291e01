"""Environment steps per second of ``mcfn/Offload-v0`` with a random policy: ``python benchmarks/learn.py``.

Issue 20's goal: at least 20,000 steps (decisions) per second on one core. Each uplink policy's line runs the default
scenario (its arrivals over ``--duration-s`` simulated seconds) three ways, one after the other in this process, and
reports CPU seconds (``time.process_time``: the machine is shared, and other processes' load does not count):

- ``env``: the environment, a uniformly random action among those its mask allows at every step;
- ``sim``: the simulator alone under ``utility-aware`` (the orchestrator the environment's decision replaces, with
  its own utility search), the same arrivals;
- the ratio ``env / sim``: what the environment costs beyond the simulation it drives (observation, mask, credit,
  stepping the kernel one event at a time).

Each figure is the best of ``--repeats`` passes (the least disturbed by other processes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mcfn.learn.env import OffloadEnv
from mcfn.scenario import default_scenario
from mcfn.sim.run import simulate

UPLINKS = ("joint-allocation", "equal-bandwidth")


def env_steps_per_s(env: OffloadEnv, seed: int) -> float:
    """One episode with random masked actions: decisions per CPU second."""
    rng = np.random.default_rng(seed)
    started = time.process_time()
    _, info = env.reset(seed=seed)
    steps, done = 0, False
    while not done:
        allowed = np.flatnonzero(info["action_mask"])
        _, _, done, _, info = env.step(int(allowed[rng.integers(allowed.size)]))
        steps += 1
    return steps / (time.process_time() - started)


def sim_tasks_per_s(scenario, policy: str) -> float:
    started = time.process_time()
    run = simulate(scenario, policy)
    return len(run.columns["status"]) / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=float, default=30.0, help="simulated seconds of arrivals per episode")
    parser.add_argument("--repeats", type=int, default=3, help="passes; the best counts")
    args = parser.parse_args()
    print(f"default scenario, {args.duration_s:g} s of arrivals; best of {args.repeats}; CPU time of this process")
    print(f"{'uplink':<18}{'env steps/s':>14}{'sim tasks/s':>14}{'env/sim':>9}{'goal 20k':>10}")
    for uplink in UPLINKS:
        scenario = default_scenario()
        radio = scenario.radio.model_copy(update={"uplink_policy": uplink})
        scenario = scenario.model_copy(update={"radio": radio, "duration_s": args.duration_s})
        env = OffloadEnv(scenario)
        env_best = max(env_steps_per_s(env, seed) for seed in range(args.repeats))
        sim_best = max(sim_tasks_per_s(scenario, "utility-aware") for _ in range(args.repeats))
        met = "met" if env_best >= 20_000 else "not met"
        print(f"{uplink:<18}{env_best:>14,.0f}{sim_best:>14,.0f}{env_best / sim_best:>9.2f}{met:>10}")


if __name__ == "__main__":
    main()
