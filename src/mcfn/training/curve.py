"""Seed eq. (1), ``y(alpha) = p - q alpha^(-r)``, fitted to measured accuracies by nonlinear least squares.

The classic power-law learning curve (accuracy against the amount of training data; Hestness et al., "Deep learning
scaling is predictable, empirically", arXiv:1712.00409, 2017; Figueroa et al., "Predicting sample size required for
classification performance", BMC Med. Inform. Decis. Mak. 12:8, 2012, fit this very form).

The fit is trust-region reflective least squares (``scipy.optimize.curve_fit``) with ``p <= 1`` (an accuracy)
and ``q, r > 0``; the confidence intervals are Wald intervals from the Jacobian at the optimum:
``cov = s^2 (J^T J)^(-1)`` with ``s^2`` the residual variance, and ``estimate ± t_{m-3} sqrt(cov_ii)`` (Bates &
Watts, "Nonlinear regression analysis and its applications", Wiley 1988, ch. 2). They do not hold for a parameter
that ends at a bound (``at_bound`` names it): points still climbing at the largest amount, on a straight line in
``log alpha``, pin ``p`` at 1 and ``r`` near 0, where eq. (1) is not identifiable from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfn.allocation.problem import AccuracyCurve

#: Confidence level of the intervals.
CONFIDENCE = 0.95
#: Largest ``p``: accuracy is at most 1.
P_MAX = 1.0
#: Bounds of ``(p, q, r)`` in the fit (``r`` up to 10: steeper curves are a step, not a learning curve; assumed).
LOWER, UPPER = (-np.inf, 0.0, 1e-6), (P_MAX, np.inf, 10.0)


@dataclass(frozen=True, slots=True)
class CurveFit:
    """Fitted ``p, q, r`` of eq. (1) (data amount in the unit of the fitted ``alpha``), their confidence intervals
    ``(low, high)`` by ``interval`` (``jacobian`` or ``bootstrap``), the root-mean-square residual, and the
    parameters that ended at a bound of the fit."""

    p: float
    q: float
    r: float
    p_ci: tuple[float, float]
    q_ci: tuple[float, float]
    r_ci: tuple[float, float]
    rmse: float
    points: int
    at_bound: tuple[str, ...] = ()
    interval: str = "jacobian"

    @property
    def curve(self) -> AccuracyCurve:
        return AccuracyCurve(self.p, self.q, self.r)

    def predict(self, alpha: np.ndarray) -> np.ndarray:
        return self.p - self.q * np.power(np.asarray(alpha, dtype=float), -self.r)

    def to_json_dict(self) -> dict[str, object]:
        return {
            "p": self.p,
            "q": self.q,
            "r": self.r,
            "ci": {
                "p": list(self.p_ci),
                "q": list(self.q_ci),
                "r": list(self.r_ci),
                "level": CONFIDENCE,
                "method": self.interval,
            },
            "rmse": self.rmse,
            "points": self.points,
            "at_bound": list(self.at_bound),
        }


def eq1(alpha: np.ndarray, p: float, q: float, r: float) -> np.ndarray:
    """Seed eq. (1): ``p - q alpha^(-r)``."""
    return p - q * np.power(alpha, -r)


def fit_eq1(
    alpha: np.ndarray, accuracy: np.ndarray, *, bootstrap: int = 0, rng: np.random.Generator | None = None
) -> CurveFit:
    """Least-squares ``p, q, r`` of eq. (1) through the points ``(alpha, accuracy)`` (repeated ``alpha`` welcome)
    with their confidence intervals: Jacobian (Wald) intervals, or, with ``bootstrap`` resamples, percentile
    intervals of the fits to the points resampled with replacement (case resampling; Efron & Tibshirani, "An
    introduction to the bootstrap", 1993, ch. 9), which need no symmetry. Needs at least four points at three or
    more distinct amounts; raises ValueError otherwise or if the fit does not converge."""
    from scipy.stats import t as student_t

    x = np.asarray(alpha, dtype=float)
    y = np.asarray(accuracy, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("alpha and accuracy must be 1-D arrays of the same length")
    if len(x) < 4 or len(np.unique(x)) < 3:
        raise ValueError(f"fitting p, q, r needs >= 4 points at >= 3 distinct amounts, got {len(x)} points")
    if np.any(x <= 0) or not np.all(np.isfinite(y)):
        raise ValueError("data amounts must be > 0 and accuracies finite")
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be >= 0, got {bootstrap}")
    params, cov = _solve(x, y)
    if bootstrap:
        draws = np.array([_solve(x[k], y[k])[0] for k in _resamples(x, bootstrap, rng or np.random.default_rng(0))])
        tail = 100 * (1 - CONFIDENCE) / 2
        intervals = np.percentile(draws, [tail, 100 - tail], axis=0).T
    else:
        dof = max(len(x) - 3, 1)
        half = student_t.ppf(0.5 + CONFIDENCE / 2, dof) * np.sqrt(np.clip(np.diag(cov), 0.0, np.inf))
        intervals = np.stack([params - half, params + half], axis=1)
    p, q, r = params
    residual = y - eq1(x, p, q, r)
    return CurveFit(
        p=float(p),
        q=float(q),
        r=float(r),
        p_ci=(float(intervals[0, 0]), float(intervals[0, 1])),
        q_ci=(float(intervals[1, 0]), float(intervals[1, 1])),
        r_ci=(float(intervals[2, 0]), float(intervals[2, 1])),
        rmse=float(np.sqrt(np.mean(residual**2))),
        points=len(x),
        at_bound=tuple(
            name
            for name, value, low, high in zip("pqr", params, LOWER, UPPER, strict=True)
            if np.isclose(value, low, rtol=1e-6, atol=1e-9) or np.isclose(value, high, rtol=1e-6, atol=1e-9)
        ),
        interval="bootstrap" if bootstrap else "jacobian",
    )


def _solve(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(p, q, r)`` and their covariance estimate, from a start read off the points."""
    from scipy.optimize import curve_fit

    small, large = x.min(), x.max()
    p0 = min(float(y[x == large].mean()) + 0.01, P_MAX)
    r0 = 0.5
    q0 = max(p0 - float(y[x == small].mean()), 1e-3) * small**r0
    try:
        params, cov = curve_fit(eq1, x, y, p0=(p0, q0, r0), bounds=(LOWER, UPPER), maxfev=20000)
    except RuntimeError as exc:
        raise ValueError(f"eq. (1) fit did not converge: {exc}") from None
    return params, cov


def _resamples(x: np.ndarray, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` index sets drawn with replacement, each holding three or more distinct amounts (others redrawn)."""
    drawn: list[np.ndarray] = []
    while len(drawn) < count:
        k = rng.integers(len(x), size=len(x))
        if len(np.unique(x[k])) >= 3:
            drawn.append(k)
    return drawn
