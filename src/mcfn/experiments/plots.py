"""Figures in the seed's style: system utility vs the swept parameter, one line per scheme and bandwidth."""

from __future__ import annotations

from pathlib import Path

from mcfn.experiments.catalog import FigureSpec
from mcfn.experiments.sweep import Point

#: label, colour, marker, z-order: the proposed scheme is drawn last, on top of baselines that nearly match it.
SCHEME_STYLE = {
    "fc": ("FC", "tab:blue", "s", 2),
    "ac": ("AC", "tab:green", "^", 2),
    "wcr": ("WCR", "tab:purple", "D", 2),
    "proposed": ("Proposed", "tab:red", "o", 3),
}
BANDWIDTH_LINESTYLES = ("--", "-", ":", "-.")


def plot_figure(figure: FigureSpec, points: list[Point], path: Path) -> Path:
    """Draw ``points`` of ``figure`` to ``path`` (PNG or SVG by suffix) with matplotlib; returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 4.8), dpi=150)
    for b_index, bandwidth in enumerate(figure.bandwidths_mhz):
        for scheme, (label, color, marker, zorder) in SCHEME_STYLE.items():
            line = sorted(
                (getattr(p, figure.x_field), p.utility_mean)
                for p in points
                if p.scheme == scheme and p.bandwidth_mhz == bandwidth
            )
            if not line:
                continue
            xs, ys = zip(*line, strict=True)
            ax.plot(
                xs,
                ys,
                color=color,
                marker=marker,
                markersize=5 if scheme == "proposed" else 4,
                markerfacecolor=color if scheme == "proposed" else "none",
                zorder=zorder,
                linestyle=BANDWIDTH_LINESTYLES[b_index % len(BANDWIDTH_LINESTYLES)],
                label=f"{label}, B = {bandwidth:g} MHz",
            )
    ax.set_xlabel(figure.x_label)
    ax.set_ylabel("system utility")
    ax.set_title(figure.title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
