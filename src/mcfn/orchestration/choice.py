"""Per-task orchestration (seed §3.1, §3.2): the way to serve a task that maximises the seed's utility.

For one task of a service arriving at a base station, :class:`UtilityChooser` picks the option (model variant and
exit, :mod:`mcfn.services`), the input compression and the placement of its stages that maximise the seed's per-task
utility ``w A - (1 - w) T / T_max`` among the choices predicted to meet the deadline ``T_max`` and the accuracy floor,
on the aware view. The placement of an option's stages is its routing policy's (compute-aware routes each stage to
the least predicted latency and falls back to the cloud when no edge meets the budget;
:meth:`~mcfn.routing.router.Router.route_stages`, which predicts each option without recording it: only the choice's
placements are recorded in the aware view, :meth:`~mcfn.routing.router.Router.record`); ``T`` adds the upload of
the compressed input at the rate the caller predicts, and the fixed radio delays and downlink. When no choice meets
both limits, the fastest choice that meets the floor is taken (it may still make the deadline; the prediction is
stale), else the fastest of all.

Tabulated once per service (:class:`Menu`): each option's accuracy at every compression level, its fixed radio
time, and a lower bound of its routed latency (every stage alone on the fastest instance, no network, no queue).
Options are tried in order of their utility bound, and the search stops when no untried option can beat the best
one found, so a decision usually routes one or two options, whatever the menu's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mcfn.routing.policies import Policy
from mcfn.routing.request import SplitRequest
from mcfn.routing.router import Router, StagedRoute

#: Orchestrating policies by name: each chooses option and compression per task and routes with the routing policy
#: named (``utility-nearest-edge``: the variant choices without compute routing, a baseline).
ORCHESTRATED: dict[str, str] = {"utility-aware": "compute-aware", "utility-nearest-edge": "nearest-edge"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Menu:
    """What a service offers its tasks, tabulated for :class:`UtilityChooser`.

    ``options`` are global option ids; ``requests[i][station]`` option ``i``'s split request from each station;
    ``accuracy[i][c]`` its accuracy at ``compression[c]`` of the input (seed eq. 1); ``fixed_s[i]`` its radio time
    outside the route (upload and downlink delays, the answer's downlink transfer); ``lower_s[i]`` a lower bound of
    its routed latency; ``radio_delay_s`` the delay after an upload before the data is at the station.
    """

    options: tuple[int, ...]
    requests: tuple[tuple[SplitRequest, ...], ...]
    accuracy: tuple[tuple[float, ...], ...]
    compression: tuple[float, ...]
    fixed_s: tuple[float, ...]
    lower_s: tuple[float, ...]
    radio_delay_s: float
    data_bits: float
    deadline_s: float
    min_accuracy: float


class Choice:
    """A decision: global option id, compression ratio, the routed stages, predicted latency and utility, and whether
    it is predicted to meet the deadline and the floor. Read-only by contract."""

    __slots__ = ("compression", "feasible", "latency_s", "option", "route", "utility")

    def __init__(
        self, option: int, compression: float, route: StagedRoute, latency_s: float, utility: float, feasible: bool
    ) -> None:
        self.option = option
        self.compression = compression
        self.route = route
        self.latency_s = latency_s
        self.utility = utility
        self.feasible = feasible

    def __repr__(self) -> str:
        return (
            f"Choice(option={self.option}, compression={self.compression}, latency_s={self.latency_s}, "
            f"utility={self.utility}, feasible={self.feasible})"
        )


class UtilityChooser:
    """Chooses option, compression and placement per task (module docstring), routing with ``policy``.

    Compiled (``choice.pxd``), a decision is typed loops around the router's calls.
    """

    def __init__(self, *, router: Router, policy: Policy, menus: Sequence[Menu], weight: float) -> None:
        self._router = router
        self._policy = policy
        self._menus = tuple(menus)
        self._weight = weight

    def choose(self, service: int, station: int, uplink_bps: float, now_s: float) -> Choice:
        """The choice for a task of ``service`` entering at station ``station`` (its index in the menus' requests),
        whose input would upload at ``uplink_bps``."""
        menu: Menu = self._menus[service]
        w = self._weight
        deadline, floor = menu.deadline_s, menu.min_accuracy
        compression, accuracy = menu.compression, menu.accuracy
        n, levels = len(menu.options), len(compression)
        seconds_per_ratio = menu.data_bits / uplink_bps if menu.data_bits else 0.0
        # the stages are routed from the end of the upload at the first (least compressed) level
        upload_s = menu.radio_delay_s + compression[0] * seconds_per_ratio
        bound = [0.0] * n  # each option's utility bound: its lower latency bound, best level above the floor
        for i in range(n):
            least = menu.fixed_s[i] + menu.lower_s[i]
            top = -_INF
            for c in range(levels):
                a = accuracy[i][c]
                if a >= floor:
                    u = w * a - (1.0 - w) * (least + compression[c] * seconds_per_ratio) / deadline
                    if u > top:
                        top = u
            bound[i] = top
        tried = [False] * n
        # the best feasible choice so far (option i < 0: none yet), and while there is none, the fallback: above the
        # floor first, then fastest, then most accurate
        best_i, best_c, best_u, best_s, best_route = -1, 0, -_INF, 0.0, None
        back_i, back_c, back_rank, back_s, back_a, back_route = -1, 0, 2, _INF, 0.0, None
        for _ in range(n):
            i = -1  # the untried option of the highest bound (the first on ties)
            for k in range(n):
                if not tried[k] and (i < 0 or bound[k] > bound[i]):
                    i = k
            tried[i] = True
            if best_i >= 0 and bound[i] <= best_u:
                break
            route = self._router.route_stages(
                menu.requests[i][station], self._policy, now_s=now_s, elapsed_s=upload_s, record=False
            )
            routed_s = menu.fixed_s[i] + route.latency_s
            for c in range(levels):
                a = accuracy[i][c]
                latency = routed_s + compression[c] * seconds_per_ratio
                if a >= floor and latency <= deadline:
                    u = w * a - (1.0 - w) * latency / deadline
                    if best_i < 0 or u > best_u:
                        best_i, best_c, best_u, best_s, best_route = i, c, u, latency, route
                elif best_i < 0:
                    rank = 0 if a >= floor else 1
                    if (rank, latency, -a) < (back_rank, back_s, -back_a):
                        back_i, back_c, back_rank, back_s, back_a, back_route = i, c, rank, latency, a, route
        if best_i >= 0:
            self._router.record(best_route)
            return Choice(menu.options[best_i], compression[best_c], best_route, best_s, best_u, True)
        self._router.record(back_route)
        # predicted late or below the floor: scored as failed
        return Choice(menu.options[back_i], compression[back_c], back_route, back_s, -(1.0 - w), False)


_INF = float("inf")
