"""French names for candidate reasons and domains: c-TF-IDF keywords over lemmas, and representative notes.

c-TF-IDF (the class-based TF-IDF of topic models): every group (each candidate, and « autre » as one more group) is
one document; for a group c and a lemma t, weight = (share of c's notes holding t) × log(1 + A / f_t), where A is the
mean number of lemma occurrences per group and f_t the number of notes holding t over all groups. Lemmas held by a
single note are skipped: a keyword must describe the group, not one note. Stop words were removed upstream
(`serving.discovery.lemmas`), so keywords are content words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

Lemmas = tuple[str, ...]


def _identity(lemmas: Lemmas) -> list[str]:
    return list(lemmas)


def class_keywords(docs: Sequence[Lemmas], groups: np.ndarray, *, top: int) -> dict[int, list[str]]:
    """Group number → its `top` keywords (c-TF-IDF, ties by alphabetical order). Group −1 (« autre ») is a class of
    its own, so words common everywhere are down-weighted, but it gets no keywords."""
    groups = np.asarray(groups)
    found = sorted(int(g) for g in np.unique(groups))
    try:
        counter = CountVectorizer(analyzer=_identity, binary=True, min_df=2)
        counts = counter.fit_transform(docs).tocsr()
    except ValueError:  # no lemma held by two notes
        return {group: [] for group in found if group >= 0}
    vocabulary = counter.get_feature_names_out()
    index = {group: position for position, group in enumerate(found)}
    membership = sp.csr_matrix(
        (np.ones(len(groups)), ([index[int(g)] for g in groups], np.arange(len(groups)))),
        shape=(len(found), len(groups)),
    )
    per_class = np.asarray((membership @ counts).toarray())  # classes × lemmas: notes of the class holding the lemma
    sizes = np.asarray(membership.sum(axis=1)).ravel()
    total = per_class.sum(axis=0)
    mean_words = per_class.sum() / len(found)
    weights = (per_class / sizes[:, None]) * np.log1p(mean_words / np.maximum(total, 1))
    out: dict[int, list[str]] = {}
    for group in found:
        if group < 0:
            continue
        row = weights[index[group]]
        order = sorted(np.flatnonzero(row > 0), key=lambda i: (-row[i], vocabulary[i]))
        out[group] = [str(vocabulary[i]) for i in order[:top]]
    return out


def label_from_keywords(keywords: Sequence[str], *, count: int, fallback: str) -> str:
    """« Masque, porter, obligatoire » from the first `count` keywords (capitalised), `fallback` when there are none."""
    words = list(keywords[:count])
    if not words:
        return fallback
    text = ", ".join(words)
    return text[0].upper() + text[1:]


def representative_rows(
    similarities: np.ndarray, members: np.ndarray, texts: Sequence[str], *, count: int
) -> list[int]:
    """The `count` members most similar to their centroid whose redacted text is not a repeat (ties by row)."""
    order = sorted(members.tolist(), key=lambda row: (-float(similarities[row]), row))
    chosen: list[int] = []
    seen: set[str] = set()
    for row in order:
        key = " ".join(texts[row].lower().split())
        if not key or key in seen:
            continue
        seen.add(key)
        chosen.append(row)
        if len(chosen) == count:
            break
    return chosen
