"""Figures of the training commands (matplotlib, headless): the eq. (1) fit, and accuracy by round and by time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mcfn.experiments.stats import CONFIDENCE, mean_ci
from mcfn.training.curve import CurveFit
from mcfn.training.learning_curve import CurvePoint


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_fit(path: Path, points: Sequence[CurvePoint], fit: CurveFit, *, dataset: str) -> Path:
    """Measured accuracies (each draw, and their mean ± CI per amount) and the fitted eq. (1) curve."""
    import matplotlib.ticker

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    alpha = np.array([p.data_mbit for p in points])
    accuracy = np.array([p.accuracy for p in points])
    ax.scatter(alpha, accuracy, s=12, alpha=0.4, color="tab:gray", label="one draw")
    amounts = np.unique(alpha)
    stats = [mean_ci(accuracy[alpha == a]) for a in amounts]
    means = [s.mean for s in stats]
    errors = [s.half_width or 0.0 for s in stats]
    ax.errorbar(amounts, means, yerr=errors, fmt="o", color="tab:blue", capsize=3,
                label=f"mean ± {CONFIDENCE:.0%} CI (Student t)")  # fmt: skip
    grid = np.geomspace(amounts.min(), amounts.max(), 200)
    ax.plot(grid, fit.predict(grid), color="tab:red", label="eq. (1) fit")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("training data α (Mbit)")
    ax.set_ylabel("test accuracy")
    ax.set_title(
        f"{dataset}: y = p − q α^(−r), p = {fit.p:.3f} [{fit.p_ci[0]:.3f}, {fit.p_ci[1]:.3f}], "
        f"q = {fit.q:.4f}, r = {fit.r:.3f} [{fit.r_ci[0]:.3f}, {fit.r_ci[1]:.3f}]",
        fontsize=9,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_accuracy(path: Path, curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, xlabel: str,
                  title: str) -> Path:  # fmt: skip
    """One line of test accuracy per strategy against ``x`` (rounds, or seconds on the network)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, (x, y) in curves.items():
        ax.plot(x, y, marker="o", markersize=3, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (held-out set)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
