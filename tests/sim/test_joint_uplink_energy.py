"""The scenario's ``energy_weight`` in the joint-allocation uplink: the solver weighs each terminal's upload energy
(its radio's draw while sending times the upload time), so a heavier weight spends fewer joules per upload."""

from __future__ import annotations

import numpy as np

from mcfn.sim.records import COMPLETED
from mcfn.sim.run import simulate
from tests.sim.conftest import small_scenario


def test_a_heavier_energy_weight_spends_less_upload_energy_per_task():
    runs = [
        simulate(small_scenario(duration_s=4, energy_weight=weight, radio={"uplink_policy": "joint-allocation"}),
                 "compute-aware")
        for weight in (0.0, 30.0)
    ]  # fmt: skip
    energy = []
    for run in runs:
        tasks, status = run.summary["tasks"], run.columns["status"]
        assert tasks["arrived"] == tasks["completed"] + tasks["failed"] + tasks["in_flight"] == status.size
        done = status == COMPLETED
        energy.append(float(np.mean(run.columns["upload_energy_j"][done])))
    assert runs[0].summary["tasks"]["arrived"] == runs[1].summary["tasks"]["arrived"]
    assert energy[1] < 0.9 * energy[0]
    assert runs[1].summary["mean_accuracy"] < runs[0].summary["mean_accuracy"]
