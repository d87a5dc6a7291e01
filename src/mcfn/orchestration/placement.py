"""Where a task runs: on its own terminal, on a helper terminal over a sidelink (D2D), or offloaded to edge/cloud.

Each candidate comes with its predicted latency ``T``, the accuracy ``A`` of the option it would run and the
energy ``E`` it would cost the asking terminal (its radio and its own compute; J). The seed's per-task utility,
weighed by energy, ``w A − (1 − w) T / T_max − λ E`` (``λ``: the scenario's ``energy_weight`` per joule; 0 keeps the
seed's utility), ranks them among the candidates predicted to meet the deadline and the accuracy floor; when none
does, the fastest of those above the floor, else the fastest. The terminal's battery is the orchestrator's energy
budget (Mao et al., "A survey on mobile edge computing: the communication perspective", IEEE COMST 19(4), 2017,
§IV: the offloading decision trades latency against the device's energy); a terminal whose battery is empty is
offered nothing that costs it energy (the caller leaves such candidates out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Candidate places, the names the task records use.
LOCAL, D2D, OFFLOAD = "local", "d2d", "offload"
PLACES = (OFFLOAD, LOCAL, D2D)
#: Policies that keep a task on the terminals when its service has a local variant, by name: the places they try in
#: order (``terminal-local``: the asking terminal; ``terminal-d2d``: a helper in sidelink range, else the asking
#: terminal); a task they cannot place there is offloaded with ``compute-aware`` routing. The orchestrating policies
#: (:data:`mcfn.orchestration.choice.ORCHESTRATED`) weigh every place by :func:`best_placement`.
TERMINAL_POLICIES: dict[str, tuple[str, ...]] = {"terminal-local": (LOCAL,), "terminal-d2d": (D2D, LOCAL)}
#: The routing policy that offloads what a terminal policy cannot keep on the terminals.
TERMINAL_FALLBACK = "compute-aware"


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A way to run one task: ``place`` (:data:`PLACES`), its predicted latency, accuracy and terminal energy."""

    place: str
    latency_s: float
    accuracy: float
    terminal_j: float


def placement_utility(candidate: Candidate, *, weight: float, energy_weight: float, deadline_s: float) -> float:
    """``w A − (1 − w) T / T_max − λ E`` of ``candidate``."""
    return (
        weight * candidate.accuracy
        - (1.0 - weight) * candidate.latency_s / deadline_s
        - energy_weight * candidate.terminal_j
    )


def best_placement(
    candidates: Sequence[Candidate], *, weight: float, energy_weight: float, deadline_s: float, min_accuracy: float
) -> int:
    """The index of the best of ``candidates`` (module docstring); ties go to the earlier one. ``O(n)``."""
    if not candidates:
        raise ValueError("no candidate to place the task on")
    feasible = [k for k, c in enumerate(candidates) if c.latency_s <= deadline_s and c.accuracy >= min_accuracy]
    if feasible:
        return max(
            feasible,
            key=lambda k: (
                placement_utility(candidates[k], weight=weight, energy_weight=energy_weight, deadline_s=deadline_s),
                -k,
            ),
        )
    return min(
        range(len(candidates)), key=lambda k: (candidates[k].accuracy < min_accuracy, candidates[k].latency_s, k)
    )
