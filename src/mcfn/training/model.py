"""The model every terminal trains: a small multilayer perceptron in PyTorch, with its weights as NumPy arrays (the
form Flower exchanges).

One hidden layer of ReLU units (:data:`HIDDEN` by default, assumed; wider for a model whose updates weigh on the
network); trained by SGD with momentum on the cross-entropy,
mini-batches of :data:`BATCH` (assumed). Training is deterministic for a given generator: the initial weights and
the batch order are drawn from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Hidden units of the perceptron by default (assumed).
HIDDEN = 64
#: Mini-batch size (assumed).
BATCH = 32
#: SGD learning rate and momentum (assumed; the usual 0.9 momentum).
LEARNING_RATE = 0.05
MOMENTUM = 0.9


@dataclass(frozen=True, slots=True)
class Architecture:
    """Input features, classes and hidden units of the perceptron."""

    features: int
    classes: int
    hidden: int = HIDDEN

    @property
    def parameters(self) -> int:
        """Number of weights: ``(features + 1) hidden + (hidden + 1) classes``."""
        return (self.features + 1) * self.hidden + (self.hidden + 1) * self.classes

    @property
    def flops_per_sample(self) -> float:
        """Training work of one sample: forward ``2 P`` multiply-adds counted as flops, backward twice that, so
        ``6 P`` (the usual rule for dense layers; Kaplan et al., arXiv:2001.08361, 2020)."""
        return 6.0 * self.parameters


def use_one_thread() -> None:
    """Make torch compute on one thread: its intra-op pool only adds synchronisation on matrices this small, and on a
    loaded machine it oversubscribes the cores (measured: an epoch of ``digits`` took seconds instead of 60 ms).
    A process setting; the commands call it."""
    import torch

    torch.set_num_threads(1)


def build(arch: Architecture, rng: np.random.Generator):  # -> torch.nn.Module
    """A freshly initialised perceptron, its weights seeded from ``rng``."""
    import torch

    torch.manual_seed(int(rng.integers(2**31)))
    return torch.nn.Sequential(
        torch.nn.Linear(arch.features, arch.hidden), torch.nn.ReLU(), torch.nn.Linear(arch.hidden, arch.classes)
    )


def get_weights(model) -> list[np.ndarray]:
    """The model's weights as NumPy arrays (copies), in parameter order."""
    return [p.detach().cpu().numpy().copy() for p in model.parameters()]


def set_weights(model, weights: list[np.ndarray]) -> None:
    """Load ``weights`` (as from :func:`get_weights`) into ``model``."""
    import torch

    with torch.no_grad():
        for param, value in zip(model.parameters(), weights, strict=True):
            param.copy_(torch.from_numpy(np.asarray(value, dtype=np.float32)))


def train(model, x: np.ndarray, y: np.ndarray, *, epochs: int, rng: np.random.Generator) -> float:
    """Train ``model`` for ``epochs`` passes over ``(x, y)`` in shuffled mini-batches; returns the last epoch's mean
    loss. SGD with heavy-ball momentum, written out (``v = m v + g``, ``w -= lr v``, as ``torch.optim.SGD``):
    ``torch.optim`` imports TorchDynamo on first use, seconds of start-up for a model this small."""
    import torch

    params = list(model.parameters())
    velocity = [torch.zeros_like(p) for p in params]
    inputs, labels = torch.tensor(x), torch.tensor(y)  # copies: arrays from Ray's object store are read-only
    model.train()
    mean = 0.0
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(x)))
        total = 0.0
        for start in range(0, len(x), BATCH):
            batch = order[start : start + BATCH]
            loss = torch.nn.functional.cross_entropy(model(inputs[batch]), labels[batch])
            model.zero_grad(set_to_none=True)
            loss.backward()
            with torch.no_grad():
                for p, v in zip(params, velocity, strict=True):
                    v.mul_(MOMENTUM).add_(p.grad)
                    p.sub_(LEARNING_RATE * v)
            total += loss.item() * len(batch)
        mean = total / len(x)
    return mean


def evaluate(model, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``(loss, accuracy)`` of ``model`` on ``(x, y)``."""
    import torch

    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x))
        loss = float(torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)))
        accuracy = float((logits.argmax(dim=1).numpy() == y).mean())
    return loss, accuracy
