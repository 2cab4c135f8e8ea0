"""Feature steps of the reason pipeline: analysed notes → sparse TF-IDF n-grams and dense static word vectors.

`FrenchAnalyser` runs spaCy once per note (tokenizer + lookup lemmatizer, or the full `fr_core_news_md` lemmatizer)
and keeps what the feature steps need in an `AnalysedText`; the feature steps never call spaCy again. Every step is a
plain scikit-learn transformer, so they compose in a `Pipeline` / `FeatureUnion` and are fitted on (already redacted)
training notes only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Literal

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2
from sklearn.utils.validation import check_is_fitted
from spacy.attrs import ORTH
from spacy.tokens import Doc

from pipeline import nlp
from pipeline.errors import InvalidConfig, InvalidText
from pipeline.inputs import check_texts
from pipeline.text import fold_accents

Lemmatizer = Literal["lookup", "spacy"]
_WORD_CACHE_SIZE = 200_000
# Latin-script letters (× and ÷ are the only non-letters of these blocks), and every character outside them.
_LATIN_LETTERS = re.compile("[a-zA-Z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")
_NOT_LATIN = re.compile("[^\u0000-\u007f\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")


@lru_cache(maxsize=_WORD_CACHE_SIZE)
def _word_facts(word: str) -> tuple[bool, bool]:
    """(holds a letter, is a French word known to spaCy's data) of one word; cached, words repeat across notes."""
    has_letter = any(char.isalpha() for char in word)
    return has_letter, has_letter and nlp.is_french_word(word)


@dataclass(frozen=True)
class AnalysedText:
    """One normalised note after spaCy: its words (punctuation dropped), lemmas and stop-word flags."""

    text: str
    words: tuple[str, ...]
    lemmas: tuple[str, ...]
    stop: tuple[bool, ...]

    @property
    def content_words(self) -> tuple[str, ...]:
        return tuple(word for word, is_stop in zip(self.words, self.stop, strict=True) if not is_stop)

    @property
    def content_lemmas(self) -> tuple[str, ...]:
        return tuple(lemma for lemma, is_stop in zip(self.lemmas, self.stop, strict=True) if not is_stop)

    @cached_property
    def _counts(self) -> tuple[int, int]:
        """(words with a letter, French words among them), counted once per note."""
        facts = [_word_facts(word) for word in self.words]
        return sum(letter for letter, _ in facts), sum(french for _, french in facts)

    def french_share(self) -> float:
        """Share of the words with letters that spaCy's French data knows (forms, lemmas, stop words)."""
        alphabetic, french = self._counts
        return french / alphabetic if alphabetic else 0.0

    def latin_share(self) -> float:
        """Share of the letters that are Latin-script (French is written with them; Cyrillic, Arabic, CJK… are not)."""
        if self.text.isascii():
            return 1.0
        latin = len(_LATIN_LETTERS.findall(self.text))
        letters = latin + sum(char.isalpha() for char in _NOT_LATIN.findall(self.text))
        return latin / letters if letters else 0.0

    def n_alphabetic(self) -> int:
        return self._counts[0]

    @property
    def has_words(self) -> bool:
        """True when the note holds at least one word with a letter (not only digits, symbols or spaces)."""
        return self._counts[0] > 0


def _check_analysed(docs: Any) -> list[AnalysedText]:
    if isinstance(docs, str | bytes) or not isinstance(docs, Sequence):
        raise InvalidText("une liste de textes analysés est attendue (sortie de FrenchAnalyser)")
    for number, doc in enumerate(docs):
        if not isinstance(doc, AnalysedText):
            raise InvalidText(f"ligne {number} : un texte analysé est attendu, reçu {type(doc).__name__}")
    return list(docs)


class FrenchAnalyser(TransformerMixin, BaseEstimator):
    """Normalised notes → `AnalysedText` (words, lemmas, stop words), batched through spaCy.

    `lemmatizer="lookup"` (default): spaCy's tokenizer and the French lookup table, ~20× faster than the statistical
    lemmatizer of `fr_core_news_md` (`"spacy"`: tok2vec + morphologizer + rule lemmatizer).
    """

    def __init__(self, *, lemmatizer: Lemmatizer = "lookup", batch_size: int = 256) -> None:
        self.lemmatizer = lemmatizer
        self.batch_size = batch_size

    def fit(self, texts: Sequence[str], y: Any = None) -> FrenchAnalyser:
        check_texts(texts)
        if self.lemmatizer not in ("lookup", "spacy"):
            raise InvalidConfig(f"lemmatiseur inconnu : {self.lemmatizer!r} (attendu : 'lookup' ou 'spacy')")
        self.n_features_in_ = 1
        return self

    def transform(self, texts: Sequence[str]) -> list[AnalysedText]:
        texts = check_texts(texts)
        if self.lemmatizer == "lookup":
            docs = nlp.tokenize(texts, batch_size=self.batch_size)
            return [_analyse_lookup(text, doc) for text, doc in zip(texts, docs, strict=True)]
        out = []
        for doc in nlp.run(texts, nlp.LEMMAS, batch_size=self.batch_size):
            tokens = [token for token in doc if not (token.is_punct or token.is_space)]
            out.append(
                AnalysedText(
                    text=doc.text,
                    words=tuple(token.text for token in tokens),
                    lemmas=tuple(token.lemma_ or token.text for token in tokens),
                    stop=tuple(bool(token.is_stop) for token in tokens),
                )
            )
        return out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


@lru_cache(maxsize=200_000)
def _lexeme(orth: int) -> tuple[str, str, bool, bool]:
    """(form, lemma, is_stop, is_kept) of a vocabulary entry; cached because forms repeat across notes."""
    lexeme = nlp.load_tokenizer_nlp().vocab[orth]
    form = lexeme.orth_
    return form, nlp.lookup_lemma(form), bool(lexeme.is_stop), not (lexeme.is_punct or lexeme.is_space)


def _analyse_lookup(text: str, doc: Doc) -> AnalysedText:
    """One pass over the token ids (no Token objects): the hot path of prediction."""
    words: list[str] = []
    lemmas: list[str] = []
    stop: list[bool] = []
    for orth in doc.to_array(ORTH) if len(doc) else ():
        form, lemma, is_stop, kept = _lexeme(int(orth))
        if kept:
            words.append(form)
            lemmas.append(lemma)
            stop.append(is_stop)
    return AnalysedText(text=text, words=tuple(words), lemmas=tuple(lemmas), stop=tuple(stop))


def _char_documents(docs: Sequence[AnalysedText]) -> list[str]:
    return [fold_accents(doc.text) for doc in docs]


def _lemma_documents(docs: Sequence[AnalysedText]) -> list[str]:
    return [fold_accents(" ".join(doc.content_lemmas)) for doc in docs]


class NgramTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF over accent-folded character n-grams of the note (`kind="char"`) or word n-grams of its lemmas
    without stop words (`kind="lemma"`). Character n-grams absorb typos, missing accents and inflections."""

    def __init__(
        self,
        *,
        kind: Literal["char", "lemma"] = "char",
        ngram_range: tuple[int, int] = (2, 5),
        min_df: int = 1,
        max_features: int | None = 300_000,
        sublinear_tf: bool = True,
    ) -> None:
        self.kind = kind
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def _documents(self, docs: Sequence[AnalysedText]) -> list[str]:
        if self.kind == "char":
            return _char_documents(docs)
        if self.kind == "lemma":
            return _lemma_documents(docs)
        raise InvalidConfig(f"type de n-grammes inconnu : {self.kind!r} (attendu : 'char' ou 'lemma')")

    def fit(self, docs: Sequence[AnalysedText], y: Any = None) -> NgramTfidf:
        self.fit_transform(docs)
        return self

    def fit_transform(self, docs: Sequence[AnalysedText], y: Any = None, **_: Any) -> sparse.csr_matrix:
        documents = self._documents(_check_analysed(docs))
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb" if self.kind == "char" else "word",
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            token_pattern=r"(?u)\b\w+\b" if self.kind == "lemma" else None,
            lowercase=False,
            dtype=np.float32,
        )
        try:
            matrix = self.vectorizer_.fit_transform(documents)
        except ValueError:  # empty vocabulary: every training note is empty or only stop words
            self.vectorizer_ = None
            matrix = sparse.csr_matrix((len(documents), 0), dtype=np.float32)
        return matrix

    def transform(self, docs: Sequence[AnalysedText]) -> sparse.csr_matrix:
        check_is_fitted(self, "vectorizer_")
        docs = _check_analysed(docs)
        if self.vectorizer_ is None:
            return sparse.csr_matrix((len(docs), 0), dtype=np.float32)
        if self.kind != "char":
            return self.vectorizer_.transform(self._documents(docs))
        return _tfidf(self.vectorizer_._tfidf, self._char_counts([doc.text for doc in docs]))

    def _char_counts(self, documents: Sequence[str]) -> sparse.csr_matrix:
        """Same counts as the vectorizer's on accent-folded documents, but per word with a cache: `char_wb` n-grams
        never cross a space, and the words of notes repeat a lot, so each distinct word is folded and cut into
        n-grams once (≈ 5× faster). Folding a word alone gives what folding the whole note gives: accents are
        combining marks of their letter, never of a space."""
        cache = self.__dict__.setdefault("_word_cache", {})
        if len(cache) > _WORD_CACHE_SIZE:
            cache.clear()
        analyse = self.__dict__.get("_analyser")
        if analyse is None:
            analyse = self.__dict__["_analyser"] = self.vectorizer_.build_analyzer()
        vocabulary = self.vectorizer_.vocabulary_
        indices: list[int] = []
        indptr = [0]
        for document in documents:
            for word in document.split():
                found = cache.get(word)
                if found is None:
                    found = cache[word] = [vocabulary[g] for g in analyse(fold_accents(word)) if g in vocabulary]
                indices.extend(found)
            indptr.append(len(indices))
        counts = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
            shape=(len(documents), len(vocabulary)),
        )
        counts.sum_duplicates()
        return counts

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_word_cache", None)
        state.pop("_analyser", None)
        return state


def _tfidf(transformer: TfidfTransformer, counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """`TfidfTransformer.transform(counts, copy=False)` on our own float32 CSR counts, without its input checks (which
    cost more than the arithmetic on one note): the same operations in the same order."""
    if transformer.norm != "l2":
        return transformer.transform(counts, copy=False)
    if transformer.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    if hasattr(transformer, "idf_"):
        counts.data *= transformer.idf_[counts.indices]
    inplace_csr_row_normalize_l2(counts)
    return counts


@dataclass(frozen=True, eq=False)  # hashed by identity: `row` is cached per (table, word)
class VectorTable:
    """The static word vectors of `fr_core_news_md` (20,000 rows, L2-normalised) and a word → row lookup that also
    finds a vector for a word typed without its accents."""

    rows: np.ndarray
    key_to_row: dict[int, int]
    folded_to_row: dict[str, int]

    def row(self, word: str) -> int | None:
        return _vector_row(self, word)


@lru_cache(maxsize=_WORD_CACHE_SIZE)
def _vector_row(table: VectorTable, word: str) -> int | None:
    strings = nlp.load_vectors_nlp().vocab.strings
    if word in strings:
        found = table.key_to_row.get(strings[word])
        if found is not None:
            return found
    return table.folded_to_row.get(fold_accents(word))


@lru_cache(maxsize=1)
def load_vector_table() -> VectorTable:
    """Built once per process (≈ 2 s): normalised vector rows and the accent-folded lookup."""
    vocab = nlp.load_vectors_nlp().vocab
    vectors = vocab.vectors
    data = np.asarray(vectors.data, dtype=np.float32)
    norms = np.linalg.norm(data, axis=1, keepdims=True)
    rows = data / np.where(norms == 0, 1, norms)
    key_to_row = {int(key): int(row) for key, row in vectors.key2row.items()}
    folded: dict[str, int] = {}
    for key, row in key_to_row.items():
        word = vocab.strings[key]
        if word.islower():  # prefer the lower-case entries' rows
            folded.setdefault(fold_accents(word), row)
    return VectorTable(rows=rows, key_to_row=key_to_row, folded_to_row=folded)


class StaticVectors(TransformerMixin, BaseEstimator):
    """Mean of the static word vectors of a note's content words (and of their lemmas), L2-normalised, × `weight`.

    Brings synonyms and related words close together, which n-grams cannot do with a handful of examples per reason.
    The vectors are not stored in the fitted model: they are `fr_core_news_md`'s, loaded once per process.
    """

    def __init__(self, *, use_lemmas: bool = True, weight: float = 1.0) -> None:
        self.use_lemmas = use_lemmas
        self.weight = weight

    def fit(self, docs: Sequence[AnalysedText], y: Any = None) -> StaticVectors:
        _check_analysed(docs)
        self.n_features_out_ = load_vector_table().rows.shape[1]
        return self

    def transform(self, docs: Sequence[AnalysedText]) -> np.ndarray:
        check_is_fitted(self, "n_features_out_")
        docs = _check_analysed(docs)
        table = load_vector_table()
        out = np.zeros((len(docs), self.n_features_out_), dtype=np.float32)
        for index, doc in enumerate(docs):
            words = list(doc.content_words)
            if self.use_lemmas:
                words += [
                    lemma for lemma, word in zip(doc.content_lemmas, doc.content_words, strict=True) if lemma != word
                ]
            found = [row for row in (table.row(word) for word in words) if row is not None]
            if found:
                mean = table.rows[found].mean(axis=0)
                norm = float(np.linalg.norm(mean))
                if norm > 0:
                    out[index] = mean / norm
        return out * np.float32(self.weight)
