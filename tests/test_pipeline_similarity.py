"""The fast similarity and the lazy decisions give what the plain computation gives, on real demo notes.

Reference computations are written here the simple way (one sparse × sparse product, the novelty of every note):
`pipeline.similarity.ExemplarIndex` and `ReasonModel._decisions` must match them (similarities within float32
rounding, codes exactly).
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.preprocessing import normalize

from pipeline.model import AUTRE, ReasonModel, ScoreParts
from pipeline.similarity import ExemplarIndex
from training.demo import DemoSettings, generate_demo_calls

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("similarity")]
TOLERANCE = 1e-5


def _demo(rows: int, seed: int) -> pd.DataFrame:
    return pd.concat(list(generate_demo_calls(DemoSettings(rows=rows, seed=seed))), ignore_index=True)


@pytest.fixture(scope="module")
def model() -> ReasonModel:
    calls = _demo(1200, 3)
    config = {"classifier": {"cv": 2}, "abstention": {"max_exemplars_per_class": 60}}
    return ReasonModel(config=config).fit(list(calls.text), list(calls.reason))


@pytest.fixture(scope="module")
def notes() -> list[str]:
    """Unseen demo notes, and pairs of them joined (less typical: more of them are near the abstention threshold)."""
    texts = list(_demo(500, 11).text)
    return texts[:300] + [f"{a} {b}" for a, b in zip(texts[300:400], texts[400:500], strict=True)]


def _reference_similarity(model: ReasonModel, X: sparse.csr_matrix) -> np.ndarray:
    return np.clip((normalize(X) @ model.exemplars_t_).toarray().max(axis=1), 0.0, 1.0)


def test_split_product_equals_the_sparse_product(model: ReasonModel, notes: list[str]) -> None:
    X, _ = model._transform(notes)
    expected = _reference_similarity(model, X)
    np.testing.assert_allclose(model._nearest_similarity(X), expected, atol=TOLERANCE, rtol=0)
    for share in (0.0, 0.5, 1.0):  # everything dense, half, everything sparse
        index = ExemplarIndex(model.exemplars_t_, model.exemplar_labels_, dense_share=share)
        np.testing.assert_allclose(index.max_similarity(normalize(X)), expected, atol=TOLERANCE, rtol=0)


def test_class_similarity_is_the_maximum_over_that_class_only(model: ReasonModel, notes: list[str]) -> None:
    X, _ = model._transform(notes)
    Xn = normalize(X)
    products = (Xn @ model.exemplars_t_).toarray()
    codes = model.classes_[np.arange(len(notes)) % len(model.classes_)]
    expected = np.array(
        [np.clip(products[row, model.exemplar_labels_ == code].max(), 0, 1) for row, code in enumerate(codes)]
    )
    got = model._exemplar_index().class_max_similarity(Xn, codes)
    np.testing.assert_allclose(got, expected, atol=TOLERANCE, rtol=0)
    assert (got <= model._exemplar_index().max_similarity(Xn) + TOLERANCE).all()


def _threshold_between_notes(novelty: np.ndarray, quantile: float) -> float:
    """A threshold near the quantile, halfway between two notes' novelties at least 1e-4 apart: a note exactly at
    the threshold may fall either way with float32 rounding (documented in `ReasonModel._decisions`)."""
    values = np.unique(novelty)
    for i in range(int(quantile * (len(values) - 1)), len(values) - 1):
        if values[i + 1] - values[i] > 1e-4:
            return float((values[i] + values[i + 1]) / 2)
    raise AssertionError("no gap between novelties")


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.5, 0.8, 1.0])
def test_lazy_decisions_equal_the_full_computation(model: ReasonModel, notes: list[str], weight: float) -> None:
    texts = [*notes, "", "1234 5678", "Привет, как дела у тебя сегодня"]
    X, has_words = model._transform(texts)
    proba = model.classifier_.predict_proba_unchecked(X)
    full = ScoreParts(proba, _reference_similarity(model, X), has_words)
    fitted = pickle.loads(pickle.dumps(model))
    fitted.max_prob_weight_ = weight
    novelty = fitted.novelty_from_parts(full)
    seen_both = False
    for quantile in (0.05, 0.25, 0.5, 0.75, 0.95):
        fitted.threshold_ = _threshold_between_notes(novelty, quantile)
        expected = fitted.decide(proba, novelty)
        got_proba, _, got = fitted._decisions(texts)
        assert list(got) == list(expected)
        np.testing.assert_array_equal(got_proba, proba)
        assert [p.code for p in fitted.suggest(texts)] == list(expected)
        seen_both = seen_both or (0 < (expected == AUTRE).sum() < len(texts) - 3)
    assert seen_both  # the thresholds put notes on both sides: the test exercised the lazy paths


def test_the_index_is_not_pickled_and_is_rebuilt_the_same(model: ReasonModel, notes: list[str]) -> None:
    X, _ = model._transform(notes[:50])
    before = model._nearest_similarity(X)
    assert "_index" in model.__dict__
    copy = pickle.loads(pickle.dumps(model))
    assert "_index" not in copy.__dict__
    np.testing.assert_array_equal(copy._nearest_similarity(X), before)


def test_a_note_gets_the_same_similarity_alone_or_in_a_batch(model: ReasonModel, notes: list[str]) -> None:
    X, _ = model._transform(notes[:120])
    batch = model._nearest_similarity(X)
    alone = np.array([model._nearest_similarity(X[row : row + 1])[0] for row in range(X.shape[0])])
    np.testing.assert_allclose(alone, batch, atol=1e-12, rtol=0)
