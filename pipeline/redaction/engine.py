"""The compiled redaction rules and the loop that applies them until nothing more is found.

One pass runs every enabled detector on the text (existing tags such as « <NOM> » are masked first, so they are
never matched nor swallowed), optionally spaCy's NER, and merges the findings. Replacing spans changes the context
other findings depend on (the words around a number, the share of capitalised words, what NER reads), so passes
repeat on the redacted text until one finds nothing: the result is a fixed point, which is what makes redaction
idempotent. Each pass covers at least one more letter or digit with a tag, so the loop ends.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.redaction import numbers, patterns
from pipeline.redaction.config import NerMode, RedactionConfig, load_config
from pipeline.redaction.lexicon import Lexicon, load_lexicon
from pipeline.redaction.names import NameDetector, Token, first_words, tokenize
from pipeline.redaction.spans import (
    ADRESSE,
    CARTE,
    DATE_NAISSANCE,
    EMAIL,
    IBAN,
    IMMAT,
    NIR,
    NOM,
    NUM_DOSSIER,
    TAG_RE,
    TEL,
    Candidate,
    Span,
    apply,
    resolve,
)

_MASK = "\ue000"  # a private-use character: neither letter nor digit nor space, so masked tags match nothing
_DIGIT = re.compile("[0-9]")
_NUMBER_TYPES = frozenset({TEL, NIR, IBAN, CARTE, NUM_DOSSIER})


@dataclass(frozen=True)
class Settings:
    config: RedactionConfig
    types: frozenset[str]
    use_ner: NerMode
    site_patterns: tuple[patterns.SitePattern, ...] = ()


@dataclass
class _State:
    original: str
    spans: list[Span] = field(default_factory=list)
    current: str = ""


class Engine:
    def __init__(self, settings: Settings, lexicon: Lexicon) -> None:
        config = settings.config
        self.settings = settings
        self.types = settings.types
        self.number_rules = numbers.NumberRules(
            nir_trigger=patterns.trigger_pattern(config.triggers.nir),
            iban_trigger=patterns.trigger_pattern(config.triggers.iban),
            phone_trigger=patterns.trigger_pattern(config.triggers.phone),
            long_min=config.long_number_min_digits,
        )
        self.address_rules = patterns.build_address_rules(config)
        self.dossier_pattern = patterns.build_dossier_pattern(config)
        self.vehicle_trigger = patterns.trigger_pattern(config.triggers.vehicle)
        self.lexicon = lexicon
        self.names = NameDetector(config, lexicon)
        streets = config.street_types
        self.address_words = first_words(
            (*streets.numbered, *streets.numbered_capitalised, *streets.standalone, "code", "cp")
        )
        self.birth_words = frozenset({"ne", "nee", "nes", "nees", "date", "naissance", "ddn", "dn", "d"})
        self.dossier_words = first_words(config.triggers.dossier)

    # ------------------------------------------------------------------ one pass, rules only
    def rule_candidates(self, text: str, tokens: list[Token] | None = None) -> list[Candidate]:
        """Every rule-based finding in `text` (tags already masked), before merging. Detectors driven by trigger
        words only look where such a word is (the words come from the one tokenisation of the text)."""
        types = self.types
        tokens = tokenize(text) if tokens is None else tokens
        found: list[Candidate] = []
        if EMAIL in types:
            found.extend(patterns.email_candidates(text))
        has_digit = _DIGIT.search(text) is not None
        # Number detectors read digits with the call's dates and times masked (« 2026-02-03 10:15 » is no phone).
        dates = patterns.date_time_spans(text) if has_digit else []
        numeric = _mask(text, dates)
        if has_digit and types & _NUMBER_TYPES:
            found.extend(numbers.digit_candidates(numeric, self.number_rules))
            found.extend(numbers.iban_candidates(numeric, self.number_rules))
        if types & _NUMBER_TYPES and _count_number_words(tokens) >= 3:
            found.extend(numbers.spoken_candidates(text, self.number_rules))
        if DATE_NAISSANCE in types:
            where = [t.start for t in tokens if t.key in self.birth_words]
            year_max = self.settings.config.untriggered_birth_year_max
            if where or (has_digit and year_max is not None):
                found.extend(patterns.birth_date_candidates(text, year_max, where))
        if ADRESSE in types:
            where = [t.start for t in tokens if t.key in self.address_words]
            if where or has_digit:
                found.extend(patterns.address_candidates(text, self.address_rules, self.lexicon, where))
        if has_digit and (NUM_DOSSIER in types or TEL in types):
            where = [t.start for t in tokens if t.key in self.dossier_words]
            found.extend(patterns.dossier_candidates(text, self.dossier_pattern, where, dates))
        if has_digit and IMMAT in types:
            found.extend(patterns.plate_candidates(numeric, self.vehicle_trigger))
        if self.settings.site_patterns:
            found.extend(patterns.site_candidates(text, self.settings.site_patterns))
        if NOM in types:
            found.extend(self.names.candidates(text, tokens))
        return [c for c in found if c.type in types]

    # ------------------------------------------------------------------ the loop
    def find_spans_many(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans (in each original text's coordinates) whose redaction is a fixed point of one more pass."""
        states = [_State(original=t, current=t) for t in texts]
        pending = list(range(len(states)))
        while pending:
            passes = [self._rule_pass(states[i].current) for i in pending]
            docs = self._ner_docs(passes)
            still: list[int] = []
            for k, index in enumerate(pending):
                state = states[index]
                new = self._new_spans(state, passes[k], docs.get(k))
                if not new:
                    continue
                spans = resolve(state.original, [Candidate(s.start, s.end, s.type, -1) for s in state.spans] + new)
                if spans != state.spans:  # always true unless a detector misbehaves; never loop on it
                    state.spans = spans
                    state.current = apply(state.original, spans)
                    still.append(index)
            pending = still
        return [state.spans for state in states]

    def redact_many(self, texts: Sequence[str]) -> list[str]:
        return [apply(text, spans) for text, spans in zip(texts, self.find_spans_many(texts), strict=True)]

    def _rule_pass(self, current: str) -> _Pass:
        tags = [(m.start(), m.end()) for m in TAG_RE.finditer(current)]
        masked = _mask(current, tags)
        tokens = tokenize(masked)
        return _Pass(current, tags, masked, tokens, self.rule_candidates(masked, tokens))

    def _new_spans(self, state: _State, one: _Pass, doc: object | None) -> list[Candidate]:
        """This pass's findings on the current (redacted) text, mapped back to the original's coordinates."""
        found = list(one.found)
        if doc is not None:
            found.extend(self.names.ner_candidates(one.current, doc))  # type: ignore[arg-type]
        found = [c for c in found if c.end > c.start and not _overlaps(c, one.tags)]
        if not found:
            return []
        # Map positions in `current` to `original`: each earlier span of the original became one tag in `current`.
        shifts = _Shifts(state.spans)
        return [
            Candidate(shifts.to_original(span.start), shifts.to_original(span.end - 1) + 1, span.type, 0)
            for span in resolve(one.masked, found)
        ]

    def _ner_docs(self, passes: list[_Pass]) -> dict[int, object]:
        mode = self.settings.use_ner
        if mode == "off" or NOM not in self.types or not passes:
            return {}
        if mode == "always":
            chosen = list(range(len(passes)))
        else:
            chosen = [k for k, one in enumerate(passes) if self.names.needs_ner(one.masked, one.found, one.tokens)]
        if not chosen:
            return {}
        from pipeline import nlp  # spaCy is loaded only when NER is asked for

        docs = nlp.run([passes[k].current for k in chosen], nlp.ENTITIES)
        return dict(zip(chosen, docs, strict=True))


@dataclass
class _Pass:
    """One detection pass over a text: the text, its tags, the masked text, its words and the rule findings."""

    current: str
    tags: list[tuple[int, int]]
    masked: str
    tokens: list[Token]
    found: list[Candidate]


def _count_number_words(tokens: list[Token]) -> int:
    count = 0
    for tok in tokens:
        if tok.key in numbers.NUMBER_WORDS or (
            "-" in tok.key and any(p in numbers.NUMBER_WORDS for p in tok.key.split("-"))
        ):
            count += 1
    return count


class _Shifts:
    """Converts a position in the redacted text to the original, given the spans already replaced by tags."""

    def __init__(self, spans: list[Span]) -> None:
        self.redacted_starts: list[int] = []
        self.deltas: list[int] = []
        delta = 0
        for span in spans:
            tag_length = len(span.type) + 2
            self.redacted_starts.append(span.start - delta)
            delta += (span.end - span.start) - tag_length
            self.deltas.append(delta)

    def to_original(self, position: int) -> int:
        k = bisect.bisect_right(self.redacted_starts, position) - 1
        return position + (self.deltas[k] if k >= 0 else 0)


def _mask(text: str, tags: list[tuple[int, int]]) -> str:
    if not tags:
        return text
    parts: list[str] = []
    cursor = 0
    for start, end in tags:
        parts.append(text[cursor:start])
        parts.append(_MASK * (end - start))
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def _overlaps(cand: Candidate, tags: list[tuple[int, int]]) -> bool:
    return any(cand.start < end and start < cand.end for start, end in tags)


@dataclass(frozen=True)
class EngineKey:
    """Hashable description of an engine: what `Redactor`'s parameters resolve to."""

    config_path: str | None
    types: tuple[str, ...]
    use_ner: NerMode
    site: str | None
    extra_patterns: tuple[tuple[str, str], ...]


@lru_cache(maxsize=32)
def cached_engine(key: EngineKey) -> Engine:
    config = load_config(key.config_path)
    site_patterns: list[patterns.SitePattern] = []
    if key.site is not None:
        for pattern in config.sites[key.site].patterns:
            site_patterns.append(patterns.SitePattern(pattern.type, re.compile(pattern.regex)))
    for kind, regex in key.extra_patterns:
        site_patterns.append(patterns.SitePattern(kind, re.compile(regex)))
    settings = Settings(config, frozenset(key.types), key.use_ner, tuple(site_patterns))
    return Engine(settings, load_lexicon())
