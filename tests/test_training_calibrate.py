"""Choosing the abstention threshold for a target precision, on validation scores only."""

from __future__ import annotations

import numpy as np
import pytest

from training.calibrate import choose_novelty_weight, choose_threshold
from training.errors import CalibrationError


def test_threshold_keeps_the_most_notes_that_reach_the_target() -> None:
    novelty = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    correct = np.array([True, True, True, True, False, True, False, False])
    choice = choose_threshold(novelty, correct, target_precision=0.8)
    # keeping the 6 lowest: 5/6 = 0.83 ≥ 0.8; keeping 7: 5/7 = 0.71
    assert choice.reached
    assert choice.precision == pytest.approx(5 / 6)
    assert choice.coverage == pytest.approx(6 / 8)
    assert 0.6 < choice.threshold < 0.7
    kept = novelty <= choice.threshold
    assert correct[kept].mean() >= 0.8


def test_equal_scores_are_kept_or_rejected_together() -> None:
    choice = choose_threshold([0.2, 0.5, 0.5, 0.9], [True, True, False, False], target_precision=1.0)
    assert choice.coverage == pytest.approx(0.25)
    assert 0.2 < choice.threshold < 0.5


def test_unreachable_target_returns_the_most_precise_threshold_and_says_so() -> None:
    choice = choose_threshold([0.1, 0.2, 0.3], [False, True, False], target_precision=0.99)
    assert not choice.reached
    assert choice.precision == pytest.approx(0.5)
    assert choice.coverage == pytest.approx(2 / 3)


def test_everything_kept_when_all_is_right_and_wordless_notes_never_kept() -> None:
    choice = choose_threshold([0.1, 0.3, 1.0], [True, True, False], target_precision=0.9)
    assert choice.threshold == pytest.approx((0.3 + 1.0) / 2)
    assert choice.coverage == pytest.approx(2 / 3)


def test_weights_change_the_mix_of_known_and_unknown() -> None:
    novelty = [0.1, 0.2, 0.3, 0.4]
    correct = [True, False, True, True]
    unweighted = choose_threshold(novelty, correct, target_precision=0.75)
    weighted = choose_threshold(novelty, correct, target_precision=0.75, sample_weight=[1, 3, 1, 1])
    assert unweighted.coverage == pytest.approx(1.0)
    assert weighted.coverage < unweighted.coverage


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(CalibrationError, match="aucune note"):
        choose_threshold([], [], target_precision=0.9)
    with pytest.raises(CalibrationError, match="tailles"):
        choose_threshold([0.1, 0.2], [True], target_precision=0.9)
    with pytest.raises(CalibrationError, match="précision visée"):
        choose_threshold([0.1], [True], target_precision=1.5)


def test_novelty_weight_prefers_the_informative_signal() -> None:
    rng = np.random.default_rng(0)
    unknown = np.array([True] * 50 + [False] * 150)
    max_prob = np.where(unknown, rng.uniform(0.2, 0.6, 200), rng.uniform(0.5, 1.0, 200))
    similarity = rng.uniform(0, 1, 200)  # noise
    weight, auc = choose_novelty_weight(max_prob, similarity, unknown)
    assert weight >= 0.8 and auc > 0.85
    weight, _ = choose_novelty_weight(similarity, max_prob, unknown)
    assert weight <= 0.2
