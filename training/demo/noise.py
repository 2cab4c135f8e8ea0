"""How agents really type, and how speech-to-text really writes: abbreviations, dropped words, typos, fillers.

Noise is applied in two places, both cheap at generation time:
- each phrase of the banks gets a few precomputed noisy *variants* (abbreviations, dropped determiners, one typo;
  filler words for spoken phrases), chosen at random per note;
- each whole note may lose its accents, go upper-case or get a capital first letter (`finish_note`).
Slots (`{nom}`, `{montant}`…) are never touched by the noise.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence

_SLOT = re.compile(r"(\{[a-z_0-9]+\})")
_WORD = re.compile(r"[^\W\d_]{5,}")
# Most frequent first; chained str.replace is about ten times faster than str.translate on French text.
_ACCENT_PAIRS = tuple(zip("éèàêçôîûùâïëäöüÉÈÀÊÇÔÎÛÙÂÏËÄÖÜ", "eeaecoiuuaieaouEEAECOIUUAIEAOU", strict=True))
_NEIGHBOURS = {  # AZERTY neighbours for fat-finger typos
    "a": "zq",
    "z": "aes",
    "e": "zrd",
    "r": "etf",
    "t": "ryg",
    "y": "tuh",
    "u": "yij",
    "i": "uok",
    "o": "ipl",
    "p": "om",
    "s": "qdz",
    "d": "sfe",
    "f": "dgr",
    "n": "bj",
    "m": "lp",
    "c": "xv",
    "l": "km",
}


def strip_accents(text: str) -> str:
    """« échéance reçue » → « echeance recue », as typed on a keyboard without accents."""
    for accented, plain in _ACCENT_PAIRS:
        if accented in text:
            text = text.replace(accented, plain)
    return text


class Noise:
    """Builds noisy variants of phrases; parameters come from params.yaml (`noise`) and phrases_common.yaml."""

    def __init__(
        self,
        *,
        abbreviations: Mapping[str, Sequence[str]],
        determiners: Sequence[str],
        filler_words: Sequence[str],
        abbreviate: float,
        typo: float,
        drop_determiner: float,
        filler: float,
    ) -> None:
        self.abbreviations = {key.lower(): list(values) for key, values in abbreviations.items()}
        keys = sorted(self.abbreviations, key=len, reverse=True)
        self._abbreviation_re = re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b", re.IGNORECASE)
        dets = sorted(determiners, key=len, reverse=True)
        self._determiner_re = re.compile(
            r"(?<![\w'])(" + "|".join(re.escape(d) for d in dets) + r")(?:\s+|(?<=')(?=\w))", re.IGNORECASE
        )
        self.filler_words = list(filler_words)
        self.p_abbreviate = abbreviate
        self.p_typo = typo
        self.p_drop = drop_determiner
        self.p_filler = filler

    def written_variants(self, text: str, r: random.Random, count: int) -> list[str]:
        """The phrase itself plus `count - 1` noisy versions (duplicates removed, order kept)."""
        variants = [text, *(self._written(text, r) for _ in range(count - 1))]
        return list(dict.fromkeys(variants))

    def spoken_variants(self, text: str, r: random.Random, count: int) -> list[str]:
        variants = [text, *(self._spoken(text, r) for _ in range(count - 1))]
        return list(dict.fromkeys(variants))

    def _outside_slots(self, text: str, change: Callable[[str], str]) -> str:
        parts = _SLOT.split(text)
        for i in range(0, len(parts), 2):
            parts[i] = change(parts[i])
        return "".join(parts)

    def _written(self, text: str, r: random.Random) -> str:
        def abbreviate(match: re.Match[str]) -> str:
            if r.random() >= self.p_abbreviate:
                return match.group(0)
            options = self.abbreviations[match.group(0).lower()]
            short = options[int(r.random() * len(options))]
            if match.group(0)[0].isupper() and short[0].islower():
                short = short[0].upper() + short[1:]
            return short

        def drop(match: re.Match[str]) -> str:
            return "" if r.random() < self.p_drop else match.group(0)

        def change(part: str) -> str:
            part = self._determiner_re.sub(drop, part)
            return self._abbreviation_re.sub(abbreviate, part)

        noisy = self._outside_slots(text, change)
        if r.random() < self.p_typo:
            noisy = self._outside_slots(noisy, lambda part: self._typo(part, r))
        return re.sub(r"\s{2,}", " ", noisy).strip()

    def _typo(self, part: str, r: random.Random) -> str:
        words = list(_WORD.finditer(part))
        if not words:
            return part
        match = words[int(r.random() * len(words))]
        word = match.group(0)
        i = 1 + int(r.random() * (len(word) - 2))
        kind = r.random()
        if kind < 0.3:
            new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swapped letters
        elif kind < 0.55:
            new = word[:i] + word[i + 1 :]  # missing letter
        elif kind < 0.7:
            new = word[:i] + word[i] + word[i:]  # doubled letter
        elif kind < 0.85 and word[i].lower() in _NEIGHBOURS:
            keys = _NEIGHBOURS[word[i].lower()]
            new = word[:i] + keys[int(r.random() * len(keys))] + word[i + 1 :]  # fat finger
        else:
            new = strip_accents(word) if strip_accents(word) != word else word[:i] + word[i + 1 :]
        return part[: match.start()] + new + part[match.end() :]

    def _spoken(self, text: str, r: random.Random) -> str:
        def change(part: str) -> str:
            words = part.split(" ")
            if len(words) > 2 and r.random() < self.p_filler:
                at = 1 + int(r.random() * (len(words) - 1))
                words.insert(at, self.filler_words[int(r.random() * len(self.filler_words))])
            if len(words) > 3 and r.random() < 0.1:  # hesitation: a word said twice
                at = int(r.random() * len(words))
                if words[at] and "{" not in words[at]:
                    words.insert(at, words[at])
            return " ".join(words)

        return self._outside_slots(text, change)
