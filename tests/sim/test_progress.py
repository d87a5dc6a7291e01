"""Progress reaches the parent while runs go, in worker processes too (not in a burst when a run ends), and a
long run reports from its first simulated seconds."""

from __future__ import annotations

import itertools
import time

from mcfn.sim.run import MAX_STEP_S, compare, simulate
from tests.sim.conftest import small_scenario


def test_workers_report_progress_while_they_run():
    scenario = small_scenario(duration_s=600)  # ~1 s of wall a run: several of the parent's 0.1 s polls
    heard: dict[tuple[str, int], list[tuple[float, float]]] = {}

    def progress(name: str, seed: int, now_s: float) -> None:
        heard.setdefault((name, seed), []).append((time.perf_counter(), now_s))

    compare(scenario, ["random", "nearest-edge"], jobs=2, progress=progress)
    for reports in heard.values():
        partial = [at for at, now_s in reports if now_s < scenario.duration_s]
        batches = 1 + sum(b - a > 0.02 for a, b in itertools.pairwise(partial))
        assert batches >= 3  # heard in several batches as the run goes, not in one burst when it ends


def test_a_long_run_reports_every_simulated_second_or_less():
    scenario = small_scenario(duration_s=30)
    seen: list[float] = []
    simulate(scenario, "random", progress=seen.append)
    assert seen[0] <= MAX_STEP_S
    assert max(b - a for a, b in itertools.pairwise(seen)) <= MAX_STEP_S + 1e-9
