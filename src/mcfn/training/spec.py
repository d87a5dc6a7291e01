"""What a federated run is asked to do, and what each of its rounds recorded (plain values, no Flower import)."""

from __future__ import annotations

from dataclasses import dataclass

from mcfn.training.selection import selection

#: Where the chosen terminals' training runs: on the terminal (federated), or on its cell's edge server after the
#: terminal uploads its training data (edge-side training).
TRAININGS = ("device", "edge")


@dataclass(frozen=True, kw_only=True)
class FederatedSpec:
    """One federated run: ``clients`` terminals holding a Dirichlet(``concentration``) label-skewed share of the
    training set each (Hsu et al. 2019), ``per_round`` chosen per round by ``selection``, ``local_epochs`` of local
    training, ``rounds`` rounds of at most ``deadline_s`` each; the model a perceptron of ``hidden`` units (1,024 by
    default, assumed: an update of 2.5 Mbit for ``digits``, so that the network matters); ``training`` where the
    chosen terminals' training runs (:data:`TRAININGS`), ``data_compression`` the share of its raw bits a terminal's
    training data is uploaded with for edge-side training."""

    clients: int = 20
    per_round: int = 5
    rounds: int = 20
    local_epochs: int = 2
    concentration: float = 0.5
    deadline_s: float = 1.0
    selection: str = "random"
    hidden: int = 1024
    training: str = "device"
    data_compression: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        selection(self.selection)
        for name in ("clients", "per_round", "rounds", "local_epochs", "hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.per_round > self.clients:
            raise ValueError(f"per_round ({self.per_round}) exceeds clients ({self.clients})")
        if not self.deadline_s > 0:
            raise ValueError(f"deadline_s must be > 0, got {self.deadline_s}")
        if self.training not in TRAININGS:
            raise ValueError(f"training {self.training!r} is unknown; valid: {', '.join(TRAININGS)}")
        if not 0 < self.data_compression <= 1:
            raise ValueError(f"data_compression must be in (0, 1], got {self.data_compression}")


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """One round: who was chosen, whose update made it, who dropped out (handover, coverage, turned away) or
    straggled, how long it took on the network, the clock after it, the global model's test accuracy and loss
    (round 0: the initial model), whose battery emptied during it, and the joules the terminals spent."""

    round: int
    chosen: tuple[int, ...]
    aggregated: tuple[int, ...]
    dropped: tuple[int, ...]
    stragglers: tuple[int, ...]
    round_s: float
    clock_s: float
    accuracy: float
    loss: float
    battery: tuple[int, ...] = ()
    energy_j: float = 0.0
