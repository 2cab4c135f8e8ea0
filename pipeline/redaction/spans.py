"""Spans of personal data, their tags, and how overlapping findings become one replacement.

A detector proposes `Candidate`s (a span plus the rank of the evidence behind it). `resolve` merges overlapping
candidates into one span whose type comes from the strongest evidence, and joins same-type spans separated only by
spaces (« Sophie » + « Martin » → one <NOM>). `apply` replaces each span by its tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

NOM = "NOM"
TEL = "TEL"
NIR = "NIR"
IBAN = "IBAN"
CARTE = "CARTE"
EMAIL = "EMAIL"
ADRESSE = "ADRESSE"
DATE_NAISSANCE = "DATE_NAISSANCE"
NUM_DOSSIER = "NUM_DOSSIER"
IMMAT = "IMMAT"
PII_TYPES: tuple[str, ...] = (NOM, TEL, NIR, IBAN, CARTE, EMAIL, ADRESSE, DATE_NAISSANCE, NUM_DOSSIER, IMMAT)

TAG_RE = re.compile("<(?:" + "|".join(PII_TYPES) + ")>")

# Strength of the evidence behind a candidate (lower wins when candidates overlap).
RANK_VALIDATED = 0  # e-mail, and numbers whose check digits are valid (NIR key, IBAN, Luhn, RIB key)
RANK_SITE = 1  # patterns configured for the site
RANK_TRIGGERED = 2  # a value announced by its trigger (« dossier n° », « né le », « immatriculé »)
RANK_PATTERN = 3  # shape only (phone numbers, plates)
RANK_ADDRESS = 4
RANK_NAME = 5
RANK_FALLBACK = 6  # long digit runs nothing else explains


class Span(NamedTuple):
    """Characters `start:end` of a text hold personal data of `type` (one of `PII_TYPES`)."""

    start: int
    end: int
    type: str


class Candidate(NamedTuple):
    start: int
    end: int
    type: str
    rank: int


def tag(kind: str) -> str:
    return f"<{kind}>"


def resolve(text: str, candidates: Iterable[Candidate]) -> list[Span]:
    """Non-overlapping spans, sorted: overlapping candidates are united under the type of the strongest one."""
    ordered = sorted(c for c in candidates if c.end > c.start and _has_alnum(text, c.start, c.end))
    merged: list[Candidate] = []
    for cand in ordered:
        if merged and cand.start < merged[-1].end:
            last = merged[-1]
            best = last if last.rank <= cand.rank else cand
            merged[-1] = Candidate(last.start, max(last.end, cand.end), best.type, best.rank)
        else:
            merged.append(cand)
    return join_adjacent(text, [Span(c.start, c.end, c.type) for c in merged])


def join_adjacent(text: str, spans: Sequence[Span]) -> list[Span]:
    """Join same-type spans separated only by spaces, so « Sophie Martin » becomes one tag, not two."""
    joined: list[Span] = []
    for span in sorted(spans):
        if joined and joined[-1].type == span.type and _only_spaces(text, joined[-1].end, span.start):
            joined[-1] = Span(joined[-1].start, span.end, span.type)
        else:
            joined.append(span)
    return joined


def apply(text: str, spans: Sequence[Span]) -> str:
    """`text` with each (sorted, non-overlapping) span replaced by its tag."""
    if not spans:
        return text
    parts: list[str] = []
    cursor = 0
    for span in spans:
        parts.append(text[cursor : span.start])
        parts.append(tag(span.type))
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


def _has_alnum(text: str, start: int, end: int) -> bool:
    return any(ch.isalnum() for ch in text[start:end])


def _only_spaces(text: str, start: int, end: int) -> bool:
    return start <= end and (start == end or text[start:end].isspace())
