"""Vectors, keywords and profiles for a set of notes, all fitted on that set only (deterministic, no model file).

- `embed`: TF-IDF of lemma uni+bigrams and (optionally) of character 3–5-grams of the lemmas, reduced by truncated
  SVD (fixed seed; fitted on a sample of `svd_fit_notes` notes when the set is larger), L2-normalised; beside it,
  the mean static word vector of each note, centred on the set's mean and L2-normalised, weighted so that cosine
  similarity = (tfidf_sim + w · vector_sim) / (1 + w).
- `keywords`: c-TF-IDF over lemmas — for a cluster c and a lemma t, (share of c's notes containing t) ×
  log(1 + A / f_t), with A the mean number of lemma occurrences per class (each cluster, and everything else as one
  background class) and f_t the occurrences of t over all classes; lemmas found in a single note are skipped.
- `profile`: the cluster's lemma weights (share of its notes containing the lemma × idf over the set) — the
  vocabulary-independent centroid the registry keeps to recognise the cluster in later periods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

from serving.monitoring.config import RepresentationConfig
from serving.monitoring.text import Tokens


def _words(lemmas: tuple[str, ...]) -> list[str]:
    return list(lemmas) + [f"{a} {b}" for a, b in pairwise(lemmas)]


def _identity(lemmas: tuple[str, ...]) -> list[str]:
    return list(lemmas)


@dataclass(frozen=True)
class Embedding:
    """L2-normalised dense vectors (one row per note) and the unigram lemma counts behind keywords and profiles."""

    vectors: np.ndarray  # float32
    counts: sp.csr_matrix  # notes × lemmas, binary (does the note contain the lemma)
    vocabulary: tuple[str, ...]
    idf: np.ndarray

    def similarity(self, rows: Sequence[int] | np.ndarray, others: Sequence[int] | np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[np.asarray(rows)] @ self.vectors[np.asarray(others)].T)


_EXACT_SVD_MAX_ROWS = 3000


def _reduce(matrix: sp.csr_matrix, components: int, seed: int, *, fit_rows: int | None = None) -> np.ndarray:
    """Rank-`components` LSA coordinates (U·Σ). Exact through the n × n Gram matrix for up to 3,000 notes — faster
    than randomised SVD at that size, and deterministic — randomised truncated SVD (fixed seed) beyond; above
    `fit_rows` notes, fitted on a fixed-seed sample of `fit_rows` of them and applied to all (X·V, which is U·Σ on
    the sample): the cost of the fit no longer grows with the period's volume."""
    n, width = matrix.shape
    k = min(components, n - 1, width - 1)
    if k < 2:
        return np.asarray(matrix.toarray(), dtype=np.float32)
    if n > _EXACT_SVD_MAX_ROWS:
        svd = TruncatedSVD(n_components=k, random_state=seed)
        if fit_rows is None or n <= fit_rows:
            return np.asarray(svd.fit_transform(matrix), dtype=np.float32)
        rows = np.sort(np.random.default_rng(seed).choice(n, size=fit_rows, replace=False))
        return np.asarray(svd.fit(matrix[rows]).transform(matrix), dtype=np.float32)
    matrix = matrix.astype(np.float64)  # small set: the Gram matrix and its eigenvectors in double precision
    gram = np.asarray((matrix @ matrix.T).toarray())
    values, vectors = np.linalg.eigh(gram)  # ascending
    values, vectors = values[::-1][:k], vectors[:, ::-1][:, :k]
    return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)), dtype=np.float32)


class _WordNgrams:
    """scikit-learn's `char_wb` analyzer, remembered per word: its n-grams never cross a space, so a note's are the
    concatenation of its words' — the same list, computed once per distinct word instead of once per occurrence."""

    def __init__(self) -> None:
        self._analyse = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
        self._cache: dict[str, list[str]] = {}

    def __call__(self, lemmas: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for word in " ".join(lemmas).split():
            found = self._cache.get(word)
            if found is None:
                found = self._cache[word] = self._analyse(word)
            out.extend(found)
        return out


def _word_ngram_counts(lemmas: Sequence[tuple[str, ...]]) -> sp.csr_matrix:
    """The count matrix `CountVectorizer(analyzer=_WordNgrams(), dtype=float32)` gives — same n-grams, same
    alphabetical column order, same values — as (notes × words counts) @ (words × n-grams counts): a note's n-grams are
    its words' (`_WordNgrams`), so each distinct word is analysed and counted once, and the sum over a note's words is
    one sparse product instead of a Python loop over every n-gram of every note (24 % of a national run, issue 17)."""
    analyse = _WordNgrams()
    word_index: dict[str, int] = {}
    rows, cols = [], []
    for i, doc in enumerate(lemmas):
        for word in " ".join(doc).split():
            rows.append(i)
            cols.append(word_index.setdefault(word, len(word_index)))
    notes_words = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(lemmas), len(word_index))
    )
    grams_of = [analyse((word,)) for word in word_index]
    # as CountVectorizer: columns numbered in order of first appearance, rows sorted by that number, then the columns
    # renumbered alphabetically without sorting the rows again (the products downstream then add in the same order)
    first_seen: dict[str, int] = {}
    for grams in grams_of:
        for gram in grams:
            first_seen.setdefault(gram, len(first_seen))
    if not first_seen:
        raise ValueError("empty vocabulary")
    g_rows = [w for w, grams in enumerate(grams_of) for _ in grams]
    g_cols = [first_seen[gram] for grams in grams_of for gram in grams]
    words_grams = sp.csr_matrix(
        (np.ones(len(g_rows), dtype=np.float32), (g_rows, g_cols)), shape=(len(word_index), len(first_seen))
    )
    counts = (notes_words @ words_grams).tocsr()
    counts.sort_indices()
    alphabetical = np.empty(len(first_seen), dtype=counts.indices.dtype)
    for rank, gram in enumerate(sorted(first_seen)):
        alphabetical[first_seen[gram]] = rank
    counts.indices = alphabetical.take(counts.indices)
    return counts


def embed(docs: Sequence[Tokens], settings: RepresentationConfig) -> Embedding:
    """Vectors for `docs`, fitted on `docs` (see the module docstring). Empty notes get a zero TF-IDF part."""
    n = len(docs)
    lemmas = [doc.lemmas for doc in docs]
    counter = CountVectorizer(analyzer=_identity, binary=True)
    try:
        counts = counter.fit_transform(lemmas).tocsr()
        vocabulary = tuple(counter.get_feature_names_out())
    except ValueError:  # no lemma at all
        counts, vocabulary = sp.csr_matrix((n, 0)), ()
    df = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log((1 + n) / (1 + df)) + 1 if len(vocabulary) else np.zeros(0)

    # float32 throughout, one stacked copy normalised in place: at national scale (~56,000 notes a period) the
    # float64 matrices and their stacked/normalised copies were most of a run's peak memory (issue 17).
    blocks = []
    if len(vocabulary):
        words = TfidfVectorizer(analyzer=_words, sublinear_tf=True, dtype=np.float32).fit_transform(lemmas)
        blocks.append(words)
        if settings.char_ngrams:
            chars = TfidfTransformer(sublinear_tf=True).fit_transform(_word_ngram_counts(lemmas))
            blocks.append(chars)
    if blocks:
        sparse = normalize(sp.hstack(blocks, format="csr"), copy=False)
        del blocks
        text_part = normalize(
            _reduce(sparse, settings.svd_components, settings.seed, fit_rows=settings.svd_fit_notes), copy=False
        )
        del sparse
    else:
        text_part = np.zeros((n, 1), dtype=np.float32)

    parts = [text_part]
    static = [doc.vector for doc in docs]
    if settings.vector_weight > 0 and n and all(vector is not None for vector in static):
        matrix = np.vstack([np.asarray(vector, dtype=np.float32) for vector in static if vector is not None])
        present = np.linalg.norm(matrix, axis=1) > 0
        if present.any():
            matrix[present] -= matrix[present].mean(axis=0)
        matrix = normalize(matrix, copy=False)
        matrix *= np.float32(np.sqrt(settings.vector_weight))
        parts.append(matrix)
    vectors = normalize(np.hstack(parts), copy=False) if n else np.zeros((0, 1), dtype=np.float32)
    return Embedding(vectors=vectors, counts=counts, vocabulary=vocabulary, idf=idf)


def keywords(embedding: Embedding, members: Sequence[int] | np.ndarray, *, top: int) -> list[str]:
    """The `top` lemmas that best tell the notes of `members` apart from the other notes of the set (c-TF-IDF)."""
    if not len(embedding.vocabulary) or not len(members):
        return []
    counts = embedding.counts
    inside = np.zeros(counts.shape[0], dtype=bool)
    inside[np.asarray(members)] = True
    in_counts = np.asarray(counts[inside].sum(axis=0)).ravel()
    out_counts = np.asarray(counts[~inside].sum(axis=0)).ravel()
    total = in_counts + out_counts
    classes = 2 if (~inside).any() else 1
    mean_words = total.sum() / classes
    weight = np.log1p(mean_words / np.maximum(total, 1))
    scores = in_counts / inside.sum() * weight
    scores[in_counts < min(2, inside.sum())] = 0.0
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], embedding.vocabulary[i]))
    return [embedding.vocabulary[i] for i in order[:top] if scores[i] > 0]


def profile(embedding: Embedding, members: Sequence[int] | np.ndarray, *, top: int) -> dict[str, float]:
    """Lemma → weight (share of members containing it × idf), the `top` heaviest, L2-normalised."""
    if not len(embedding.vocabulary) or not len(members):
        return {}
    share = np.asarray(embedding.counts[np.asarray(members)].mean(axis=0)).ravel() * embedding.idf
    order = sorted(np.flatnonzero(share), key=lambda i: (-share[i], embedding.vocabulary[i]))[:top]
    norm = float(np.sqrt(sum(share[i] ** 2 for i in order))) or 1.0
    return {embedding.vocabulary[i]: round(float(share[i] / norm), 6) for i in order}


def profile_similarity(left: dict[str, float], right: dict[str, float]) -> float:
    """Cosine similarity of two lemma profiles (0 when they share no lemma)."""
    if not left or not right:
        return 0.0
    dot = sum(weight * right.get(term, 0.0) for term, weight in left.items())
    norms = np.sqrt(sum(w * w for w in left.values())) * np.sqrt(sum(w * w for w in right.values()))
    return float(dot / norms) if norms else 0.0


def merge_profiles(old: dict[str, float], new: dict[str, float], *, weight: float, top: int) -> dict[str, float]:
    """(1 − weight) · old + weight · new, the `top` heaviest lemmas, L2-normalised."""
    merged = {term: (1 - weight) * old.get(term, 0.0) + weight * new.get(term, 0.0) for term in set(old) | set(new)}
    order = sorted(merged, key=lambda term: (-merged[term], term))[:top]
    norm = float(np.sqrt(sum(merged[term] ** 2 for term in order))) or 1.0
    return {term: round(merged[term] / norm, 6) for term in order}
