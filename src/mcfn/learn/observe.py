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

from mcfn.awareness.view import AwareView
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
INF = float("inf")
#: The observation's dtypes, made once (a NumPy call given a dtype object skips converting a type to one).
_FLOAT32, _BOOL, _UINT8 = np.dtype(np.float32), np.dtype(np.bool_), np.dtype(np.uint8)


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
        # per station: each candidate's path delay and bottleneck from it, and the candidates' order
        vertices = [topology.index_of(name) for name in nodes]
        delay = np.empty((cells, n))
        bandwidth = np.empty((cells, n))
        for i, station in enumerate(stations):
            paths = topology.fastest_paths(station)
            delay[i] = paths.delay_s[vertices]
            bandwidth[i] = paths.bottleneck_bps[vertices]
        order = np.argsort(delay, axis=1, kind="stable") if layout == CELL else np.tile(np.arange(n), (cells, 1))
        path = np.stack(
            [
                np.clip(delay / DELAY_SCALE_S, 0.0, CLIP),
                np.clip((np.log10(np.maximum(bandwidth, 1.0)) - 6.0) / 5.0, 0.0, 1.0),
            ],
            axis=2,
        )[np.arange(cells)[:, None], order]
        # per service: each slot's features (the latency bound's column per decision: a + b * upload seconds), and
        # which slots meet the floor
        shape = (services, self.slots)
        ways = np.zeros((*shape, WAY_FEATURES))
        latency_a = np.zeros(shape)
        latency_b = np.zeros(shape)
        allowed = np.zeros(shape, dtype=np.uint8)
        for s, menu in enumerate(self.menus):
            for i in range(len(menu.options)):
                for c, ratio in enumerate(menu.compression):
                    k = i * self.levels + c
                    if joint and c:
                        continue  # the allocation chooses the compression: level 0 stands for all
                    ways[s, k] = (menu.accuracy[i][c], ratio, 0.0, 1.0)
                    latency_a[s, k] = (menu.fixed_s[i] + menu.lower_s[i] + menu.radio_delay_s) / menu.deadline_s
                    latency_b[s, k] = ratio / menu.deadline_s
                    allowed[s, k] = menu.accuracy[i][c] >= menu.min_accuracy
        # per (service, station): the task's features, the upload's column per decision
        width = self.task_size
        task_rows = np.zeros((services, cells, width))
        for s, menu in enumerate(self.menus):
            for i in range(cells):
                task_rows[s, i, s] = 1.0
                if layout == CENTRAL:
                    task_rows[s, i, services + i] = 1.0
                task_rows[s, i, width - 4 :] = (menu.data_bits / 1e6, menu.deadline_s, 0.0, weight)
        # kept contiguous, as the compiled class types them
        self._order = np.ascontiguousarray(order, dtype=np.int64)
        self._path = np.ascontiguousarray(path)
        self._ways, self._latency_a, self._latency_b, self._allowed = ways, latency_a, latency_b, allowed
        self._task_rows = task_rows
        self._data_bits = np.array([m.data_bits for m in self.menus])
        self._deadline = np.array([m.deadline_s for m in self.menus])
        self._nodes = n

    @property
    def candidates(self) -> int:
        return self._nodes

    def observe(self, view: AwareView, service: int, station: int, uplink_bps: float, now_s: float) -> tuple:
        """The observation (a dict of arrays) of a task of ``service`` arriving at ``station`` whose input would
        upload at ``uplink_bps``, and its action mask (module docstring). Loops over small arrays (compiled: typed)."""
        deadline = self._deadline[service]
        upload_s = self._data_bits[service] / uplink_bps if uplink_bps > 0.0 else CLIP * deadline
        width, n, slots = self.task_size, self._nodes, self.slots
        task = np.empty(width, _FLOAT32)
        out_task = task
        for k in range(width):
            out_task[k] = self._task_rows[service, station, k]
        out_task[width - 2] = min(upload_s / deadline, CLIP)
        candidates = np.empty((n, CANDIDATE_FEATURES), _FLOAT32)
        out = candidates
        free, sent, vm_slots = view._free, view._sent, view._slots
        for i in range(n):
            j = self._order[station, i]
            earliest = INF
            busy = 0
            for k in range(vm_slots[j]):
                at = free[j, k]
                if at < earliest:
                    earliest = at
                if at > now_s:
                    busy += 1
            out[i, 0] = _clip((earliest - now_s) / WAIT_SCALE_S)
            out[i, 1] = busy / vm_slots[j]
            out[i, 2] = _clip((now_s - sent[j]) / AGE_SCALE_S)
            out[i, 3] = self._path[station, i, 0]
            out[i, 4] = self._path[station, i, 1]
        ways = np.empty((slots, WAY_FEATURES), _FLOAT32)
        out_ways = ways
        mask = np.empty(slots, _BOOL)
        out_mask = mask.view(_UINT8)
        allowed = 0
        for k in range(slots):
            latency = self._latency_a[service, k] + self._latency_b[service, k] * upload_s
            out_ways[k, 0] = self._ways[service, k, 0]
            out_ways[k, 1] = self._ways[service, k, 1]
            out_ways[k, 2] = min(latency, CLIP)
            out_ways[k, 3] = self._ways[service, k, 3]
            out_mask[k] = 1 if self._allowed[service, k] and latency <= 1.0 else 0
            allowed += out_mask[k]
        if allowed == 0:  # no way is predicted to make it: every way above the floor, else every way
            for k in range(slots):
                out_mask[k] = self._allowed[service, k]
                allowed += out_mask[k]
            if allowed == 0:
                for k in range(slots):
                    out_mask[k] = 1 if self._ways[service, k, 3] > 0.0 else 0
        return {"task": task, "candidates": candidates, "ways": ways}, mask

    def decode(self, service: int, action: int, mask: np.ndarray) -> tuple[int, int]:
        """The menu index of the option and the compression level of ``action`` (slot 0 if the mask forbids it)."""
        if not 0 <= action < self.slots or not mask[action]:
            action = 0
        return divmod(action, self.levels)


def _clip(value: float) -> float:
    """``value`` clipped into ``[0, CLIP]``."""
    return 0.0 if value < 0.0 else (CLIP if value > CLIP else value)


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
