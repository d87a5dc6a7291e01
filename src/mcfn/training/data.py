"""Datasets that need no download, and their non-IID split across terminals.

- ``digits``: scikit-learn's bundled UCI optical digits (``sklearn.datasets.load_digits``: 1,797 images of 8×8
  pixels with 17 grey levels, 10 classes; Alpaydin & Kaynak, UCI 1998), scaled to [0, 1].
- ``mnist1d``: MNIST-1D, procedurally generated 1-D digits of 40 samples (Greydanus, "Scaling down deep learning",
  arXiv:2011.14439, 2020), made by the ``mnist1d`` package from its built-in templates, no download.

The split across terminals is Dirichlet label skew (Hsu, Qi & Brown, "Measuring the effects of non-identical data
distribution for federated visual classification", arXiv:1909.06335, 2019): for each class, the shares of its
samples that go to each terminal are drawn from ``Dir(concentration · 1)``; a small concentration gives each
terminal few classes, a large one approaches an IID split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

DatasetName = Literal["digits", "mnist1d"]
DATASETS: tuple[DatasetName, ...] = ("digits", "mnist1d")
#: Bits of one stored sample, to express data amounts in bits (eq. 1 in Mbit): a ``digits`` image as 64 one-byte
#: pixels (assumed: its 17 grey levels need 5 bits), an MNIST-1D sample as its 40 float32 values.
BITS_PER_SAMPLE = {"digits": 64 * 8.0, "mnist1d": 40 * 32.0}
#: MNIST-1D samples generated (its paper's default size, 4,000 with an 80/20 split, would take ~15 s here).
MNIST1D_SAMPLES = 2000
#: Share of the data held out as the test set.
TEST_SHARE = 0.25


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test arrays of one dataset: features ``float32`` (n, d), labels ``int64`` (n,)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int
    bits_per_sample: float

    @property
    def features(self) -> int:
        return int(self.x_train.shape[1])


def load_dataset(name: str, *, seed: int = 0) -> Dataset:
    """The dataset ``name`` (:data:`DATASETS`), split into train and test (:data:`TEST_SHARE`, stratified) by
    ``seed``; raises ValueError for an unknown name."""
    if name == "digits":
        from sklearn.datasets import load_digits

        bunch = load_digits()
        x, y = bunch.data / 16.0, bunch.target
    elif name == "mnist1d":
        from mnist1d.data import get_dataset_args, make_dataset

        args = get_dataset_args()
        args.num_samples, args.seed = MNIST1D_SAMPLES, seed
        made = make_dataset(args)
        x, y = np.concatenate([made["x"], made["x_test"]]), np.concatenate([made["y"], made["y_test"]])
    else:
        raise ValueError(f"dataset {name!r} is unknown; valid: {', '.join(DATASETS)}")
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(
        np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64), test_size=TEST_SHARE, random_state=seed,
        stratify=y,
    )  # fmt: skip
    return Dataset(
        name=name,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        classes=int(y.max()) + 1,
        bits_per_sample=BITS_PER_SAMPLE[name],
    )


def dirichlet_partition(
    labels: np.ndarray, parts: int, concentration: float, rng: np.random.Generator
) -> list[np.ndarray]:
    """Indices of ``labels`` for each of ``parts`` terminals, label-skewed by ``Dir(concentration)`` (Hsu et al.
    2019); every sample goes to exactly one terminal and every terminal gets at least one sample."""
    if parts < 1:
        raise ValueError(f"parts must be >= 1, got {parts}")
    if not concentration > 0:
        raise ValueError(f"concentration must be > 0, got {concentration}")
    if parts > len(labels):
        raise ValueError(f"{parts} terminals cannot share {len(labels)} samples")
    owner = np.empty(len(labels), dtype=np.int64)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        shares = rng.dirichlet(np.full(parts, concentration))
        cuts = (np.cumsum(shares)[:-1] * len(members)).astype(int)
        for part, chunk in enumerate(np.split(members, cuts)):
            owner[chunk] = part
    for part in range(parts):  # a terminal left empty takes one sample of the largest
        if not np.any(owner == part):
            largest = np.bincount(owner, minlength=parts).argmax()
            owner[np.flatnonzero(owner == largest)[0]] = part
    return [np.flatnonzero(owner == part) for part in range(parts)]
