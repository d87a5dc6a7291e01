"""Shared fixtures: small seeded allocation instances."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn.allocation.generator import InstanceSpec, generate_instance
from mcfn.allocation.problem import Instance


def make_instance(seed: int = 0, **spec: object) -> Instance:
    """A generated instance with the spec's defaults overridden by ``spec``."""
    return generate_instance(InstanceSpec(**spec), np.random.default_rng(seed))  # type: ignore[arg-type]


@pytest.fixture
def default_instance() -> Instance:
    return make_instance(0)
