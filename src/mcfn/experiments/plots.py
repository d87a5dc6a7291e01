"""Figures in the seed's style: system utility vs the swept parameter, one line per scheme and bandwidth, with the
95 % confidence band of each mean over seeds (Student t).

Baselines can coincide with the proposed scheme (FC nearly matches it): the proposed curve is drawn first, wide and
pale, so a baseline drawn over it stays visible, and a lower panel plots each close baseline's gap to the proposed
scheme, where curves that overlap above come apart. Colour and marker say the scheme, the line style the
bandwidth, in two legends, so that a style is never hidden behind a marker.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mcfn.experiments.catalog import FigureSpec
from mcfn.experiments.stats import CONFIDENCE, half_width
from mcfn.experiments.sweep import Point

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: label, colour, marker: the proposed scheme underneath (wide, pale), the baselines over it.
SCHEME_STYLE = {
    "proposed": ("Proposed", "tab:red", "o"),
    "fc": ("FC", "tab:blue", "s"),
    "ac": ("AC", "tab:green", "^"),
    "wcr": ("WCR", "tab:purple", "D"),
}
BANDWIDTH_LINESTYLES = ("--", "-", ":", "-.")
#: The baselines whose gap to the proposed scheme the lower panel shows (WCR is far below, plain in the upper one).
CLOSE_BASELINES = ("fc", "ac")


def draw_figure(figure: FigureSpec, points: list[Point]) -> Figure:
    """The matplotlib figure of ``points`` of ``figure``: a curve per scheme and bandwidth with its confidence band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, (ax, below) = plt.subplots(
        2, 1, figsize=(7.0, 6.4), dpi=150, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]}
    )
    styles = {b: BANDWIDTH_LINESTYLES[k % len(BANDWIDTH_LINESTYLES)] for k, b in enumerate(figure.bandwidths_mhz)}
    curves: dict[tuple[str, float], dict[float, float]] = {}
    for layer, (scheme, (label, color, marker)) in enumerate(SCHEME_STYLE.items()):
        proposed = scheme == "proposed"
        for bandwidth, style in styles.items():
            line = sorted(
                (getattr(p, figure.x_field), p) for p in points if p.scheme == scheme and p.bandwidth_mhz == bandwidth
            )
            if not line:
                continue
            xs = [x for x, _ in line]
            ys = [p.utility_mean for _, p in line]
            curves[scheme, bandwidth] = dict(zip(xs, ys, strict=True))
            bands = [half_width(p.utility_std, p.n_seeds) if p.n_seeds > 1 else 0.0 for _, p in line]
            ax.fill_between(
                xs, [y - h for y, h in zip(ys, bands, strict=True)], [y + h for y, h in zip(ys, bands, strict=True)],
                color=color, alpha=0.12, linewidth=0, zorder=layer,
            )  # fmt: skip
            ax.plot(
                xs,
                ys,
                color=color,
                marker=marker,
                linestyle=style,
                linewidth=4.0 if proposed else 1.2,
                alpha=0.45 if proposed else 1.0,
                markersize=7 if proposed else 4,
                markerfacecolor=color if proposed else "none",
                zorder=10 + layer,
                label=f"{label}, B = {bandwidth:g} MHz",
            )
    for scheme in CLOSE_BASELINES:
        label, color, marker = SCHEME_STYLE[scheme]
        for bandwidth, style in styles.items():
            mine, reference = curves.get((scheme, bandwidth)), curves.get(("proposed", bandwidth))
            if mine is None or reference is None:
                continue
            xs = sorted(set(mine) & set(reference))
            gaps = [mine[x] - reference[x] for x in xs]
            below.plot(xs, gaps, color=color, marker=marker, markersize=4, markerfacecolor="none", linestyle=style)
    below.axhline(0.0, color=SCHEME_STYLE["proposed"][1], linewidth=4.0, alpha=0.45)
    below.set_ylabel("minus Proposed", fontsize=8)
    below.set_xlabel(figure.x_label)
    below.grid(True, alpha=0.3)
    ax.set_ylabel("system utility")
    ax.set_title(figure.title, fontsize=10)
    ax.grid(True, alpha=0.3)
    schemes = [
        Line2D([], [], color=color, marker=marker, linestyle="-", label=label)
        for label, color, marker in SCHEME_STYLE.values()
    ]
    bandwidths = [Line2D([], [], color="black", linestyle=style, label=f"B = {b:g} MHz") for b, style in styles.items()]
    first = ax.legend(handles=schemes, title="scheme", fontsize=7, title_fontsize=7, loc="lower right")
    ax.add_artist(first)
    ax.legend(
        handles=bandwidths,
        title=f"bandwidth (bands: {CONFIDENCE:.0%} CI)",
        fontsize=7,
        title_fontsize=7,
        handlelength=4.0,
        loc="lower center",
    )
    fig.tight_layout()
    return fig


def plot_figure(figure: FigureSpec, points: list[Point], path: Path) -> Path:
    """Draw ``points`` of ``figure`` (:func:`draw_figure`) to ``path`` (PNG or SVG by suffix); returns ``path``."""
    import matplotlib.pyplot as plt

    fig = draw_figure(figure, points)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
