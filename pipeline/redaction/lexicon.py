"""Word lists shipped in `data/` (hand-written: first names, surnames, service words…) and accent folding."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")
_APOSTROPHES = str.maketrans({"’": "'", "`": "'", "ʼ": "'"})


@lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Lower-case, accents removed, typographic apostrophes made straight: the key of every word list."""
    lowered = word.lower().translate(_APOSTROPHES)
    if lowered.isascii():
        return lowered
    return "".join(ch for ch in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(ch))


def phrase_pattern(phrases: tuple[str, ...] | list[str]) -> str:
    """A regex alternation for `phrases`, longest first, accents optional, any run of spaces between words."""
    alternatives = sorted({_phrase_regex(p) for p in phrases if p.strip()}, key=len, reverse=True)
    return "(?:" + "|".join(alternatives) + ")"


_ACCENT_CLASSES = {
    "a": "[aàâä]",
    "e": "[eéèêë]",
    "i": "[iîï]",
    "o": "[oôö]",
    "u": "[uùûü]",
    "c": "[cç]",
}


def _phrase_regex(phrase: str) -> str:
    out: list[str] = []
    folded = fold(phrase.strip())
    for k, ch in enumerate(folded):
        if ch == " ":
            out.append(r"\s*" if folded[k + 1 : k + 2] in (":", "°") else r"\s+")
        elif ch == "'":
            out.append("['’]")
        elif ch in _ACCENT_CLASSES:
            out.append(_ACCENT_CLASSES[ch])
        elif ch == "œ":
            out.append("(?:œ|oe)")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def read_words(name: str) -> frozenset[str]:
    """Folded entries of `data/<name>` (comments and blank lines skipped)."""
    words: set[str] = set()
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            words.add(fold(entry))
    return frozenset(words)


@dataclass(frozen=True, eq=False)
class Lexicon:
    first_names: frozenset[str]
    surnames: frozenset[str]
    ambiguous_first_names: frozenset[str]
    ambiguous_surnames: frozenset[str]
    keep: frozenset[str]  # single words
    keep_sequences: dict[str, tuple[tuple[str, ...], ...]]  # multi-word entries by first word, longest first
    common: frozenset[str]

    def is_first_name(self, key: str) -> bool:
        if key in self.first_names:
            return True
        head, sep, _ = key.partition("-")
        return bool(sep) and (head in self.first_names or head in self.ambiguous_first_names)

    def is_surname(self, key: str) -> bool:
        if key in self.surnames:
            return True
        if "-" in key:
            return any(part in self.surnames for part in key.split("-"))
        return False

    def is_ambiguous(self, key: str) -> bool:
        return key in self.ambiguous_first_names or key in self.ambiguous_surnames

    def is_any_name(self, key: str) -> bool:
        return self.is_first_name(key) or self.is_surname(key) or self.is_ambiguous(key)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    keep_all = read_words("keep_words.txt")
    return Lexicon(
        first_names=read_words("first_names.txt"),
        surnames=read_words("surnames.txt"),
        ambiguous_first_names=read_words("ambiguous_first_names.txt"),
        ambiguous_surnames=read_words("ambiguous_surnames.txt"),
        keep=frozenset(w for w in keep_all if " " not in w),
        keep_sequences=_by_first_word(tuple(w.split()) for w in keep_all if " " in w),
        common=read_words("common_words.txt"),
    )


def _by_first_word(sequences: Iterable[tuple[str, ...]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    grouped: dict[str, list[tuple[str, ...]]] = {}
    for sequence in sequences:
        grouped.setdefault(sequence[0], []).append(sequence)
    return {first: tuple(sorted(group, key=len, reverse=True)) for first, group in grouped.items()}
