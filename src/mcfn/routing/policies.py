"""Routing policies: one small Protocol, chosen by name; each returns a position in the candidate arrays.

A policy sees only :class:`~mcfn.routing.costs.CandidateCosts` (a read-only view of one decision), so every
policy is compared by the same router on the same predictions. The policies here read its arrays through their
underscored twins (compiled: typed views, :mod:`mcfn.routing.costs`). ``compute-aware`` is the seed's compute routing;
the others are the usual baselines of edge-offloading studies.

``compute-aware`` breaks ties at random: among the candidates it may choose whose predicted total is within
:data:`TIE_S` of the least, it draws one uniformly from its seeded Generator (so a seed gives one sequence of
choices). A fixed order, the first least candidate, would send every tie to the same node: identical edges at equal
distance tie whenever they are idle, and while the router's view holds no newer state all of them would land on the
first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from mcfn.compute.ids import unknown_id
from mcfn.routing.costs import CandidateCosts

try:
    import cython
except ImportError:  # Cython builds mcfn; without it, mcfn runs as Python
    from mcfn._accelerated import uncompiled as cython

#: Predicted totals within this many seconds of the least are a tie (assumed: a nanosecond, so equal up to the
#: rounding of sums taken in another order; identical nodes at equal distance tie exactly).
TIE_S = 1e-9
#: Uniform draws that a policy fetches from its Generator at once.
_DRAWS = 1024


class Policy(Protocol):
    """Chooses one candidate of a decision; returns its position in ``costs.nodes``. The costs are the decision's
    only during the call: a router may predict its next decision into them (:meth:`Router.route_stages`)."""

    def choose(self, costs: CandidateCosts) -> int: ...


def _any(mask: np.ndarray) -> bool:
    """Whether some position of ``mask`` is set (compiled: a typed loop, not a NumPy array made of a typed view)."""
    if cython.compiled:
        for i in range(mask.shape[0]):  # noqa: SIM110 (any() of a generator: a closure, which cdef forbids)
            if mask[i]:
                return True
        return False
    return bool(np.count_nonzero(mask))


def _argmin_within(values: np.ndarray, mask: np.ndarray) -> int:
    """Position of the least ``values`` among ``mask`` (first on ties); all positions if ``mask`` is empty.

    This is ``np.where(mask, values, np.inf).argmin()`` for a non-empty mask, NaN and all, but usually without the
    ``where`` (a decision's hot path): when the first least value of all is in ``mask``, no value of ``mask``
    before it is as small, so it is also the first least value in ``mask``. Compiled, it is one typed loop over
    that ``where`` (NumPy's ``argmin``: the first NaN, else the first least value).
    """
    if cython.compiled:
        n = values.shape[0]
        if n == 0:
            raise ValueError("attempt to get argmin of an empty sequence")
        within = _any(mask)
        inf = np.inf
        best, least = 0, inf
        for i in range(n):
            value = values[i] if mask[i] or not within else inf
            if value != value:  # NaN
                return i
            if i == 0 or value < least:
                best, least = i, value
        return best
    best = int(values.argmin())
    if mask[best] or not np.count_nonzero(mask):
        return best
    return int(np.where(mask, values, np.inf).argmin())


def _tied(values: np.ndarray, mask: np.ndarray, best: int, tolerance: float) -> int:
    """How many positions of ``mask`` (all positions if it is empty) have ``values`` within ``tolerance`` of
    ``values[best]``."""
    if cython.compiled:
        n = values.shape[0]
        within = _any(mask)
        bound = values[best] + tolerance
        count = 0
        for i in range(n):
            if (mask[i] or not within) and values[i] <= bound:
                count += 1
        return count
    near = values <= values[best] + tolerance
    return int(np.count_nonzero(near & mask)) if np.count_nonzero(mask) else int(np.count_nonzero(near))


def _nth_tied(values: np.ndarray, mask: np.ndarray, best: int, tolerance: float, nth: int) -> int:
    """The position of the ``nth`` (from 0) of the positions that :func:`_tied` counts."""
    within = _any(mask)
    bound = values[best] + tolerance
    for i in range(values.shape[0]):
        if (mask[i] or not within) and values[i] <= bound:
            if nth == 0:
                return i
            nth -= 1
    raise ValueError(f"fewer ties than {nth + 1}")


class ComputeAware:
    """Least predicted ``network + queue + compute`` among candidates that meet the budget — so a cloud instance
    when it meets the budget and no edge candidate does (the seed's "tasks the edge cannot handle go to the
    cloud") —; when none meets it, the fastest candidate of all (a cloud that cannot make the deadline either is
    no fallback). Ties (within :data:`TIE_S`) are broken by a uniform draw from ``rng`` (module docstring).

    ``least_total``: it chooses among the least totals only, so a router may leave out candidates that a bound
    proves slower (:class:`~mcfn.routing.costs.Shortlist`)."""

    least_total = True

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._draws: list[float] = []  # drawn ahead from _rng, the next last

    def choose(self, costs: CandidateCosts) -> int:
        # the arrays handed on as kept, the feasible mask with the policies' meaning (none feasible: all): a typed
        # local would acquire each one's buffer
        best = _argmin_within(costs._total_s, costs._feasible)
        if costs._total_s[best] != costs._total_s[best]:  # NaN: no tie to break
            return best
        ties = _tied(costs._total_s, costs._feasible, best, TIE_S)
        if ties == 1:
            return best
        if not self._draws:
            self._draws = self._rng.random(_DRAWS).tolist()[::-1]
        return _nth_tied(costs._total_s, costs._feasible, best, TIE_S, int(self._draws.pop() * ties))


class NearestEdge:
    """The edge candidate with the least propagation delay, whatever its load; the cloud only if no edge."""

    def choose(self, costs: CandidateCosts) -> int:
        return _argmin_within(costs.transfers._path_delay_s, costs.instances._is_edge)


class LeastLoaded:
    """The edge candidate with the least load (busy share plus backlog); the cloud only if no edge."""

    def choose(self, costs: CandidateCosts) -> int:
        return _argmin_within(costs.load, costs.instances._is_edge)


class CloudOnly:
    """The cloud instance nearest by propagation delay; any candidate if the service has no cloud instance."""

    def choose(self, costs: CandidateCosts) -> int:
        return _argmin_within(costs.transfers._path_delay_s, costs.instances._is_cloud)


class RoundRobin:
    """Candidates in turn, one per decision (state: a counter in this policy object)."""

    def __init__(self) -> None:
        self._turn = 0

    def choose(self, costs: CandidateCosts) -> int:
        position = self._turn % costs.nodes.size
        self._turn += 1
        return position


class Random:
    """A uniformly random candidate, drawn from the Generator given at construction."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def choose(self, costs: CandidateCosts) -> int:
        return int(self._rng.integers(costs.nodes.size))


#: Policy name → factory taking the Generator (used by ``compute-aware`` to break ties and by ``random``).
POLICIES: dict[str, Callable[[np.random.Generator], Policy]] = {
    "compute-aware": ComputeAware,
    "nearest-edge": lambda _rng: NearestEdge(),
    "least-loaded": lambda _rng: LeastLoaded(),
    "cloud-only": lambda _rng: CloudOnly(),
    "round-robin": lambda _rng: RoundRobin(),
    "random": Random,
}


def make_policy(name: str, rng: np.random.Generator | None = None) -> Policy:
    """A fresh policy by name (see ``POLICIES``); ``rng`` defaults to ``numpy.random.default_rng(0)``."""
    if name not in POLICIES:
        raise unknown_id("routing policy", name, POLICIES)
    return POLICIES[name](rng if rng is not None else np.random.default_rng(0))
