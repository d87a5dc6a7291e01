"""Environments in Ray actors (``mcfn learn --ray-address``) step exactly as the same environments in this process."""

import numpy as np
import pytest

pytest.importorskip("ray")

from stable_baselines3.common.vec_env import DummyVecEnv

from mcfn.learn.env import OffloadEnv
from mcfn.learn.ray_envs import RayVecEnv


def test_environments_in_ray_actors_step_exactly_as_in_process_across_an_episode_end(monkeypatch):
    from ray.cluster_utils import Cluster

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    factories = [lambda: OffloadEnv(duration_s=1.0) for _ in range(2)]
    local = DummyVecEnv(factories)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
    try:
        remote = RayVecEnv(factories, address=cluster.address)
        try:
            ends = 0
            for vec in (local, remote):
                vec.seed(5)
            observations = [vec.reset() for vec in (local, remote)]
            for _ in range(400):  # about 270 decisions an episode: both environments end one and start the next
                for key in observations[0]:
                    np.testing.assert_array_equal(observations[0][key], observations[1][key])
                masks = [np.stack(local.env_method("action_masks")), remote.action_masks()]
                np.testing.assert_array_equal(masks[0], masks[1])
                actions = masks[0].argmax(axis=1)  # the first action each mask allows
                (obs_a, rew_a, done_a, _), (obs_b, rew_b, done_b, _) = (vec.step(actions) for vec in (local, remote))
                np.testing.assert_array_equal(rew_a, rew_b)
                np.testing.assert_array_equal(done_a, done_b)
                ends += int(done_a.sum())
                observations = [obs_a, obs_b]
            assert ends >= 2
        finally:
            remote.close()
    finally:
        cluster.shutdown()
