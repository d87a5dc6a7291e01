import numpy as np
import pytest

from mcfn.training.selection import (
    Estimate,
    select_compute_aware,
    select_deadline_aware,
    select_energy_aware,
    select_random,
    selection,
)


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


def powered(terminal: int, cell: int, local_j: float, battery_j: float) -> Estimate:
    return Estimate(terminal, cell, 0.01, 0.1, 0.1, 0.01, local_j=local_j, send_w=2.0, battery_j=battery_j)


def test_energy_aware_takes_the_cheapest_rounds_each_within_its_battery_sharing_its_cell() -> None:
    reports = [
        powered(0, 0, 1.0, 10.0),
        powered(1, 0, 0.5, 0.6),  # 0.5 J + 2 W x 0.1 s alone = 0.7 J: its battery cannot pay for it
        powered(2, 1, 3.0, 3.3),  # 3.2 J alone fits; shared by two, 3.4 J does not
        powered(3, 1, 0.2, 10.0),
        powered(4, 2, 2.0, 10.0),
    ]
    chosen = select_energy_aware(reports, 5, 0.5, np.random.default_rng(0))
    assert chosen == [0, 3, 4]
    by_id = {e.terminal: e for e in reports}
    for t in chosen:
        sharing = sum(by_id[u].cell == by_id[t].cell for u in chosen)
        assert by_id[t].affords(sharing)
        assert by_id[t].predicted_s(sharing) <= 0.5
    assert by_id[1].predicted_j(1) == pytest.approx(0.7)


def test_compute_aware_skips_terminals_whose_battery_cannot_pay_for_the_round() -> None:
    reports = [powered(0, 0, 1.0, 0.5), powered(1, 1, 1.0, 5.0), powered(2, 2, 1.0, 5.0)]
    assert select_compute_aware(reports, 2, 0.5, np.random.default_rng(0)) == [1, 2]
