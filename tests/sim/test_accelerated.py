"""The compiled modules (setup.py, Cython pure Python mode) against their Python sources."""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcfn import _accelerated
from mcfn.network.uplink import JOINT_ALLOCATION, UPLINK_POLICIES
from mcfn.routing import POLICIES
from mcfn.sim.queueing import simulate_station
from mcfn.sim.run import simulate

REPOSITORY = Path(__file__).parents[2]
STATION = {"arrival_rate": 3.2, "service_rate": 1.0, "servers": 4, "jobs": 5000, "seed": 7}


def in_pure_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter with ``MCFN_PURE_PYTHON=1``; its standard output."""
    path = os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, _accelerated.PURE_PYTHON_VARIABLE: "1", "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPOSITORY, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_module_with_a_pxd_is_compilable() -> None:
    modules = _accelerated.compilable_modules()
    stations = {"mcfn.sim.sharing", "mcfn.sim.wired", "mcfn.sim.servers", "mcfn.sim.access", "mcfn.sim.arrivals"}
    assert {"mcfn.sim.engine", "mcfn.sim.resources", "mcfn.sim.queueing", *stations} <= set(modules)


@pytest.mark.skipif(
    os.environ.get("MCFN_REQUIRE_COMPILED") != "1" or _accelerated.pure_python_requested(),
    reason="only where the build must have compiled (make test sets MCFN_REQUIRE_COMPILED=1)",
)
def test_an_installed_build_runs_every_module_compiled() -> None:
    assert all(_accelerated.compiled_modules().values()), _accelerated.compiled_modules()


def test_pure_python_switch_loads_the_sources() -> None:
    code = "import json; from mcfn import _accelerated as a; print(json.dumps(a.compiled_modules()))"
    assert not any(json.loads(in_pure_python(code)).values())


@pytest.mark.parametrize(("value", "requested"), [("", False), ("0", False), ("false", False), ("1", True)])
def test_pure_python_switch_values(monkeypatch: pytest.MonkeyPatch, value: str, requested: bool) -> None:
    monkeypatch.setenv(_accelerated.PURE_PYTHON_VARIABLE, value)
    assert _accelerated.pure_python_requested() is requested


def test_compiled_station_matches_the_python_source_bit_for_bit() -> None:
    code = (
        "import json; from mcfn.sim.queueing import simulate_station; "
        f"s = simulate_station(**{STATION!r}); "
        "print(json.dumps([s.sojourn_s.tolist(), s.mean_in_system, s.utilisation, s.events]))"
    )
    sojourn, in_system, utilisation, events = json.loads(in_pure_python(code))
    ours = simulate_station(**STATION)
    np.testing.assert_array_equal(ours.sojourn_s, np.array(sojourn))  # JSON floats round-trip exactly
    assert (ours.mean_in_system, ours.utilisation, ours.events) == (in_system, utilisation, events)


def digests(columns: dict[str, np.ndarray]) -> dict[str, str]:
    """A digest of each per-task column of a run."""
    return {name: hashlib.sha256(column.tobytes()).hexdigest() for name, column in columns.items()}


def network_digests() -> dict[str, dict[str, str]]:
    """For every policy: the column digests of the failure scenario of ``test_network_sim``."""
    from tests.sim.conftest import small_scenario
    from tests.sim.test_network_sim import FAILURES

    scenario = small_scenario(failures=FAILURES, max_reroutes=1)
    return {policy: digests(simulate(scenario, policy).columns) for policy in POLICIES}


def uplink_digests() -> dict[str, dict[str, str]]:
    """For every uplink policy (the compiled uplink stations, and the solver's Python subclass of them): the column
    digests of a short busy run."""
    from tests.sim.conftest import small_scenario

    return {
        policy: digests(
            simulate(small_scenario(duration_s=4, radio={"uplink_policy": policy}), "compute-aware").columns
        )
        for policy in [*UPLINK_POLICIES, JOINT_ALLOCATION]
    }


@pytest.mark.parametrize("digested", [network_digests, uplink_digests])
def test_compiled_network_simulation_matches_the_python_source_bit_for_bit(digested) -> None:
    name = digested.__name__
    code = f"import json; from tests.sim.test_accelerated import {name}; print(json.dumps({name}()))"
    assert digested() == json.loads(in_pure_python(code))


def test_an_extension_older_than_its_source_is_stale(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_accelerated, "_PACKAGE_ROOT", tmp_path)
    (tmp_path / "sim").mkdir()
    for name in ("fresh", "old"):
        for suffix in (".py", ".pxd"):
            (tmp_path / "sim" / name).with_suffix(suffix).write_text("")
    built = importlib.machinery.EXTENSION_SUFFIXES[0]
    fresh, old = (tmp_path / "sim" / "fresh").with_suffix(built), (tmp_path / "sim" / "old").with_suffix(built)
    fresh.write_text("")
    old.write_text("")
    os.utime(old, (0, 0))
    assert _accelerated.stale_modules() == ["mcfn.sim.old"]
