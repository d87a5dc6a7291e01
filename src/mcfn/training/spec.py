"""What a federated run is asked to do, and what each of its rounds recorded (plain values, no Flower import)."""

from __future__ import annotations

from dataclasses import dataclass

from mcfn.training.selection import selection


@dataclass(frozen=True, kw_only=True)
class FederatedSpec:
    """One federated run: ``clients`` terminals holding a Dirichlet(``concentration``) label-skewed share of the
    training set each (Hsu et al. 2019), ``per_round`` chosen per round by ``selection``, ``local_epochs`` of local
    training, ``rounds`` rounds of at most ``deadline_s`` each; the model a perceptron of ``hidden`` units (1,024 by
    default, assumed: an update of 2.5 Mbit for ``digits``, so that the network matters)."""

    clients: int = 20
    per_round: int = 5
    rounds: int = 20
    local_epochs: int = 2
    concentration: float = 0.5
    deadline_s: float = 1.0
    selection: str = "random"
    hidden: int = 1024
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


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """One round: who was chosen, whose update made it, who dropped out or straggled, how long it took on the
    network, the clock after it, and the global model's test accuracy and loss (round 0: the initial model)."""

    round: int
    chosen: tuple[int, ...]
    aggregated: tuple[int, ...]
    dropped: tuple[int, ...]
    stragglers: tuple[int, ...]
    round_s: float
    clock_s: float
    accuracy: float
    loss: float
