"""The compiled modules (setup.py, Cython pure Python mode) against their Python sources."""

from __future__ import annotations

import functools
import hashlib
import importlib.machinery
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcfn import _accelerated
from mcfn.network.uplink import JOINT_ALLOCATION, UPLINK_POLICIES
from mcfn.routing import POLICIES
from mcfn.sim import engine
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


@functools.cache
def engine_source() -> ModuleType:
    """``mcfn.sim.engine`` loaded from its Python source, beside the (compiled, where built) module in use."""
    loader = importlib.machinery.SourceFileLoader(
        "mcfn_engine_source", str(Path(engine.__file__).with_name("engine.py"))
    )
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


DELAYS = st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.5, math.inf])  # ties in time are the point
PRIORITIES = st.integers(-1, 1)
HANDLES = st.integers(0, 60)  # cancels of events fired, pending and not yet scheduled
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("schedule"), DELAYS, PRIORITIES),
        st.tuples(st.just("cancel"), HANDLES),
        st.tuples(
            st.just("run"), st.one_of(st.just(math.inf), st.floats(0.0, 8.0)), st.one_of(st.none(), st.integers(0, 9))
        ),
    ),
    max_size=40,
)
#: What the event scheduled as the ``k``-th does when it fires: reaction ``k`` modulo their number.
REACTIONS = st.lists(
    st.lists(st.tuples(DELAYS, PRIORITIES, st.one_of(st.none(), HANDLES)), max_size=3), min_size=1, max_size=6
)


def replay(kernel: ModuleType, steps: list[tuple], reactions: list[list[tuple]]) -> list[tuple]:
    """Run a schedule on a kernel module: what fired, when, and the kernel's state after every run. Every other
    event of priority 0 goes to a :class:`~mcfn.sim.engine.Handler` (``Simulator._push_job``)."""
    sim = kernel.Simulator(seed=1)
    log: list[tuple] = []
    scheduled = 0

    class Firing(kernel.Handler):
        def handle(self, job: int) -> None:
            fire(job)

    handler = Firing()

    def schedule(delay_s: float, priority: int) -> None:
        nonlocal scheduled
        if scheduled < 200:
            if priority == 0 and scheduled % 2:
                sim._push_job(sim.now + delay_s, handler, scheduled)
            else:
                sim.schedule(delay_s, fire, scheduled, priority=priority)
            scheduled += 1

    def fire(label: int) -> None:
        log.append(("fired", label, sim.now))
        for delay_s, priority, handle in reactions[label % len(reactions)]:
            schedule(delay_s, priority)
            if handle is not None:
                sim.cancel(handle)

    for step in [*steps, ("run", math.inf, None)]:
        if step[0] == "schedule":
            schedule(*step[1:])
        elif step[0] == "cancel":
            sim.cancel(step[1])
        else:
            fired = sim.run(until_s=step[1], max_events=step[2])
            log.append(("ran", fired, sim.now, sim.pending, sim.events_processed))
    return log


@settings(max_examples=200, deadline=None)
@given(steps=STEPS, reactions=REACTIONS)
def test_compiled_kernel_fires_as_the_python_source(steps: list[tuple], reactions: list[list[tuple]]) -> None:
    assert replay(engine, steps, reactions) == replay(engine_source(), steps, reactions)


def digests(columns: dict[str, np.ndarray]) -> dict[str, str]:
    """A digest of each per-task column of a run."""
    return {name: hashlib.sha256(column.tobytes()).hexdigest() for name, column in columns.items()}


def network_digests() -> dict[str, dict[str, str]]:
    """For every policy: the column digests of the failure scenario of ``test_network_sim``."""
    from tests.sim.conftest import small_scenario
    from tests.sim.test_network_sim import FAILURES

    scenario = small_scenario(failures=FAILURES, max_reroutes=1)
    return {policy: digests(simulate(scenario, policy).columns) for policy in POLICIES}


def tiled_digests() -> dict[str, dict[str, str]]:
    """For every policy: the column digests of a scenario with tiled stages (fork, join, and tiles re-routed after
    the failures of ``test_network_sim``)."""
    from tests.sim.conftest import tiled_scenario
    from tests.sim.test_network_sim import FAILURES

    scenario = tiled_scenario(failures=FAILURES, max_reroutes=1)
    return {policy: digests(simulate(scenario, policy).columns) for policy in POLICIES}


def uplink_digests() -> dict[str, dict[str, str]]:
    """For every uplink policy (the compiled uplink stations, and the solver's subclass of them): the column
    digests of a short busy run."""
    from tests.sim.conftest import small_scenario

    return {
        policy: digests(
            simulate(small_scenario(duration_s=4, radio={"uplink_policy": policy}), "compute-aware").columns
        )
        for policy in [*UPLINK_POLICIES, JOINT_ALLOCATION]
    }


def orchestration_digests() -> dict[str, dict[str, str]]:
    """For every orchestrating policy (the compiled chooser): the column digests of a run whose first service offers
    variants, an exit and compression levels."""
    from mcfn.orchestration import ORCHESTRATED
    from tests.sim.test_orchestrated_runs import variant_scenario

    return {policy: digests(simulate(variant_scenario(), policy).columns) for policy in ORCHESTRATED}


@pytest.mark.parametrize("digested", [network_digests, tiled_digests, uplink_digests, orchestration_digests])
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
