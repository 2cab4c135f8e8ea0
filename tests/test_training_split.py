"""Splits: stratified, by time, and reasons held out for the open-set simulation."""

from __future__ import annotations

import numpy as np
import pytest

from training.errors import InvalidSplit
from training.split import holdout_classes, open_set_split, stratified_split, time_split

LABELS = ["a"] * 10 + ["b"] * 5 + ["c"] * 1 + ["d"] * 4


def test_stratified_split_keeps_shares_and_singletons_in_training() -> None:
    split = stratified_split(LABELS, test_size=0.2, random_state=3)
    labels = np.array(LABELS)
    assert sorted([*split.train, *split.test]) == list(range(len(LABELS)))
    assert list(labels[split.test]).count("a") == 2
    assert list(labels[split.test]).count("b") == 1
    assert "c" not in labels[split.test]
    assert np.array_equal(split.test, stratified_split(LABELS, test_size=0.2, random_state=3).test)


def test_time_split_puts_later_dates_in_test_and_keeps_a_date_together() -> None:
    dates = ["05/07/2022"] * 4 + ["12/07/2022"] * 3 + ["19/07/2022"] * 2 + ["26/07/2022"] * 1
    split = time_split(dates, test_fraction=0.3)
    assert list(split.test) == [7, 8, 9]
    assert list(split.train) == list(range(7))


def test_time_split_refuses_unreadable_dates_by_row_number() -> None:
    with pytest.raises(InvalidSplit, match="ligne 1"):
        time_split(["2022-01-01", "pas une date", "2022-02-01"])
    with pytest.raises(InvalidSplit, match="deux dates"):
        time_split(["2022-01-01", "2022-01-01"])


def test_holdout_classes_draws_a_quarter_and_keeps_two_known() -> None:
    labels = [f"r{i}" for i in range(22) for _ in range(3)]
    known, unknown = holdout_classes(labels, fraction=0.25, random_state=0)
    assert len(unknown) == 6 and len(known) == 16
    assert not set(known) & set(unknown)
    assert holdout_classes(labels, fraction=0.25, random_state=1) != (known, unknown)
    assert len(holdout_classes(["a", "b", "c"], fraction=0.9)[0]) == 2
    with pytest.raises(InvalidSplit, match="au moins 3 motifs"):
        holdout_classes(["a", "b"], fraction=0.5)


def test_open_set_split_never_trains_on_unknown_reasons() -> None:
    labels = np.array([f"r{i}" for i in range(8) for _ in range(5)])
    split = open_set_split(labels, holdout_fraction=0.25, validation_fraction=0.2, random_state=0)
    assert not set(labels[split.train]) & set(split.unknown)
    assert set(labels[split.validation_unknown]) == set(split.unknown)
    assert set(labels[split.validation_known]) <= set(split.known)
    assert not set(split.train) & set(split.validation_known)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_fractions_out_of_range_are_refused(fraction: float) -> None:
    with pytest.raises(InvalidSplit, match="entre 0 et 1"):
        stratified_split(LABELS, test_size=fraction)


def test_time_split_reads_iso_strings_as_year_month_day() -> None:
    """« 2026-01-05 » is 5 January (not 1 May, as pandas reads it with dayfirst) and « 2026-01-13 » is readable."""
    stamps = ["2026-01-05 08:00:38", "2026-01-13 08:07:03", "2026-02-01 10:00:00", "2026-01-12 09:00:00"]
    split = time_split(stamps, test_fraction=0.25)
    assert list(split.test) == [2]
    assert list(split.train) == [0, 1, 3]
    # Only ambiguous days: read day-first, 2026-01-12 would be 1 December, the latest.
    assert list(time_split(["2026-01-05", "2026-02-01", "2026-01-12"], test_fraction=0.34).test) == [1]


def test_time_split_still_reads_french_day_first_dates() -> None:
    split = time_split(["13/01/2026", "05/01/2026", "01/02/2026", "12/01/2026"], test_fraction=0.25)
    assert list(split.test) == [2]
