"""Detectors driven by patterns and trigger words: e-mail, dates of birth, postal addresses, case numbers, plates,
and the patterns configured for a site."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from pipeline.redaction.config import RedactionConfig
from pipeline.redaction.lexicon import Lexicon, fold, phrase_pattern
from pipeline.redaction.numbers import parse_spoken_number
from pipeline.redaction.spans import (
    ADRESSE,
    DATE_NAISSANCE,
    EMAIL,
    IMMAT,
    NUM_DOSSIER,
    RANK_ADDRESS,
    RANK_PATTERN,
    RANK_SITE,
    RANK_TRIGGERED,
    RANK_VALIDATED,
    TEL,
    Candidate,
)

_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
_NOT_WORD_BEFORE = r"(?<![^\W_])"
_NOT_WORD_AFTER = r"(?![^\W_])"
_NUMBER_WORDS = (
    "zéro|zero|une|un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|"
    "vingts|vingt|trente|quarante|cinquante|soixante|cents|cent|mille"
)
_SPOKEN = (
    rf"(?:{_NOT_LETTER_BEFORE}(?:{_NUMBER_WORDS}){_NOT_LETTER_AFTER}"
    rf"(?:[\s\-]+(?:et[\s\-]+)?(?:{_NUMBER_WORDS}){_NOT_LETTER_AFTER}){{0,7}})"
)
_CAP_WORD = r"(?:[A-ZÀ-ÖØ-Þ][\w'’\-]*)"
_ANY_WORD = r"(?:[^\W\d_][\w'’\-]*)"

# --------------------------------------------------------------------------------------------------- e-mail
# Read outwards from each « @ » (linear time, whatever the text): the local part to the left, the domain to the right.
_LOCAL_CHARS = frozenset(".+%'’-_")
_DOMAIN_CHARS = frozenset(".-_")
_SPOKEN_AT = re.compile(r"(?i)(?<![^\W\d_])(?:arobase|arrobase|arobas)(?![^\W\d_])")
_SPOKEN_LOCAL = re.compile(
    r"(?i)(?<![^\W\d_])(?:[\w\-]+(?:\s+(?:point|tiret(?:\s+(?:du\s+)?bas)?|underscore)\s+|[._\-])){0,6}[\w\-]+\s+\Z"
)
_SPOKEN_DOMAIN = re.compile(r"(?i)\s+[\w\-]+(?:(?:\s+point\s+|\.)[\w\-]+){1,4}")
_SPACED_AT = re.compile(r"[\w.+%\-]+ @ [\w\-]+(?:\.[\w\-]+)+")


def email_candidates(text: str) -> Iterator[Candidate]:
    at = text.find("@")
    while at >= 0:
        start = at
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_CHARS):
            start -= 1
        end = at + 1
        while end < len(text) and (text[end].isalnum() or text[end] in _DOMAIN_CHARS):
            end += 1
        while end > at + 1 and text[end - 1] in ".-":
            end -= 1
        if start < at:
            yield Candidate(start, end, EMAIL, RANK_VALIDATED)
        at = text.find("@", max(end, at + 1))
    if " @ " in text:
        for match in _SPACED_AT.finditer(text):
            yield Candidate(match.start(), match.end(), EMAIL, RANK_VALIDATED)
    lowered = text.lower()
    if "arobas" in lowered or "arrobase" in lowered:
        for at_word in _SPOKEN_AT.finditer(text):
            local = _SPOKEN_LOCAL.search(text, max(0, at_word.start() - 120), at_word.start())
            domain = _SPOKEN_DOMAIN.match(text, at_word.end())
            if local is not None and domain is not None:
                yield Candidate(local.start(), domain.end(), EMAIL, RANK_TRIGGERED)


# --------------------------------------------------------------------------------------------------- dates of birth
_MONTHS = (
    r"(?:janvier|janv|février|fevrier|févr|fevr|fév|fev|mars|avril|avr|mai|juin|juillet|juil|août|aout|"
    r"septembre|sept|octobre|oct|novembre|nov|décembre|decembre|déc|dec)\.?"
)
_YEAR_DIGITS = r"(?:(?:1[89]|20)[0-9]{2}|[0-9]{2})(?![0-9])"
_DAY = rf"(?:1er|premier|[0-3]?[0-9](?![0-9])|{_SPOKEN})"
_DATE_NUMERIC = (
    r"(?:[0-3]?[0-9][/.\-\s][01]?[0-9][/.\-\s](?:(?:1[89]|20)[0-9]{2}|[0-9]{2})(?![0-9])"
    r"|(?:1[89]|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?![0-9])"
    r"|[0-3][0-9][01][0-9](?:19|20)?[0-9]{2}(?![0-9]))"
)
_DATE_WORDS = rf"(?:(?:{_DAY}\s+)?{_MONTHS}{_NOT_LETTER_AFTER}(?:\s+(?:{_YEAR_DIGITS}|{_SPOKEN}))?)"
_DATE_YEAR = rf"(?:(?:1[89]|20)[0-9]{{2}}(?![0-9])|{_SPOKEN})"
_BIRTH_TRIGGER = re.compile(
    rf"(?i){_NOT_LETTER_BEFORE}(?:(?P<born>n[ée]e?s?(?:\s*\(\s*e\s*\))?)(?:\s+(?P<prep>le|en|au|à\s+la\s+date\s+du))?"
    r"|date\s+de\s+naiss(?:ance)?\.?|date\s+naiss(?:ance)?\.?|d\.?\s?d\.?\s?n\.?|dn|naissance(?:\s+le)?)"
    r"(?![\w(])"
)
_FILLER = re.compile(r"(?i)(?:\s*(?::|=|–|-|,|c['’]est|est|était|le|du|en|au))*\s*")
_BIRTH_DATE = re.compile(rf"(?i){_DATE_NUMERIC}|{_DATE_WORDS}")
_BIRTH_YEAR = re.compile(rf"(?i){_DATE_WORDS}|{_DATE_YEAR}")
_OLD_DATE = re.compile(
    rf"(?i)(?<![0-9])(?:[0-3]?[0-9][/.\-][01]?[0-9][/.\-]|(?:1er|[0-3]?[0-9])\s+{_MONTHS}\s+)"
    r"(?P<year>(?:19|20)[0-9]{2})(?![0-9])"
)


def matches_at(pattern: re.Pattern[str], text: str, positions: Iterable[int]) -> Iterator[re.Match[str]]:
    """Matches of `pattern` starting at the given positions (words found by the caller), not overlapping."""
    reached = -1
    for pos in positions:
        if pos < reached:
            continue
        match = pattern.match(text, pos)
        if match is not None:
            reached = match.end()
            yield match


def birth_date_candidates(text: str, year_max: int | None, positions: Iterable[int]) -> Iterator[Candidate]:
    """Dates after « né le », « date de naissance », « DDN »… (`positions`: where such a trigger word starts)."""
    for trigger in matches_at(_BIRTH_TRIGGER, text, positions):
        filler = _FILLER.match(text, trigger.end())
        pos = filler.end() if filler else trigger.end()
        year_only = (trigger.group("prep") or "").lower() == "en"
        date = (_BIRTH_YEAR if year_only else _BIRTH_DATE).match(text, pos)
        if date is None or not _plausible_date(date.group()):
            continue
        end = date.end()
        while end > date.start() and not text[end - 1].isalnum():
            end -= 1
        # A bare « né »/« ne » (no « le »/« en ») is also the negation « ne »: only a date right after it counts.
        if trigger.group("born") and not trigger.group("prep") and pos - trigger.end() > 3:
            continue
        yield Candidate(date.start(), end, DATE_NAISSANCE, RANK_TRIGGERED)
    if year_max is not None and ("19" in text or "20" in text):
        for match in _OLD_DATE.finditer(text):
            if int(match.group("year")) <= year_max:
                yield Candidate(match.start(), match.end(), DATE_NAISSANCE, RANK_PATTERN)


def _plausible_date(value: str) -> bool:
    if any(ch.isdigit() for ch in value):
        return True
    digits = parse_spoken_number(value)
    return digits is not None and len(digits) >= 2


# --------------------------------------------------------------------------------------------------- addresses
_POSTCODE = r"(?:(?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3}|(?:0[1-9]|[1-8][0-9]|9[0-8])\s[0-9]{3})(?![0-9])"
_CITY = (
    rf"{_CAP_WORD}(?:[\s\-]+(?:(?:sur|sous|en|le|la|les|de|du|lès|lez)[\s\-]+)?(?!(?i:cedex)\b){_CAP_WORD})*"
    r"(?:\s+(?i:cedex)(?:\s+[0-9]{1,2})?)?"
)
_PARTICLE = r"(?:de\s+la\s+|de\s+l['’]|d['’]|du\s+|des\s+|de\s+|la\s+|le\s+|les\s+|l['’]|aux\s+|au\s+|sur\s+|sous\s+)"
_CITY_LOWER_OK = re.compile(r"[^\W\d_][\w\-]*")


@dataclass(frozen=True)
class AddressRules:
    street_type: re.Pattern[str]  # cheap search for a street word before trying the full pattern
    number_before: re.Pattern[str]
    street: re.Pattern[str]
    unit: re.Pattern[str]
    postcode_city: re.Pattern[str]
    postcode_trigger: re.Pattern[str]
    address_trigger: re.Pattern[str]
    capitalised_types: frozenset[str]
    standalone_types: frozenset[str]


def build_address_rules(config: RedactionConfig) -> AddressRules:
    streets = config.street_types
    all_types = (*streets.numbered, *streets.numbered_capitalised, *streets.standalone)
    number = rf"(?:[0-9]{{1,4}}(?:\s?(?:bis|ter|quater|[a-dA-D]))?(?![0-9A-Za-z])|{_SPOKEN})"
    types = rf"{_NOT_LETTER_BEFORE}(?P<type>(?i:{phrase_pattern(all_types)}))\.?{_NOT_LETTER_AFTER}"
    street = re.compile(
        rf"(?:(?P<number>{number})\s*,?\s*)?{types}"
        rf"(?P<name>\s*(?:{_PARTICLE})?(?:(?P<first>{_ANY_WORD})|[0-9]{{1,5}}(?![0-9]))"
        rf"(?:\s+(?:{_PARTICLE})?{_CAP_WORD}|\s+[0-9]{{1,4}}(?=\s+{_CAP_WORD}))*)"
        rf"(?P<tail>\s*,?\s*(?:{_POSTCODE}\s+{_CITY}|à\s+(?P<city>{_ANY_WORD}(?:[\s\-]+{_CAP_WORD})*)))?"
    )
    unit = re.compile(
        rf"{_NOT_LETTER_BEFORE}(?i:{phrase_pattern(streets.unit)})\.?\s*(?:n°\s*)?[0-9A-Za-z]{{1,4}}{_NOT_WORD_AFTER}"
        rf"|{_NOT_LETTER_BEFORE}(?i:chez)\s+(?:(?i:m\.|mme|mr|monsieur|madame)\s+)?{_CAP_WORD}(?:\s+{_CAP_WORD})?"
    )
    postcode_city = re.compile(rf"(?<![0-9]){_POSTCODE}\s+{_CITY}")
    postcode_trigger = re.compile(rf"(?i){_NOT_LETTER_BEFORE}(?:code\s+postal|cp)\s*:?\s*(?P<code>{_POSTCODE})")
    address_trigger = re.compile(rf"(?i){_NOT_LETTER_BEFORE}{phrase_pattern(config.triggers.address)}")
    return AddressRules(
        street_type=re.compile(types),
        number_before=re.compile(rf"{_NOT_LETTER_BEFORE}{number}\s*,?\s*\Z"),
        street=street,
        unit=unit,
        postcode_city=postcode_city,
        postcode_trigger=postcode_trigger,
        address_trigger=address_trigger,
        capitalised_types=frozenset(fold(t) for t in streets.numbered_capitalised),
        standalone_types=frozenset(fold(t) for t in streets.standalone),
    )


def address_candidates(text: str, rules: AddressRules, lexicon: Lexicon, positions: Iterable[int]) -> list[Candidate]:
    """Postal addresses (`positions`: where a street word such as « rue », « bd », « lieu-dit » starts)."""
    pieces: list[tuple[int, int]] = []
    for hit in matches_at(rules.street_type, text, positions):
        before = rules.number_before.search(text, max(0, hit.start() - 30), hit.start())
        match = rules.street.match(text, before.start() if before else hit.start())
        piece = _street_piece(text, match, rules, lexicon) if match else None
        if piece is not None:
            pieces.append(piece)
    if has_digit(text):
        for match in rules.postcode_city.finditer(text):
            city_word = text[match.start() : match.end()].split()[-1]
            if fold(city_word) not in ("euros", "euro", "eur"):
                pieces.append((match.start(), match.end()))
        for match in rules.postcode_trigger.finditer(text):
            pieces.append((match.start("code"), match.end("code")))
    if not pieces:
        return []
    units = [(m.start(), m.end()) for m in rules.unit.finditer(text)]
    return [Candidate(start, end, ADRESSE, RANK_ADDRESS) for start, end in _chain(text, pieces, units)]


def _street_piece(text: str, match: re.Match[str], rules: AddressRules, lexicon: Lexicon) -> tuple[int, int] | None:
    kind = fold(match.group("type").replace(" ", ""))
    number = match.group("number")
    has_number = number is not None and fold(number.strip()) not in ("un", "une")
    first = match.group("first")
    if kind in rules.capitalised_types and first is not None and not first[0].isupper():
        return None
    if first is not None and fold(first) in lexicon.common and not first[0].isupper():
        return None
    triggered = rules.address_trigger.search(text, max(0, match.start() - 30), match.start()) is not None
    if not has_number and kind not in rules.standalone_types and not triggered:
        return None
    end = match.end()
    city = match.group("city")
    if city is not None and not city[0].isupper() and fold(city.split()[0]) not in lexicon.keep:
        end = match.start("tail")
    if not has_number and kind in ("bp", "cs", "tsa") and not any(ch.isdigit() for ch in match.group("name")):
        return None
    start = match.start("number") if has_number else match.start("type")
    return start, end


_CHAIN_GAP = re.compile(r"[\s,;\-–]*")
_DIGIT = re.compile("[0-9]")


def has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def _chain(text: str, pieces: list[tuple[int, int]], units: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join address pieces (and flat/building units touching them) separated only by commas and spaces."""
    anchors = sorted(pieces)
    everything = sorted(anchors + units)
    anchored = set(anchors)
    chains: list[list[tuple[int, int]]] = []
    for piece in everything:
        if chains and (
            piece[0] < chains[-1][-1][1] or _CHAIN_GAP.fullmatch(text, chains[-1][-1][1], piece[0]) is not None
        ):
            chains[-1].append(piece)
        else:
            chains.append([piece])
    spans: list[tuple[int, int]] = []
    for chain in chains:
        if any(p in anchored for p in chain):
            spans.append((chain[0][0], max(p[1] for p in chain)))
    return spans


# --------------------------------------------------------------------------------------------------- dates, times
# Dates and timestamps of the call itself (« appel du 2026-02-03 10:15 », « versement du 03/02/2026 ») are no personal
# data: number detectors must not read their digits as a phone number or an identifier. Only unambiguous shapes
# count (ISO, or day/month/year with « / », or with « . »/« - » and a 4-digit year), not glued to more digits by a
# separator (« 06/12/34/56/78 » is a phone). A bare hour (« 2026-02-03 10 ») is taken only when no digit follows
# (« le 03/02/2026 06 12 34 56 78 »: the phone keeps its « 06 »). Dates of birth are found apart, on the full text.
_DAY_NUMBER = r"(?:0?[1-9]|[12][0-9]|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_YEAR_4 = r"(?:19|20)[0-9]{2}"
_CLOCK_HOUR = r"(?:[01]?[0-9]|2[0-3])"
_DATE_TIME = re.compile(
    rf"(?<![0-9./\-])(?:{_YEAR_4}-{_MONTH_NUMBER}-{_DAY_NUMBER}|{_DAY_NUMBER}/{_MONTH_NUMBER}/(?:{_YEAR_4}|[0-9]{{2}})"
    rf"|{_DAY_NUMBER}(?P<sep>[.\-]){_MONTH_NUMBER}(?P=sep){_YEAR_4})"
    rf"(?:(?:T|[ \t\u00a0]+(?:à[ \t\u00a0]+)?)"
    rf"(?:{_CLOCK_HOUR}[:h][0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?(?![0-9])"
    rf"|{_CLOCK_HOUR}(?![0-9]|[ \t\u00a0.\-/:][0-9])))?"
    r"(?![0-9]|[.\-/:][0-9])"
)


_DATE_HINT = re.compile(r"[0-9][/.\-][0-9]")


def date_time_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds a date, possibly with a time of day (« 2026-02-03 10:15 », « 03/02/2026 à 10h15 »)."""
    if _DATE_HINT.search(text) is None:  # every date shape has a digit, a separator, a digit
        return []
    return [(m.start(), m.end()) for m in _DATE_TIME.finditer(text)]


# --------------------------------------------------------------------------------------------------- case numbers
_CONNECT = (
    r"(?:\s*(?:n\s?°|n\s?º|no\.?|n\.|num(?:éro|ero)?\.?|nr\.?|#|:|=|-|\(|\.|est(?:\s+le)?|c['’]est(?:\s+le)?"
    r"|le|du|de\s+l['’]|de|d['’]|courrier|dossier|demande))*\s*"
)
_ID = (
    r"(?P<id>(?=[A-Za-z0-9./_\-]*[0-9])[A-Za-z0-9](?:[A-Za-z0-9]|[\-/._](?=[A-Za-z0-9]))*"
    r"(?:[ \u00a0](?=[0-9]{2})[0-9]{2,}(?![A-Za-z0-9]))*)"
)
_YEAR_ONLY = re.compile(r"(?:19|20)[0-9]{2}")
_HAS_NUMBER_WORD = re.compile(r"(?i)n\s?°|n\s?º|\bno\b|num|#")


def build_dossier_pattern(config: RedactionConfig) -> re.Pattern[str]:
    return re.compile(
        rf"(?i){_NOT_WORD_BEFORE}(?P<trigger>{phrase_pattern(config.triggers.dossier)}){_NOT_WORD_AFTER}"
        rf"(?P<connect>{_CONNECT}){_ID}"
    )


def dossier_candidates(
    text: str, pattern: re.Pattern[str], positions: Iterable[int], dates: Sequence[tuple[int, int]] = ()
) -> Iterator[Candidate]:
    """Identifiers announced by « dossier n° », « n° allocataire »… (`positions`: where such a word starts). A date
    (`dates`: `date_time_spans`) is not an identifier (« dossier du 2026-02-03 ») unless a number word announces it
    (« dossier n° 2024-01-15 »)."""
    for match in matches_at(pattern, text, positions):
        value = match.group("id")
        inside_date = any(start <= match.start("id") and match.end("id") <= end for start, end in dates)
        if inside_date and not _HAS_NUMBER_WORD.search(match.group("connect")):
            continue
        compact = re.sub(r"[^0-9A-Za-z]", "", value)
        digits = sum(ch.isdigit() for ch in compact)
        if digits < 3 or len(compact) < 4:
            continue
        if _YEAR_ONLY.fullmatch(compact) and not _HAS_NUMBER_WORD.search(match.group("connect")):
            continue
        if len(compact) == 10 and compact.isdigit() and compact[0] == "0" and compact[1] != "0":
            yield Candidate(match.start("id"), match.end("id"), TEL, RANK_PATTERN)
            continue
        yield Candidate(match.start("id"), match.end("id"), NUM_DOSSIER, RANK_TRIGGERED)


# --------------------------------------------------------------------------------------------------- plates
_PLATE_LETTERS = "[A-HJ-NP-TV-Z]"
_SIV = re.compile(rf"(?<![A-Za-z0-9]){_PLATE_LETTERS}{{2}}[\- ]?[0-9]{{3}}[\- ]?{_PLATE_LETTERS}{{2}}(?![A-Za-z0-9])")
_FNI = re.compile(r"(?<![A-Za-z0-9])[0-9]{1,4}[\- ]?[A-Z]{1,3}[\- ]?(?:[0-9]{2}|2[AB]|97[1-6])(?![A-Za-z0-9])")


def plate_candidates(text: str, vehicle_trigger: re.Pattern[str]) -> Iterator[Candidate]:
    for match in _SIV.finditer(text):
        yield Candidate(match.start(), match.end(), IMMAT, RANK_PATTERN)
    for match in _FNI.finditer(text):
        if vehicle_trigger.search(text, max(0, match.start() - 40), match.start()) is not None:
            yield Candidate(match.start(), match.end(), IMMAT, RANK_TRIGGERED)


# --------------------------------------------------------------------------------------------------- site patterns
@dataclass(frozen=True)
class SitePattern:
    type: str
    regex: re.Pattern[str]


def site_candidates(text: str, patterns: tuple[SitePattern, ...]) -> Iterator[Candidate]:
    for pattern in patterns:
        for match in pattern.regex.finditer(text):
            if "value" in pattern.regex.groupindex and match.group("value") is not None:
                yield Candidate(match.start("value"), match.end("value"), pattern.type, RANK_SITE)
            else:
                yield Candidate(match.start(), match.end(), pattern.type, RANK_SITE)


def trigger_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Case- and accent-insensitive alternation of `phrases`, not inside a word."""
    return re.compile(rf"(?i){_NOT_WORD_BEFORE}{phrase_pattern(phrases)}{_NOT_WORD_AFTER}")
