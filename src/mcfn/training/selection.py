"""Client selection for a federated round: which terminals train, given what each reports about its resources.

Each policy is a function ``(estimates, k, deadline_s, rng) -> chosen terminals`` (at most ``k``):

- ``random``: ``k`` terminals uniformly at random, as FedAvg (McMahan et al., "Communication-efficient learning of
  deep networks from decentralized data", AISTATS 2017);
- ``deadline-aware``: FedCS's greedy selection (Nishio & Yonetani, "Client selection for federated learning with
  heterogeneous resources in mobile edge", IEEE ICC 2019): terminals in order of their predicted time, each
  taken while every chosen terminal is still predicted to deliver its update by the round's deadline. Where FedCS
  schedules uploads one after another, terminals of one cell here share its OFDMA band: ``n`` chosen in a cell
  each upload in ``n`` times the time alone (equal shares, the conservative prediction);
- ``compute-aware``: the ``k`` terminals of fastest local training, channels ignored, among those whose battery
  holds the round's predicted energy;
- ``energy-aware``: FedCS's greedy taken in order of predicted energy, each terminal also required to hold on its
  battery the energy of its round (training, and uploading at its predicted share of the band): the energy-efficient
  selection of Yang et al., "Energy efficient federated learning over wireless communication networks", IEEE Trans.
  Wireless Commun. 20(3), 2021 (minimise the terminals' energy subject to the round's latency), with a battery
  constraint.

Terminals with an empty battery report nothing (they no longer offer), so no policy sees them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Estimate:
    """What terminal ``terminal`` reports (FedCS's resource request): its cell (-1: no service), and the predicted
    seconds to download the model, train, upload the update alone in its cell, and reach the cloud from the edge;
    the joules it would spend downloading and training, its power while sending, and its battery's charge (J)."""

    terminal: int
    cell: int
    download_s: float
    compute_s: float
    upload_s: float
    to_cloud_s: float
    local_j: float = 0.0
    send_w: float = 0.0
    battery_j: float = np.inf

    def predicted_s(self, sharing: int) -> float:
        """Predicted round time of this terminal when ``sharing`` chosen terminals upload in its cell."""
        return self.download_s + self.compute_s + sharing * self.upload_s + self.to_cloud_s

    def predicted_j(self, sharing: int) -> float:
        """Predicted energy of this terminal's round when ``sharing`` chosen terminals upload in its cell."""
        return self.local_j + (self.send_w * sharing * self.upload_s if self.send_w else 0.0)

    def affords(self, sharing: int) -> bool:
        """Whether its battery holds its round's predicted energy (``sharing`` uploading in its cell)."""
        return self.predicted_j(sharing) <= self.battery_j


Selection = Callable[[Sequence[Estimate], int, float, np.random.Generator], list[int]]


def select_random(estimates: Sequence[Estimate], k: int, deadline_s: float, rng: np.random.Generator) -> list[int]:
    """FedAvg's uniform sample of ``k`` terminals (the deadline and the resources unread)."""
    chosen = rng.choice(len(estimates), size=min(k, len(estimates)), replace=False)
    return [estimates[i].terminal for i in sorted(chosen.tolist())]


def select_deadline_aware(
    estimates: Sequence[Estimate], k: int, deadline_s: float, rng: np.random.Generator
) -> list[int]:
    """FedCS's greedy selection: up to ``k`` terminals predicted to finish by ``deadline_s``, fastest first."""
    return _greedy(estimates, k, lambda e: (e.predicted_s(1), e.terminal), lambda e, n: e.predicted_s(n) <= deadline_s)


def select_energy_aware(
    estimates: Sequence[Estimate], k: int, deadline_s: float, rng: np.random.Generator
) -> list[int]:
    """Up to ``k`` terminals, least energy first, each predicted to finish by ``deadline_s`` on its battery."""
    return _greedy(
        estimates,
        k,
        lambda e: (e.predicted_j(1), e.terminal),
        lambda e, n: e.predicted_s(n) <= deadline_s and e.affords(n),
    )


def _greedy(
    estimates: Sequence[Estimate],
    k: int,
    order: Callable[[Estimate], tuple[float, int]],
    fits: Callable[[Estimate, int], bool],
) -> list[int]:
    """FedCS's greedy: candidates in ``order``, each taken while every chosen terminal still ``fits`` with the
    number chosen in its cell."""
    chosen: list[Estimate] = []
    sharing: Counter[int] = Counter()
    for candidate in sorted((e for e in estimates if e.cell >= 0), key=order):
        if len(chosen) == k:
            break
        sharing[candidate.cell] += 1
        if all(fits(e, sharing[e.cell]) for e in (*chosen, candidate)):
            chosen.append(candidate)
        else:
            sharing[candidate.cell] -= 1
    return sorted(e.terminal for e in chosen)


def select_compute_aware(
    estimates: Sequence[Estimate], k: int, deadline_s: float, rng: np.random.Generator
) -> list[int]:
    """The ``k`` terminals that train fastest (ties by id) among those whose battery holds their round alone in
    their cell."""
    fastest = sorted((e for e in estimates if e.affords(1)), key=lambda e: (e.compute_s, e.terminal))[:k]
    return sorted(e.terminal for e in fastest)


SELECTIONS: dict[str, Selection] = {
    "random": select_random,
    "deadline-aware": select_deadline_aware,
    "compute-aware": select_compute_aware,
    "energy-aware": select_energy_aware,
}


def selection(name: str) -> Selection:
    """The policy ``name`` of :data:`SELECTIONS`; raises ValueError naming the valid ones."""
    try:
        return SELECTIONS[name]
    except KeyError:
        raise ValueError(f"selection {name!r} is unknown; valid: {', '.join(SELECTIONS)}") from None
