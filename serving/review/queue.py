"""The « à confirmer » queue: which stored `to_confirm` calls an analyst should label first.

A label teaches most when the model hesitates on the note (uncertainty), when it stands for many similar notes
(volume), and when the queue does not spend the analyst's time on twenty near-identical notes (diversity). So:

1. **uncertainty** of a call = 1 − margin between its two best reasons (0: the model is sure, 1: a tie), raised
   by the size of its conformal prediction set (a set of 4 reasons is more doubt than a set of 2);
2. the notes are **grouped** in the note vector space (cosine ≥ `similarity`): the densest note takes its
   unassigned neighbours, and so on (greedy leader clustering — deterministic, O(n · groups));
3. each group shows **one representative** (its leader, the most central note) and scores
   `mean uncertainty × (1 + ln(group size))`: volume counts, but with diminishing returns, so a very large group of
   notes the model is nearly sure of does not bury a mid-sized group of real ties.

`rank_queue` is pure (vectors in, ranking out): the caller chooses the vectors — `note_vectors` (TF-IDF of
character n-grams, fitted on the candidates themselves: no model, no spaCy) for the CLI and the review page, or any
L2-normalised embedding for a benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

DEFAULT_SIMILARITY = 0.5
_CHUNK = 2048


@dataclass(frozen=True)
class QueueCandidate:
    """A stored `to_confirm` call: its scores (best first) and conformal set. `text` is the redacted note."""

    call_id: str
    text: str
    top_scores: tuple[float, ...]
    prediction_set: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueEntry:
    """One line of the queue: the representative call of a group of similar notes."""

    call_id: str
    index: int  # position of the representative in the candidates
    score: float
    uncertainty: float  # mean uncertainty of the group
    group_size: int  # the representative and the similar notes it stands for
    members: tuple[int, ...]  # candidate positions of the group, representative first


def uncertainty(top_scores: Sequence[float], set_size: int = 0) -> float:
    """1 − (best − second best), times a set-size factor 1 + 0.25 · (size − 1) capped at 2; in [0, 2]."""
    scores = sorted((float(s) for s in top_scores), reverse=True)
    if not scores:
        return 1.0
    second = scores[1] if len(scores) > 1 else 0.0
    margin = min(max(scores[0] - second, 0.0), 1.0)
    factor = min(1.0 + 0.25 * max(set_size - 1, 0), 2.0)
    return (1.0 - margin) * factor


def note_vectors(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF of character 3–5-grams (within words) of the notes, fitted on these notes: near-identical
    notes (same words, a typo, a number changed) have cosine close to 1."""
    if not texts:
        return np.zeros((0, 1))
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True, sublinear_tf=True, min_df=1)
    try:
        matrix = vectorizer.fit_transform(list(texts))
    except ValueError:  # only empty notes / no n-gram at all
        return np.zeros((len(texts), 1))
    return np.asarray(normalize(matrix).toarray(), dtype=np.float32)


def rank_queue(
    candidates: Sequence[QueueCandidate],
    vectors: np.ndarray,
    *,
    similarity: float = DEFAULT_SIMILARITY,
    limit: int | None = None,
) -> list[QueueEntry]:
    """The queue, best first: one entry per group of similar notes (see the module docstring). `vectors` has one
    L2-normalised row per candidate. Ties are broken by candidate order (deterministic)."""
    n = len(candidates)
    if vectors.shape[0] != n:
        raise ValueError(f"{vectors.shape[0]} vecteurs pour {n} appels (attendu : un vecteur par appel)")
    if not 0.0 < similarity <= 1.0:
        raise ValueError(f"similarité {similarity} (attendu : dans ]0, 1])")
    if limit is not None and limit < 1:
        raise ValueError(f"limite {limit} (attendu : au moins 1)")
    if n == 0:
        return []
    doubt = np.array([uncertainty(c.top_scores, len(c.prediction_set)) for c in candidates])
    neighbours = _neighbour_lists(np.asarray(vectors, dtype=np.float32), similarity)
    density = np.array([len(row) for row in neighbours])
    order = sorted(range(n), key=lambda i: (-density[i], -doubt[i], i))
    assigned = np.zeros(n, dtype=bool)
    entries: list[QueueEntry] = []
    for leader in order:
        if assigned[leader]:
            continue
        members = [leader] + [int(j) for j in neighbours[leader] if j != leader and not assigned[j]]
        assigned[members] = True
        mean_doubt = float(doubt[members].mean())
        entries.append(
            QueueEntry(
                call_id=candidates[leader].call_id,
                index=leader,
                score=mean_doubt * (1.0 + math.log(len(members))),
                uncertainty=mean_doubt,
                group_size=len(members),
                members=tuple(members),
            )
        )
    entries.sort(key=lambda e: (-e.score, e.index))
    return entries if limit is None else entries[:limit]


def _neighbour_lists(vectors: np.ndarray, similarity: float) -> list[np.ndarray]:
    """For each row, the rows at cosine ≥ similarity (itself included), computed by blocks (bounded memory)."""
    rows: list[np.ndarray] = []
    for start in range(0, vectors.shape[0], _CHUNK):
        block = vectors[start : start + _CHUNK] @ vectors.T
        for offset, line in enumerate(block):
            found = np.flatnonzero(line >= similarity - 1e-6)
            own = start + offset
            rows.append(found if own in found else np.append(found, own))
    return rows


__all__ = [
    "DEFAULT_SIMILARITY",
    "QueueCandidate",
    "QueueEntry",
    "note_vectors",
    "rank_queue",
    "uncertainty",
]
