import numpy as np
import pytest

from mcfn.training.selection import Estimate, select_compute_aware, select_deadline_aware, select_random, selection


def report(terminal: int, cell: int, compute_s: float, upload_s: float) -> Estimate:
    return Estimate(terminal, cell, download_s=0.01, compute_s=compute_s, upload_s=upload_s, to_cloud_s=0.01)


REPORTS = [
    report(0, 0, 0.1, 0.2),
    report(1, 0, 0.1, 0.2),
    report(2, 1, 0.9, 0.05),  # slow to train: misses a 0.5 s deadline
    report(3, 1, 0.05, 0.05),
    report(4, -1, 0.01, np.inf),  # no service
    report(5, 2, 0.2, 0.1),
]


def test_deadline_aware_keeps_every_chosen_terminal_within_the_deadline_sharing_its_cell() -> None:
    chosen = select_deadline_aware(REPORTS, 5, 0.5, np.random.default_rng(0))
    assert 2 not in chosen
    assert 4 not in chosen
    by_id = {e.terminal: e for e in REPORTS}
    for t in chosen:
        sharing = sum(by_id[u].cell == by_id[t].cell for u in chosen)
        assert by_id[t].predicted_s(sharing) <= 0.5
    # two in cell 0 would each take 0.02 + 0.1 + 2 x 0.2 = 0.52 s: only one of them fits
    assert sum(t in chosen for t in (0, 1)) == 1


def test_compute_aware_takes_the_fastest_trainers_and_random_any_k() -> None:
    assert select_compute_aware(REPORTS, 3, 0.5, np.random.default_rng(0)) == [0, 3, 4]
    drawn = select_random(REPORTS, 3, 0.5, np.random.default_rng(0))
    assert len(set(drawn)) == 3
    assert set(drawn) <= {e.terminal for e in REPORTS}


def test_unknown_selection_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="deadline-aware"):
        selection("fastest")
