"""French text normalisation for agents' notes: the first, pure step of the reason pipeline.

`normalise(text)` folds Unicode variants (NFKC), typographic apostrophes and quotes, case and whitespace, removes
control and zero-width characters, and expands the abbreviations of `data/abbreviations_fr.yaml` (pr → pour,
rdv → rendez-vous, BO → back-office…). Accents are kept: the lemma table and the word vectors are keyed by accented
forms; features that should not depend on accents fold them with `fold_accents`. `normalise` is idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from sklearn.base import BaseEstimator, TransformerMixin

from pipeline.errors import InvalidText
from pipeline.inputs import check_texts

ABBREVIATIONS_FILE = "abbreviations_fr.yaml"

_TRANSLATE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "‛": "'",
        "`": "'",
        "´": "'",
        "ʼ": "'",
        "′": "'",
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "‹": '"',
        "›": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "œ": "oe",
        "æ": "ae",
    }
)
# Control characters (except tab/newline, which become spaces below) and zero-width / bidi marks.
_INVISIBLE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")
# Combining diacritical marks (the blocks Latin-script accents decompose to).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


@lru_cache(maxsize=1)
def load_abbreviations() -> dict[str, str]:
    """The shipped abbreviation table (lower-case key → expansion)."""
    raw = yaml.safe_load(resources.files("pipeline").joinpath("data", ABBREVIATIONS_FILE).read_text(encoding="utf-8"))
    table = raw["abbreviations"]
    return {_base(str(key)): _base(str(value)) for key, value in table.items()}


@lru_cache(maxsize=8)
def _abbreviation_pattern(items: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    keys = sorted((re.escape(key) for key, _ in items), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(keys) + r")(?![\w-])")


def _base(text: str) -> str:
    """Everything but abbreviation expansion (NFKC, apostrophes/quotes/dashes, invisibles, case, whitespace)."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_TRANSLATE)
    # NFKC again: lower-casing can produce decomposable sequences (e.g. "İ" → "i̇").
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return _SPACES.sub(" ", text).strip()


def normalise(text: str, abbreviations: Mapping[str, str] | None = None) -> str:
    """Normalised, lower-case text with abbreviations expanded (idempotent)."""
    table = load_abbreviations() if abbreviations is None else abbreviations
    text = _base(text)
    if not table:
        return text
    # The shipped table's pattern is looked up without sorting the table again for every note.
    pattern = _default_pattern() if abbreviations is None else _abbreviation_pattern(tuple(sorted(table.items())))
    return pattern.sub(lambda match: table[match.group(0)], text)


@lru_cache(maxsize=1)
def _default_pattern() -> re.Pattern[str]:
    return _abbreviation_pattern(tuple(sorted(load_abbreviations().items())))


def fold_accents(text: str) -> str:
    """`text` without combining marks (é → e, ç → c): notes are often typed without accents."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _COMBINING.sub("", unicodedata.normalize("NFD", text)))


def truncate(text: str, max_chars: int) -> str:
    """`text` cut to at most `max_chars` characters, at the last space before the limit when there is one."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars + 1)
    return text[: cut if cut > max_chars // 2 else max_chars]


class FrenchNormaliser(TransformerMixin, BaseEstimator):
    """Transformer: list of raw notes → list of normalised notes, cut to `max_chars` characters.

    Cutting bounds memory and keeps every note far below spaCy's 1,000,000-character limit: the reason of a call is
    stated early in a note or transcript, and past a few thousand words extra text barely moves a linear model.
    """

    def __init__(self, *, max_chars: int = 20_000, abbreviations: Mapping[str, str] | None = None) -> None:
        self.max_chars = max_chars
        self.abbreviations = abbreviations

    def fit(self, texts: Sequence[str], y: Any = None) -> FrenchNormaliser:
        check_texts(texts)
        if self.max_chars < 1:
            raise InvalidText(f"max_chars doit être positif (reçu : {self.max_chars})")
        self.n_features_in_ = 1
        return self

    def transform(self, texts: Sequence[str]) -> list[str]:
        texts = check_texts(texts)
        # Cut before normalising too, so a 1 MB note never goes through the regular expressions whole.
        return [
            truncate(normalise(truncate(text, 2 * self.max_chars), self.abbreviations), self.max_chars)
            for text in texts
        ]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
