"""The cheap paths of `serving.monitoring.representation` (issue 17) give what the plain ones give."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from serving.monitoring.representation import _reduce, _word_ngram_counts, _WordNgrams


def test_char_ngrams_remembered_per_word_make_the_same_matrix_as_char_wb() -> None:
    docs = [("facture", "électricité", "impayée"), ("Facture",), (), ("aide", "aide", "chauffage", "é")]
    plain = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    expected = plain.fit_transform([" ".join(doc) for doc in docs])
    cached = TfidfVectorizer(analyzer=_WordNgrams(), sublinear_tf=True)
    got = cached.fit_transform(docs)
    assert list(cached.get_feature_names_out()) == list(plain.get_feature_names_out())
    assert abs(got - expected).max() < 1e-12


def test_char_ngram_counts_by_sparse_product_are_the_vectorizer_s_to_the_bit() -> None:
    lemmas = [
        ("dossier", "retraite", "dossier"),
        (),
        ("a",),
        ("rendez vous", "caf"),
        ("allocation", "logement", "retard"),
        ("logement", "étudiant"),
    ]
    expected = TfidfVectorizer(analyzer=_WordNgrams(), sublinear_tf=True, dtype=np.float32).fit_transform(lemmas)
    got = TfidfTransformer(sublinear_tf=True).fit_transform(_word_ngram_counts(lemmas))
    assert got.dtype == expected.dtype == np.float32
    for attribute in ("indptr", "indices", "data"):  # the same order inside rows too: products add alike
        assert np.array_equal(getattr(got, attribute), getattr(expected, attribute))


def test_svd_fitted_on_a_sample_spans_the_same_space_as_on_all_notes() -> None:
    rng = np.random.default_rng(0)
    # 4,000 notes drawn from 3 topics over 60 terms: rank 3 plus noise.
    topics = rng.random((3, 60))
    matrix = sp.csr_matrix(rng.random((4000, 3)) @ topics + 0.01 * rng.random((4000, 60)))
    full = _reduce(matrix, 3, 0)
    sampled = _reduce(matrix, 3, 0, fit_rows=500)
    assert sampled.shape == full.shape == (4000, 3)
    assert not np.allclose(np.abs(sampled), np.abs(full))  # really fitted on a sample, not on everything
    # Same subspace: the sampled coordinates are a rotation of the full ones (least squares residual ~ 0).
    rotation, *_ = np.linalg.lstsq(full, sampled, rcond=None)
    assert np.abs(full @ rotation - sampled).max() < 0.05 * np.abs(sampled).max()
    assert _reduce(matrix, 3, 0, fit_rows=500).tolist() == sampled.tolist()  # deterministic
