"""Means over seeds with their confidence intervals (Student t), for one metric or a whole summary at once.

The runs of an experiment on seeds ``s, s+1, …`` are independent samples of a metric; its mean over ``n`` seeds
has the two-sided confidence interval ``mean ± t_{1-α/2, n-1} · sd / √n`` (``sd`` with ``n - 1`` degrees of
freedom), exact when the metric is normal across seeds and close to it for means of many tasks. With one seed
there is no interval: its half-width is ``None``, never ``0``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The confidence of every interval mcfn reports.
CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class MeanCI:
    """A mean over ``n`` samples and the half-width of its confidence interval (``None`` when ``n < 2``)."""

    mean: float | None
    half_width: float | None
    n: int

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON form: ``{"mean", "ci95", "n"}`` (``ci95`` the half-width at :data:`CONFIDENCE`)."""
        return {"mean": self.mean, "ci95": self.half_width, "n": self.n}


def mean_ci(values: Iterable[float | None], *, confidence: float = CONFIDENCE) -> MeanCI:
    """Mean of ``values`` and the Student-t half-width of its two-sided ``confidence`` interval.

    ``None`` and NaN values (a metric a run could not measure, e.g. a latency quantile with no task completed) are
    left out, and ``n`` counts the rest. Raises :class:`ValueError` for a confidence outside ``(0, 1)``.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    xs = [float(v) for v in values if v is not None and not math.isnan(v)]
    n = len(xs)
    if n == 0:
        return MeanCI(mean=None, half_width=None, n=0)
    mean = math.fsum(xs) / n
    if n == 1:
        return MeanCI(mean=mean, half_width=None, n=1)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    return MeanCI(mean=mean, half_width=half_width(sd, n, confidence=confidence), n=n)


def half_width(sd: float, n: int, *, confidence: float = CONFIDENCE) -> float:
    """The Student-t half-width ``t(0.5 + confidence / 2, n − 1) · sd / √n`` of the interval of a mean of ``n ≥ 2``
    samples whose standard deviation is ``sd``."""
    from scipy.stats import t

    return float(t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)


def summarise_numbers(
    documents: Sequence[Mapping[str, Any]], *, skip: Iterable[str] = (), confidence: float = CONFIDENCE
) -> dict[str, Any]:
    """:func:`mean_ci` of every number found at the same place in ``documents`` (nested JSON-like mappings).

    The result has the documents' nesting, with ``{"mean", "ci95", "n"}`` (:meth:`MeanCI.as_dict`) in place of
    each number; a key is kept if any document holds a number (or ``None``) under it, and a document that lacks it
    does not count towards its ``n``. Booleans, strings and lists are not metrics and are left out, as are the
    top-level keys in ``skip`` (e.g. the seed itself).
    """
    skipped = set(skip)
    keys = list(dict.fromkeys(k for doc in documents for k in doc if k not in skipped))
    out: dict[str, Any] = {}
    for key in keys:
        values = [doc[key] for doc in documents if key in doc]
        if all(isinstance(v, Mapping) for v in values):
            out[key] = summarise_numbers(values, confidence=confidence)
        elif all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
            out[key] = mean_ci(values, confidence=confidence).as_dict()
    return out
