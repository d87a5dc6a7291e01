"""The learning curve of a training run: mean per-decision utility per rollout, with its 95 % confidence band."""

from __future__ import annotations

from pathlib import Path

from mcfn.learn.train import TrainingLog


def plot_learning_curve(log: TrainingLog, path: Path, *, references: dict[str, float] | None = None) -> Path:
    """Draw ``log``'s curve to ``path`` (PNG or SVG by its suffix), with horizontal lines at ``references`` (a
    heuristic's mean utility by name, e.g. from an evaluation); returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=150)
    xs, ys, half = log.curve_steps, log.curve_utility, log.curve_ci95
    ax.fill_between(xs, [y - h for y, h in zip(ys, half, strict=True)], [y + h for y, h in zip(ys, half, strict=True)],
                    color="tab:red", alpha=0.2, linewidth=0)  # fmt: skip
    ax.plot(xs, ys, color="tab:red", label=f"MaskablePPO ({log.layout})")
    for k, (name, value) in enumerate((references or {}).items()):
        ax.axhline(value, color=f"C{k}", linestyle="--", linewidth=1, label=name)
    ax.set_xlabel("environment steps (decisions)")
    ax.set_ylabel("mean utility per decision (rollout)")
    ax.set_title(f"training: {log.wall_s:.0f} s wall, {log.envs} environments, {log.episode_s:g} s episodes")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
