"""``energy.png``: each policy's energy per completed task, split into its parts, and its terminals' share.

Left: the run's energy over its completed tasks, stacked as the terminals' (radio, device, sidelink), the servers'
load-dependent energy, the network and the servers' idle energy (its share per completed task), each part's mean over
the seeds; the error bar is the 95 % confidence interval of the total over the seeds (Student t). Right: the
terminals' energy per task (mJ), mean over the seeds with its interval. Every bar is recomputed from
``tasks.parquet`` and ``summary.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mcfn.experiments.stats import CONFIDENCE, mean_ci
from mcfn.sim.energy import TERMINAL_PARTS
from mcfn.sim.records import COMPLETED
from mcfn.sim.report import by_policy_label
from mcfn.sim.run import RunResult

#: Stacked parts: label, and the per-run joules of that part.
_PARTS = (
    ("terminals (radio, device, sidelink)", lambda run: _terminal_j(run).sum()),
    ("servers, busy", lambda run: run.columns["compute_energy_j"].sum()),
    ("network", lambda run: run.summary["energy"]["network_j"]),
    ("servers, idle", lambda run: run.summary["energy"]["servers_idle_j"]),
)


def plot_energy(out: Path, runs: Sequence[RunResult]) -> list[Path]:
    """Write ``energy.png`` into ``out``; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = by_policy_label(runs)
    names = list(groups)
    seeds = len(next(iter(groups.values())))
    over = f"mean ± {CONFIDENCE:.0%} CI over {seeds} seeds, Student t" if seeds > 1 else "one seed: no CI"
    fig, (left, right) = plt.subplots(1, 2, figsize=(max(9, 1.6 * len(names)), 4.6))
    x = np.arange(len(names))
    bottom = np.zeros(len(names))
    for label, joules in _PARTS:
        heights = np.array([np.mean([joules(run) / max(_completed(run), 1) for run in groups[name]]) for name in names])
        left.bar(x, heights, 0.6, bottom=bottom, label=label)
        bottom += heights
    totals = [mean_ci([run.summary["energy"]["per_completed_task_j"] or 0.0 for run in groups[n]]) for n in names]
    left.errorbar(x, bottom, yerr=[t.half_width or 0.0 for t in totals], fmt="none", ecolor="black", capsize=4)
    left.set_xticks(x, names, rotation=45, ha="right")
    left.set_ylabel("energy per completed task (J)")
    left.set_title("Energy per completed task")
    left.legend(fontsize="small")
    radio = [mean_ci([1e3 * float(np.mean(_terminal_j(run))) for run in groups[n]]) for n in names]
    errors = [r.half_width or 0.0 for r in radio]
    right.bar(x, [r.mean or 0.0 for r in radio], 0.6, yerr=errors, capsize=4, color="tab:green")
    right.set_xticks(x, names, rotation=45, ha="right")
    right.set_ylabel("terminal energy per task (mJ)")
    right.set_title("At the terminal")
    fig.suptitle(over)
    fig.tight_layout()
    path = out / "energy.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [path]


def _terminal_j(run: RunResult) -> np.ndarray:
    """Each task's energy at the terminals: radio, device and sidelink."""
    return sum(run.columns[name] for name in TERMINAL_PARTS)


def _completed(run: RunResult) -> int:
    return int((run.columns["status"] == COMPLETED).sum())
