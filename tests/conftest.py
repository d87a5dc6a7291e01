"""Shared fixtures (small seeded allocation instances) and the check that compiled modules are fresh."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn import _accelerated
from mcfn.allocation.generator import InstanceSpec, generate_instance
from mcfn.allocation.problem import Instance


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test compiled modules built from older sources than the ones in the tree."""
    if stale := _accelerated.stale_modules():
        pytest.exit(f"compiled modules older than their sources: {', '.join(stale)}; run `make install`", 2)


def make_instance(seed: int = 0, **spec: object) -> Instance:
    """A generated instance with the spec's defaults overridden by ``spec``."""
    return generate_instance(InstanceSpec(**spec), np.random.default_rng(seed))  # type: ignore[arg-type]


@pytest.fixture
def default_instance() -> Instance:
    return make_instance(0)
