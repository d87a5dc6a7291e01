import numpy as np
import pytest

from mcfn.training.data import dirichlet_partition, load_dataset


def test_partition_covers_every_sample_once_and_skews_labels() -> None:
    labels = np.repeat(np.arange(10), 50)
    skewed = dirichlet_partition(labels, 8, 0.1, np.random.default_rng(0))
    even = dirichlet_partition(labels, 8, 1000.0, np.random.default_rng(0))
    for parts in (skewed, even):
        joined = np.concatenate(parts)
        assert sorted(joined.tolist()) == list(range(labels.size))
        assert all(len(p) > 0 for p in parts)

    def classes_held(parts: list[np.ndarray]) -> float:
        return float(np.mean([np.count_nonzero(np.bincount(labels[p], minlength=10) >= 3) for p in parts]))

    assert classes_held(skewed) < 5 < classes_held(even)


def test_partition_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="concentration"):
        dirichlet_partition(np.zeros(10, dtype=int), 2, 0.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="cannot share"):
        dirichlet_partition(np.zeros(3, dtype=int), 4, 1.0, np.random.default_rng(0))


def test_digits_split_is_stratified_and_scaled() -> None:
    data = load_dataset("digits")
    assert data.x_train.dtype == np.float32
    assert data.x_train.max() <= 1.0
    assert len(data.y_test) == pytest.approx(0.25 * 1797, abs=1)
    assert set(np.unique(data.y_test)) == set(range(10))
    with pytest.raises(ValueError, match="unknown"):
        load_dataset("cifar")
