"""Splits of labelled notes (pure functions on labels / timestamps, returning row indices).

- `stratified_split`: a random split that keeps each reason's share; a reason with a single note stays in training.
- `time_split`: earlier notes for training, later ones for testing (drift over time, as in production).
- `holdout_classes` / `open_set_split`: some reasons are held out entirely and play the unknown, out-of-scope notes
  the model must send to « autre » (open-set simulation inside training data, for choosing the abstention threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.errors import InvalidSplit

Labels = Sequence[str] | np.ndarray


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # row indices
    test: np.ndarray


@dataclass(frozen=True)
class OpenSetSplit:
    known: tuple[str, ...]  # reasons the inner model is trained on
    unknown: tuple[str, ...]  # reasons held out: their notes should come out as « autre »
    train: np.ndarray  # rows of known reasons used for training
    validation_known: np.ndarray  # rows of known reasons kept for validation
    validation_unknown: np.ndarray  # every row of the held-out reasons


def _labels(labels: Labels) -> np.ndarray:
    array = np.asarray([str(label) for label in labels], dtype=object)
    if len(array) == 0:
        raise InvalidSplit("aucune ligne à répartir")
    return array


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise InvalidSplit(f"{name} doit être strictement entre 0 et 1 (reçu : {value})")


def stratified_split(labels: Labels, *, test_size: float = 0.2, random_state: int = 0) -> Split:
    """Each reason contributes round(test_size × its count) notes to the test part, at least one when it has 2+."""
    _check_fraction("test_size", test_size)
    array = _labels(labels)
    rng = np.random.default_rng(random_state)
    train: list[int] = []
    test: list[int] = []
    for code in sorted(set(array)):
        rows = rng.permutation(np.flatnonzero(array == code))
        n_test = 0 if len(rows) < 2 else min(len(rows) - 1, max(1, round(test_size * len(rows))))
        test.extend(rows[:n_test])
        train.extend(rows[n_test:])
    return Split(train=np.sort(np.asarray(train, dtype=int)), test=np.sort(np.asarray(test, dtype=int)))


def time_split(timestamps: Sequence[object], *, test_fraction: float = 0.25) -> Split:
    """Rows before a cut-off date train, rows from it on test; rows of the same timestamp stay together.

    The cut-off is the earliest timestamp such that at most `test_fraction` of the rows are at or after it (and at
    least one timestamp is left for each side).
    """
    _check_fraction("test_fraction", test_fraction)
    series = pd.Series(list(timestamps))
    # ISO first: with dayfirst, pandas reads « 2026-01-05 » as 1 May (Y-d-m) and « 2026-01-13 » as unreadable.
    times = pd.to_datetime(series, errors="coerce", format="ISO8601")
    rest = times.isna() & series.notna()
    if rest.any():
        times[rest] = pd.to_datetime(series[rest], errors="coerce", dayfirst=True, format="mixed")
    if times.isna().any():
        first = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise InvalidSplit(f"ligne {first} : date illisible ou manquante")
    distinct = np.sort(times.unique())
    if len(distinct) < 2:
        raise InvalidSplit("au moins deux dates distinctes sont nécessaires pour un découpage temporel")
    values = times.to_numpy()
    cutoff = distinct[-1]
    for candidate in distinct[::-1][:-1]:  # never the first date: training keeps at least one
        if (values >= candidate).mean() > test_fraction:
            break
        cutoff = candidate
    test_mask = values >= cutoff
    return Split(train=np.flatnonzero(~test_mask), test=np.flatnonzero(test_mask))


def holdout_classes(
    labels: Labels, *, fraction: float = 0.25, random_state: int = 0
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(known, unknown) reasons: round(fraction × n) reasons (at least 1) are drawn as unknown; 2 stay known."""
    _check_fraction("fraction", fraction)
    codes = sorted(set(_labels(labels)))
    if len(codes) < 3:
        raise InvalidSplit(f"au moins 3 motifs sont nécessaires pour en mettre de côté (reçu : {len(codes)})")
    n_unknown = min(len(codes) - 2, max(1, round(fraction * len(codes))))
    rng = np.random.default_rng(random_state)
    unknown = set(rng.choice(codes, size=n_unknown, replace=False).tolist())
    return tuple(c for c in codes if c not in unknown), tuple(sorted(unknown))


def open_set_split(
    labels: Labels,
    *,
    holdout_fraction: float = 0.25,
    validation_fraction: float = 0.2,
    random_state: int = 0,
) -> OpenSetSplit:
    """Hold out reasons as unknown, then split the known reasons' rows into training and validation."""
    array = _labels(labels)
    known, unknown = holdout_classes(array, fraction=holdout_fraction, random_state=random_state)
    known_rows = np.flatnonzero(np.isin(array, known))
    inner = stratified_split(array[known_rows], test_size=validation_fraction, random_state=random_state)
    return OpenSetSplit(
        known=known,
        unknown=unknown,
        train=known_rows[inner.train],
        validation_known=known_rows[inner.test],
        validation_unknown=np.flatnonzero(np.isin(array, unknown)),
    )
