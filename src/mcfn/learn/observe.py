"""What a learned orchestrator sees of one decision, and how its action becomes the orchestrator's choice.

A decision is the one :class:`~mcfn.orchestration.choice.UtilityChooser` makes for a task arriving at a base station:
which *way* serves it — an option (model variant and exit, :mod:`mcfn.services`) at an input compression level
(seed eq. 1). The stages of the chosen option are then placed by the routing policy it is given (``compute-aware``:
the seed's compute routing), as the utility chooser does, so a learned orchestrator and the utility chooser differ
only in the choice they learned or computed.

The observation holds only what a controller at the core could know when the task arrives (no engine internals):

- ``task``: the service (one-hot), the ingress cell (one-hot; a cell's own agent sees none, :data:`CELL`), the
  input's size (Mbit), the deadline (s), the terminal's radio state — the uplink rate the allocation would give a new
  upload now, as its upload time for the whole input over the deadline —, and the utility weight ``w``;
- ``candidates``: for every compute node, from the aware view (:class:`mcfn.awareness.AwareView`): the predicted wait
  for its earliest free VM slot, the busy share of its slots now, the advert's age, and the path from the ingress —
  propagation delay and bottleneck bandwidth (:meth:`mcfn.network.topology.Topology.fastest_paths`); a cell's own
  agent sees them ordered by that path's delay, its own edge server first;
- ``ways``: for every slot of the action, the option's accuracy at that compression, the compression, and a lower
  bound of its latency over the deadline (every stage alone on its fastest instance, plus the upload at the predicted
  rate: :class:`~mcfn.orchestration.choice.Menu`'s bound), and whether the slot exists for this service.

Values are scaled to about ``[0, 1]`` and clipped into the observation space's bounds. The action is a slot
``option * levels + compression level``; the action mask (:meth:`Observer.mask`) allows the slots that exist for the
service and meet its accuracy floor and whose latency bound meets the deadline (all existing slots when none does);
under the ``joint-allocation`` uplink the allocation sets the compression (seed §3.2), so only level 0 is allowed. An
action outside the mask is served as slot 0 (the reference variant, uncompressed).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mcfn.awareness import AwareView
from mcfn.network.topology import Topology
from mcfn.orchestration.choice import Choice, Menu
from mcfn.routing import Policy
from mcfn.routing.router import Router

#: Observation layouts: the central orchestrator's (ingress one-hot, candidates in fleet order) and a cell's own
#: agent's (no ingress, candidates ordered by path delay from its cell: parameter sharing across cells).
CENTRAL, CELL = "central", "cell"
OBSERVATIONS = (CENTRAL, CELL)
#: Features per candidate: wait, busy share, advert age, path delay, bandwidth.
CANDIDATE_FEATURES = 5
#: Features per way: accuracy, compression, latency bound over the deadline, exists.
WAY_FEATURES = 4
#: Scales (assumed: the magnitudes of the default scenario): seconds of wait and of advert age, and path delay, at
#: which a feature reaches 1; bandwidth is ``log10(bps) - 6`` over 5 (1 Mbit/s … 100 Gbit/s onto 0 … 1).
WAIT_SCALE_S, AGE_SCALE_S, DELAY_SCALE_S = 0.5, 1.0, 0.05
#: Every feature is clipped into ``[-CLIP, CLIP]`` (the Box's bounds).
CLIP = 10.0
# ufunc reductions called directly: a decision's arrays are tiny, and the ndarray methods add a Python layer
_least, _count, _any = np.minimum.reduce, np.add.reduce, np.logical_or.reduce


class Observer:
    """Encodes decisions of one world (its menus, topology, fleet) and turns actions into choices.

    ``menus`` are the world's (:func:`mcfn.sim.world.menus`), ``nodes`` its fleet's topology vertex names, ``stations``
    its base stations; ``joint`` whether the uplink is the seed's joint allocation (which sets the compression).
    """

    def __init__(
        self,
        *,
        menus: Sequence[Menu],
        topology: Topology,
        nodes: Sequence[str],
        stations: Sequence[str],
        weight: float,
        joint: bool,
        layout: str = CENTRAL,
    ) -> None:
        if layout not in OBSERVATIONS:
            raise ValueError(f"unknown observation layout {layout!r}; valid: {', '.join(OBSERVATIONS)}")
        self.menus = tuple(menus)
        self.layout = layout
        self.weight = weight
        self.levels = max(len(m.compression) for m in self.menus)
        self.slots = max(len(m.options) for m in self.menus) * self.levels
        services, cells, n = len(self.menus), len(stations), len(nodes)
        self.task_size = services + (cells if layout == CENTRAL else 0) + 4
        self._cells = cells
        # per station: each candidate's path delay and bottleneck from it, and the candidates' order
        vertices = [topology.index_of(name) for name in nodes]
        delay = np.empty((cells, n))
        bandwidth = np.empty((cells, n))
        for i, station in enumerate(stations):
            paths = topology.fastest_paths(station)
            delay[i] = paths.delay_s[vertices]
            bandwidth[i] = paths.bottleneck_bps[vertices]
        self._order = np.argsort(delay, axis=1, kind="stable") if layout == CELL else np.tile(np.arange(n), (cells, 1))
        rows = np.arange(cells)[:, None]
        path = np.stack(
            [
                np.clip(delay / DELAY_SCALE_S, 0.0, CLIP),
                np.clip((np.log10(np.maximum(bandwidth, 1.0)) - 6.0) / 5.0, 0.0, 1.0),
            ],
            axis=2,
        )[rows, self._order]
        #: per station, the candidates' features with the path's filled in (the rest per decision)
        self._candidates = np.zeros((cells, n, CANDIDATE_FEATURES), dtype=np.float32)
        self._candidates[:, :, 3:] = path
        # per service: each slot's features (the latency bound's column per decision: a + b * upload seconds), and
        # which slots exist and meet the floor
        shape = (services, self.slots)
        self._ways = np.zeros((*shape, WAY_FEATURES), dtype=np.float32)
        self._latency_a = np.zeros(shape)
        self._latency_b = np.zeros(shape)
        self._exists = np.zeros(shape, dtype=bool)
        self._allowed = np.zeros(shape, dtype=bool)
        for s, menu in enumerate(self.menus):
            for i in range(len(menu.options)):
                for c, ratio in enumerate(menu.compression):
                    k = i * self.levels + c
                    if joint and c:
                        continue  # the allocation chooses the compression: level 0 stands for all
                    self._ways[s, k] = (menu.accuracy[i][c], ratio, 0.0, 1.0)
                    self._latency_a[s, k] = (menu.fixed_s[i] + menu.lower_s[i] + menu.radio_delay_s) / menu.deadline_s
                    self._latency_b[s, k] = ratio / menu.deadline_s
                    self._exists[s, k] = True
                    self._allowed[s, k] = menu.accuracy[i][c] >= menu.min_accuracy
        # per (service, station): the task's features, the upload's column per decision
        width = self.task_size
        self._task = np.zeros((services, cells, width), dtype=np.float32)
        for s, menu in enumerate(self.menus):
            for i in range(cells):
                self._task[s, i, s] = 1.0
                if layout == CENTRAL:
                    self._task[s, i, services + i] = 1.0
                self._task[s, i, width - 4 :] = (menu.data_bits / 1e6, menu.deadline_s, 0.0, weight)
        self._data_bits = [m.data_bits for m in self.menus]
        self._deadline_s = [m.deadline_s for m in self.menus]
        self._nodes = n

    @property
    def candidates(self) -> int:
        return self._nodes

    def observe(
        self, view: AwareView, service: int, station: int, uplink_bps: float, now_s: float
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The observation of a task of ``service`` arriving at ``station`` whose input would upload at
        ``uplink_bps``, and its action mask (module docstring)."""
        deadline = self._deadline_s[service]
        upload_s = self._data_bits[service] / uplink_bps if uplink_bps > 0 else CLIP * deadline
        task = self._task[service, station].copy()
        task[-2] = min(upload_s / deadline, CLIP)
        free = view.slot_free_s
        dynamic = np.empty((CANDIDATE_FEATURES - 2, self._nodes))
        np.subtract(_least(free, axis=1), now_s, out=dynamic[0])
        dynamic[0] *= 1.0 / WAIT_SCALE_S
        np.divide(_count(np.greater(free, now_s) & view.slot_used, axis=1), view.vm_slots, out=dynamic[1])
        np.subtract(now_s, view.sent_s, out=dynamic[2])
        dynamic[2] *= 1.0 / AGE_SCALE_S
        candidates = self._candidates[station].copy()
        candidates[:, :3] = dynamic.T[self._order[station]] if self.layout == CELL else dynamic.T
        np.minimum(np.maximum(candidates, 0.0, out=candidates), CLIP, out=candidates)
        latency = self._latency_a[service] + self._latency_b[service] * upload_s
        ways = self._ways[service].copy()
        ways[:, 2] = np.minimum(latency, CLIP)
        mask = self._allowed[service] & (latency <= 1.0)
        if not _any(mask):
            mask = self._allowed[service] if _any(self._allowed[service]) else self._exists[service]
        return {"task": task, "candidates": candidates, "ways": ways}, mask

    def decode(self, service: int, action: int, mask: np.ndarray) -> tuple[int, int]:
        """The menu index of the option and the compression level of ``action`` (slot 0 if the mask forbids it)."""
        if not 0 <= action < self.slots or not mask[action]:
            action = 0
        return divmod(action, self.levels)


class LearnedChoices:
    """The orchestrator's side of a learned decision: routes the option an action names and returns the
    :class:`~mcfn.orchestration.choice.Choice` that :class:`~mcfn.sim.model.NetworkModel` adopts.

    ``decide(service, station, uplink_bps, now_s) -> (option index, compression level)`` is the learner (an agent
    network, or the environment handing the decision to its caller); :meth:`choose` has the utility chooser's
    signature, so a model takes it as its ``chooser``.
    """

    def __init__(self, *, router: Router, policy: Policy, menus: Sequence[Menu], weight: float, decide) -> None:
        self._router = router
        self._policy = policy
        self._menus = tuple(menus)
        self._weight = weight
        self.decide = decide

    def choose(self, service: int, station: int, uplink_bps: float, now_s: float) -> Choice:
        menu = self._menus[service]
        i, c = self.decide(service, station, uplink_bps, now_s)
        seconds_per_ratio = menu.data_bits / uplink_bps if menu.data_bits else 0.0
        upload_s = menu.radio_delay_s + menu.compression[0] * seconds_per_ratio
        route = self._router.route_stages(menu.requests[i][station], self._policy, now_s=now_s, elapsed_s=upload_s)
        latency = menu.fixed_s[i] + route.latency_s + menu.compression[c] * seconds_per_ratio
        accuracy = menu.accuracy[i][c]
        feasible = accuracy >= menu.min_accuracy and latency <= menu.deadline_s
        w = self._weight
        utility = w * accuracy - (1.0 - w) * latency / menu.deadline_s if feasible else -(1.0 - w)
        return Choice(menu.options[i], menu.compression[c], route, latency, utility, feasible)
