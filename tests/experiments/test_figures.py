"""The seed's figures come out with the shapes the paper and the spec describe."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from mcfn.allocation import Method
from mcfn.experiments.catalog import FIGURES, FigureName
from mcfn.experiments.sweep import CSV_COLUMNS, aggregate, run_sweep

SEEDS = (0, 1)


def _curves(figure_name, method=Method.EXACT):
    figure = FIGURES[figure_name]
    points = aggregate(run_sweep(figure, seeds=SEEDS, method=method, jobs=1))
    curves = {}
    for p in points:
        assert p.n_seeds == len(SEEDS)
        curves.setdefault((p.scheme, p.bandwidth_mhz), []).append((getattr(p, figure.x_field), p.utility_mean))
    return {key: np.array(sorted(values))[:, 1] for key, values in curves.items()}, figure


@pytest.fixture(scope="module")
def fig3():
    return _curves(FigureName.FIG3)


@pytest.fixture(scope="module")
def fig4():
    return _curves(FigureName.FIG4)


def test_fig3_proposed_rises_with_capacity_then_is_flat_from_200(fig3):
    curves, figure = fig3
    x = np.array(figure.x_values)
    for bandwidth in figure.bandwidths_mhz:
        u = curves[("proposed", bandwidth)]
        rising = u[x <= 200]
        assert np.all(np.diff(rising) > 1e-4)
        np.testing.assert_allclose(u[x >= 200], u[x == 200][0], rtol=1e-6)


def test_fig3_more_bandwidth_is_better_and_proposed_dominates(fig3):
    curves, figure = fig3
    assert np.all(curves[("proposed", 50.0)] > curves[("proposed", 10.0)])
    for bandwidth in figure.bandwidths_mhz:
        proposed = curves[("proposed", bandwidth)]
        for scheme in ("fc", "ac", "wcr"):
            assert np.all(proposed >= curves[(scheme, bandwidth)] - 1e-7), scheme


def test_fig4_utility_falls_with_degradation_ever_more_gently(fig4):
    curves, figure = fig4
    for bandwidth in figure.bandwidths_mhz:
        drops = -np.diff(curves[("proposed", bandwidth)])
        assert np.all(drops > 0)
        assert np.all(np.diff(drops) < 0), drops


@pytest.mark.parametrize("figure_name", list(FigureName))
def test_the_fast_method_draws_the_exact_curves(figure_name, request):
    exact, _ = request.getfixturevalue(figure_name.value)
    fast, _ = _curves(figure_name, Method.FAST)
    assert fast.keys() == exact.keys()
    for key, utilities in exact.items():
        np.testing.assert_allclose(fast[key], utilities, rtol=1e-6, atol=1e-9, err_msg=str(key))


def test_reproduce_command_writes_csv_record_and_png(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "mcfn", "reproduce", "fig4", "--seeds", "1", "--jobs", "2", "--method", "exact",
         "--out", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["seeds"] == [0]
    with open(tmp_path / "fig4.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 2 * 9 * 4
    assert {r["scheme"] for r in rows} == {"proposed", "fc", "ac", "wcr"}
    record = json.loads((tmp_path / "fig4.json").read_text())
    first = next(r for r in rows if r["scheme"] == "wcr")
    samples = [s for s in record["samples"] if s["scheme"] == "wcr" and s["degradation"] == float(first["degradation"])
               and s["bandwidth_mhz"] == float(first["bandwidth_mhz"])]  # fmt: skip
    assert float(first["utility_mean"]) == pytest.approx(np.mean([s["utility"] for s in samples]))
    assert (tmp_path / "fig4.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_figure_keeps_every_curve_and_line_style_visible():
    from mcfn.experiments.plots import draw_figure
    from mcfn.experiments.sweep import Point

    figure = FIGURES[FigureName.FIG3]
    points = [
        Point(b, f, 0.1, scheme, utility_mean=1.0 + f / 1e3 - (0.01 if scheme == "fc" else 0.0), utility_std=0.1,
              rejected_mean=0.0, n_seeds=3)
        for b in figure.bandwidths_mhz for f in (50.0, 100.0) for scheme in ("proposed", "fc", "ac", "wcr")
    ]  # fmt: skip
    fig = draw_figure(figure, points)
    upper, lower = fig.axes
    lines = {line.get_label(): line for line in upper.get_lines()}
    proposed, fc = lines["Proposed, B = 10 MHz"], lines["FC, B = 10 MHz"]
    assert fc.get_zorder() > proposed.get_zorder()  # FC is drawn over Proposed, not hidden under it
    assert proposed.get_linewidth() > fc.get_linewidth()  # and Proposed shows around it
    assert upper.collections  # the confidence bands
    styles = [(h.get_linestyle(), h.get_marker()) for h in upper.get_legend().legend_handles]
    assert {style for style, _ in styles} == {"--", "-"}  # one entry per bandwidth, its line style alone
    assert all(marker in ("None", "", None) for _, marker in styles)
    gaps = [line.get_ydata() for line in lower.get_lines() if len(line.get_ydata()) == 2]
    assert any(np.allclose(g, -0.01) for g in gaps)  # FC's small gap to Proposed is plain in the lower panel
