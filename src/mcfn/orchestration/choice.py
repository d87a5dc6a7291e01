"""Per-task orchestration (seed §3.1, §3.2): the way to serve a task that maximises the seed's utility.

For one task of a service arriving at a base station, :class:`UtilityChooser` picks the option (model variant and
exit, :mod:`mcfn.services`), the input compression and the placement of its stages that maximise the seed's per-task
utility ``w A - (1 - w) T / T_max`` among the choices predicted to meet the deadline ``T_max`` and the accuracy floor,
on the aware view. The placement of an option's stages is its routing policy's (compute-aware routes each stage to
the least predicted latency and falls back to the cloud when no edge meets the budget;
:meth:`~mcfn.routing.router.Router.route_stages`); ``T`` adds the upload of the compressed input at the rate the
caller predicts, and the fixed radio delays and downlink. When no choice meets both limits, the fastest choice
that meets the floor is taken (it may still make the deadline; the prediction is stale), else the fastest of all.

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
    its routed latency.
    """

    options: tuple[int, ...]
    requests: tuple[tuple[SplitRequest, ...], ...]
    accuracy: tuple[tuple[float, ...], ...]
    compression: tuple[float, ...]
    fixed_s: tuple[float, ...]
    lower_s: tuple[float, ...]
    data_bits: float
    deadline_s: float
    min_accuracy: float


@dataclass(frozen=True, slots=True)
class Choice:
    """A decision: global option id, compression ratio, the routed stages, predicted latency and utility."""

    option: int
    compression: float
    route: StagedRoute
    latency_s: float
    utility: float
    feasible: bool


class UtilityChooser:
    """Chooses option, compression and placement per task (module docstring), routing with ``policy``."""

    def __init__(self, *, router: Router, policy: Policy, menus: Sequence[Menu], weight: float) -> None:
        self._router = router
        self._policy = policy
        self._menus = tuple(menus)
        self._weight = weight

    def choose(self, service: int, station: int, uplink_bps: float, now_s: float) -> Choice:
        """The choice for a task of ``service`` entering at station ``station`` (its index in the menus' requests),
        whose input would upload at ``uplink_bps``."""
        menu = self._menus[service]
        w, deadline, floor = self._weight, menu.deadline_s, menu.min_accuracy
        upload_s = [c * menu.data_bits / uplink_bps if menu.data_bits else 0.0 for c in menu.compression]
        bounds = []
        for i, accuracy in enumerate(menu.accuracy):
            least = menu.fixed_s[i] + menu.lower_s[i]
            bound = max(
                (
                    w * a - (1.0 - w) * (least + up) / deadline
                    for a, up in zip(accuracy, upload_s, strict=True)
                    if a >= floor
                ),
                default=-float("inf"),
            )
            bounds.append((bound, i))
        bounds.sort(reverse=True)
        best: Choice | None = None
        fallback: Choice | None = None  # while nothing is feasible: above the floor first, then fastest, then best
        fallback_key = (True, float("inf"), 0.0)
        for bound, i in bounds:
            if best is not None and bound <= best.utility:
                break
            route = self._router.route_stages(menu.requests[i][station], self._policy, now_s=now_s)
            routed_s = menu.fixed_s[i] + route.latency_s
            for c, (accuracy, up) in enumerate(zip(menu.accuracy[i], upload_s, strict=True)):
                latency = routed_s + up
                if accuracy >= floor and latency <= deadline:
                    utility = w * accuracy - (1.0 - w) * latency / deadline
                    if best is None or utility > best.utility:
                        best = Choice(menu.options[i], menu.compression[c], route, latency, utility, True)
                elif best is None and (key := (accuracy < floor, latency, -accuracy)) < fallback_key:
                    # predicted late or below the floor: scored as failed
                    fallback_key = key
                    fallback = Choice(menu.options[i], menu.compression[c], route, latency, -(1.0 - w), False)
        return best if best is not None else fallback
