"""Span-level scores of a redactor against annotated notes (used by the benchmark and the corpus tests).

Matching rules:
- **recall** of a gold span: found when *every letter and digit* of it is covered by predicted spans, whatever their
  type — what matters for privacy is that nothing of it is left. `typed_recall` also asks that a predicted span of
  the same type overlaps it.
- **precision** of a predicted span: correct when it overlaps a gold span of the same type (boundaries may differ:
  « Mme Dupont » vs « Dupont » is a match). `any_precision` accepts a gold span of any type.
- **wrongly redacted words**: words (runs of letters/digits) that overlap no gold span but overlap a predicted span,
  as a share of all words that overlap no gold span.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.redaction.spans import PII_TYPES, Span

_WORDS = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class GoldNote:
    id: str
    split: str
    text: str
    spans: tuple[Span, ...]


def read_gold(path: str | Path, *, split: str | None = None) -> list[GoldNote]:
    """Notes of an annotated JSONL corpus (`{"id", "split", "text", "spans": [{start, end, type}]}`)."""
    notes: list[GoldNote] = []
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            if split is not None and record.get("split") != split:
                continue
            spans = tuple(Span(int(s["start"]), int(s["end"]), str(s["type"])) for s in record["spans"])
            notes.append(GoldNote(str(record["id"]), str(record.get("split", "")), str(record["text"]), spans))
    return notes


@dataclass
class Scores:
    gold: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)  # gold spans fully covered (any type)
    found_typed: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)  # predicted spans overlapping gold of the same type
    correct_any: Counter[str] = field(default_factory=Counter)
    other_words: int = 0
    wrongly_redacted_words: int = 0
    misses: list[tuple[str, str]] = field(default_factory=list)  # (note id, type) of gold spans not found
    false_positives: list[tuple[str, str]] = field(default_factory=list)  # (note id, type) of wrong predictions

    def recall(self, kind: str) -> float | None:
        return self.found[kind] / self.gold[kind] if self.gold[kind] else None

    def typed_recall(self, kind: str) -> float | None:
        return self.found_typed[kind] / self.gold[kind] if self.gold[kind] else None

    def precision(self, kind: str) -> float | None:
        return self.correct[kind] / self.predicted[kind] if self.predicted[kind] else None

    def any_precision(self, kind: str) -> float | None:
        return self.correct_any[kind] / self.predicted[kind] if self.predicted[kind] else None

    def wrongly_redacted_share(self) -> float:
        return self.wrongly_redacted_words / self.other_words if self.other_words else 0.0

    def total_recall(self) -> float:
        total = sum(self.gold.values())
        return sum(self.found.values()) / total if total else 1.0


def score(notes: Sequence[GoldNote], predictions: Sequence[Sequence[Span]]) -> Scores:
    scores = Scores()
    for note, predicted in zip(notes, predictions, strict=True):
        covered = _covered(len(note.text), predicted)
        for gold in note.spans:
            scores.gold[gold.type] += 1
            alnum = [k for k in range(gold.start, gold.end) if note.text[k].isalnum()]
            if all(covered[k] for k in alnum):
                scores.found[gold.type] += 1
                if any(_overlap(gold, p) and p.type == gold.type for p in predicted):
                    scores.found_typed[gold.type] += 1
            else:
                scores.misses.append((note.id, gold.type))
        for span in predicted:
            scores.predicted[span.type] += 1
            if any(_overlap(span, g) and g.type == span.type for g in note.spans):
                scores.correct[span.type] += 1
            else:
                scores.false_positives.append((note.id, span.type))
            if any(_overlap(span, g) for g in note.spans):
                scores.correct_any[span.type] += 1
        for word in _WORDS.finditer(note.text):
            piece = Span(word.start(), word.end(), "")
            if any(_overlap(piece, g) for g in note.spans):
                continue
            scores.other_words += 1
            if any(_overlap(piece, p) for p in predicted):
                scores.wrongly_redacted_words += 1
    return scores


def wrongly_redacted_on_clean_texts(texts: Iterable[str], predictions: Iterable[Sequence[Span]]) -> tuple[int, int]:
    """(words redacted, words) on texts known to hold no personal data."""
    redacted = total = 0
    for text, predicted in zip(texts, predictions, strict=True):
        covered = _covered(len(text), predicted)
        for word in _WORDS.finditer(text):
            total += 1
            if any(covered[k] for k in range(word.start(), word.end())):
                redacted += 1
    return redacted, total


def _covered(length: int, spans: Iterable[Span]) -> list[bool]:
    covered = [False] * length
    for span in spans:
        for k in range(max(0, span.start), min(length, span.end)):
            covered[k] = True
    return covered


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


TYPES_IN_ORDER: tuple[str, ...] = PII_TYPES
