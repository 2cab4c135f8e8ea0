"""Numbers: phone numbers, NIR, bank cards, RIB/IBAN and other long identifiers, written or spelled out.

Written digits are read as *runs*: digit groups joined by spaces (also non-breaking), dots, dashes or slashes
(« 06 12 34 56 78 », « 1 85 01 2A 123 456 09 », « +33 (0)1 44 55 66 77 »). Spelled-out numbers in transcripts
(« zéro six douze trente-quatre… ») are parsed into the same groups (« 0 » « 6 » « 12 » « 34 »…). Each run is then
cut, at group boundaries, into the windows that are a valid NIR (key checked with python-stdnum), RIB (key), card
(Luhn + grouping) or phone number; digits left over in a long stretch are redacted anyway as an identifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

from pipeline.redaction.spans import (
    CARTE,
    IBAN,
    NIR,
    NUM_DOSSIER,
    RANK_FALLBACK,
    RANK_PATTERN,
    RANK_TRIGGERED,
    RANK_VALIDATED,
    TEL,
    Candidate,
)

_SP = "[ \t\u00a0\u202f]"
_JOIN = rf"(?:{_SP}*[.\-/]{_SP}*|{_SP}{{1,3}})"
# Digits (a Corsican « 2A »/« 2B » included), and the « (0) » of « +33 (0)1 … », joined by optional separators.
RUN_RE = re.compile(rf"(?<![0-9])(?:\(0\)|[0-9])(?:(?:{_JOIN})?(?:\(0\)|[0-9]|(?<=2)[ABab]))*")
_GROUP_RE = re.compile(r"\(0\)|[0-9A-Za-z]+")
_TRIGGER_WINDOW = 45
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")

_COUNTRY = "(?:[A-Z]{2}|[Ff][Rr])"  # IBANs are written in capitals; « fr76… » is the one lower-case form seen
_IBAN_RE = re.compile(rf"(?<![0-9]){_COUNTRY}{_SP}?[0-9]{{2}}(?:[ \t\u00a0\u202f\-]?[0-9A-Za-z]){{10,32}}")
_IBAN_HINT = re.compile(rf"{_COUNTRY}{_SP}?[0-9]{{2}}")


class Group(NamedTuple):
    start: int
    end: int
    chars: str  # compact, upper-case; "" for the « (0) » of international numbers


@dataclass(frozen=True)
class NumberRules:
    nir_trigger: re.Pattern[str]
    iban_trigger: re.Pattern[str]
    phone_trigger: re.Pattern[str]
    long_min: int


def _near(trigger: re.Pattern[str], text: str, pos: int, window: int = _TRIGGER_WINDOW) -> bool:
    return trigger.search(text, max(0, pos - window), pos) is not None


# --------------------------------------------------------------------------------------------------- validators
def nir_shape(chars: str) -> bool:
    """13 or 15 characters shaped like a NIR: sex, year, month, department (2A/2B for Corsica), commune, order."""
    if len(chars) not in (13, 15) or chars[0] not in "1234578" or not chars[1:5].isdigit():
        return False
    month = int(chars[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    department = chars[5:7]
    return (department.isdigit() or department in ("2A", "2B")) and chars[7:].isdigit()


def nir_valid(chars: str) -> bool:
    return len(chars) == 15 and nir_shape(chars) and stdnum_nir.is_valid(chars)


def rib_valid(chars: str) -> bool:
    """French RIB: bank (5), branch (5), account (11, letters allowed), key (2)."""
    if len(chars) != 23 or not chars[:10].isdigit() or not chars[21:].isdigit():
        return False
    body = chars[:21].translate(_RIB_LETTERS)
    if not body.isdigit():
        return False
    key = 97 - (89 * int(body[:5]) + 15 * int(body[5:10]) + 3 * int(body[10:21])) % 97
    return key == int(chars[21:])


def card_valid(chars: str, lengths: Callable[[], tuple[int, ...]] | None) -> bool:
    """13–19 digits, a card network's first digit, Luhn; written as one block or in groups of four (or 4-6-5).
    `lengths` gives the lengths of the written groups (None: not written, e.g. spelled out)."""
    if not (13 <= len(chars) <= 19 and chars.isdigit() and chars[0] in "23456") or not luhn.is_valid(chars):
        return False
    written = lengths() if lengths is not None else ()
    if len(written) > 1:
        fours = all(n == 4 for n in written[:-1]) and 1 <= written[-1] <= 4
        return fours or written in ((4, 6, 5), (4, 6, 4))
    return True


def iban_valid(chars: str) -> bool:
    return stdnum_iban.is_valid(chars)


# Lengths of the IBANs met most often in French public services (others: every length is tried).
_IBAN_LENGTHS = {
    "FR": 27, "MC": 27, "BE": 16, "DE": 22, "ES": 24, "IT": 27, "PT": 25, "LU": 20, "CH": 21, "GB": 22, "NL": 18,
    "MA": 28, "TN": 24, "DZ": 26, "SN": 28, "RO": 24, "PL": 28,
}  # fmt: skip


def _mod97_ok(chars: str) -> bool:
    """The IBAN checksum alone (fast pre-check before python-stdnum's full validation)."""
    rearranged = chars[4:] + chars[:4]
    if not rearranged.isalnum() or not rearranged.isascii():
        return False
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


# --------------------------------------------------------------------------------------------------- classifying
def _window_type(
    text: str, groups: list[Group], i: int, j: int, chars: str, rules: NumberRules, spoken: bool
) -> tuple[str, int] | None:
    length = len(chars)
    start = groups[i].start
    if length in (13, 15) and nir_shape(chars):
        if nir_valid(chars):
            return NIR, RANK_VALIDATED
        if _near(rules.nir_trigger, text, start):
            return NIR, RANK_TRIGGERED
    if length == 23 and rib_valid(chars):
        return IBAN, RANK_VALIDATED
    if 13 <= length <= 19:
        lengths = None if spoken else (lambda: tuple(len(g.chars) for g in groups[i : j + 1]))
        if (not spoken or length == 16) and card_valid(chars, lengths):
            return CARTE, RANK_VALIDATED
    if not chars.isdigit():
        return None
    if length == 10 and chars[0] == "0" and chars[1] != "0":
        return TEL, RANK_PATTERN
    if 11 <= length <= 15 and chars.startswith("00") and chars[2] != "0":
        return TEL, RANK_PATTERN
    if 8 <= length <= 15 and _plus_before(text, start) >= 0:
        return TEL, RANK_PATTERN
    return None


_TYPED_LENGTHS = frozenset((*range(8, 20), 23))  # phone (8–15 with a prefix), NIR (13, 15), card (13–19), RIB (23)


def _plus_before(text: str, start: int) -> int:
    """Position of a « + » just before `start` (« +33 », « + 33 »), or -1."""
    k = start - 1
    if k >= 0 and text[k] in " \u00a0":
        k -= 1
    return k if k >= 0 and text[k] == "+" else -1


def classify_groups(text: str, groups: list[Group], rules: NumberRules, *, spoken: bool = False) -> list[Candidate]:
    """Cut a run of groups into typed windows (longest valid window first), then redact long leftovers."""
    found: list[Candidate] = []
    leftover: list[int] = []
    n = len(groups)
    i = 0
    while i < n:
        prefixes: list[tuple[int, str]] = []
        chars = ""
        for j in range(i, n):
            chars += groups[j].chars
            if len(chars) > 25:
                break
            prefixes.append((j, chars))
        match: tuple[int, str, int] | None = None
        for j, window in reversed(prefixes):
            if len(window) not in _TYPED_LENGTHS:
                continue
            kind = _window_type(text, groups, i, j, window, rules, spoken)
            if kind is not None:
                match = (j, kind[0], kind[1])
                break
        if match is None:
            leftover.append(i)
            i += 1
            continue
        j, kind_name, rank = match
        start = groups[i].start
        if kind_name == TEL:
            plus = _plus_before(text, start)
            start = plus if plus >= 0 else start
        found.append(Candidate(start, groups[j].end, kind_name, rank))
        i = j + 1
    found.extend(_leftover_candidates(text, groups, leftover, rules))
    return found


def _leftover_candidates(
    text: str, groups: list[Group], leftover: list[int], rules: NumberRules
) -> Iterator[Candidate]:
    stretch: list[int] = []
    for index in [*leftover, -2]:
        if stretch and index == stretch[-1] + 1:
            stretch.append(index)
            continue
        if stretch:
            chars = "".join(groups[k].chars for k in stretch)
            digits = sum(ch.isdigit() for ch in chars)
            start, end = groups[stretch[0]].start, groups[stretch[-1]].end
            if 8 <= digits <= 11 and chars.startswith("0") and _near(rules.phone_trigger, text, start, 25):
                yield Candidate(start, end, TEL, RANK_PATTERN)
            elif digits >= rules.long_min:
                yield Candidate(start, end, NUM_DOSSIER, RANK_FALLBACK)
        stretch = [index]


def digit_candidates(text: str, rules: NumberRules) -> list[Candidate]:
    """Phone numbers, NIR, cards, RIB and long identifiers written with digits."""
    found: list[Candidate] = []
    for run in RUN_RE.finditer(text):
        groups = [
            Group(run.start() + g.start(), run.start() + g.end(), "" if g.group() == "(0)" else g.group().upper())
            for g in _GROUP_RE.finditer(run.group())
        ]
        if sum(len(g.chars) for g in groups) >= 8:
            found.extend(classify_groups(text, groups, rules))
    found.extend(nir_key_candidates(text, found))
    return found


def iban_candidates(text: str, rules: NumberRules) -> list[Candidate]:
    """IBANs (check digits verified), with spaces or non-breaking spaces; a wrong one still counts after « IBAN »."""
    if not _IBAN_HINT.search(text):
        return []
    found: list[Candidate] = []
    for match in _IBAN_RE.finditer(text):
        positions = [match.start() + k for k, ch in enumerate(match.group()) if ch.isalnum()]
        compact = "".join(text[p] for p in positions).upper()
        known = _IBAN_LENGTHS.get(compact[:2])
        lengths = [known] if known else range(min(len(compact), 34), 14, -1)
        for n in lengths:
            if n <= len(compact) and _mod97_ok(compact[:n]) and iban_valid(compact[:n]):
                found.append(Candidate(match.start(), positions[n - 1] + 1, IBAN, RANK_VALIDATED))
                break
        else:
            if compact[:2] == "FR" and len(compact) >= 27 and _near(rules.iban_trigger, text, match.start(), 30):
                found.append(Candidate(match.start(), positions[26] + 1, IBAN, RANK_TRIGGERED))
    return found


# --------------------------------------------------------------------------------------------------- NIR keys
_KEY_AFTER = re.compile(r"[\s,;:()\-]*(?:et\s+)?(?:(?:la|sa)\s+)?cl[ée]\s*(?:est\s+|c'est\s+|:\s*)?", re.IGNORECASE)
_KEY_DIGITS = re.compile(r"[0-9]{2}(?![0-9])")


def nir_key_candidates(text: str, found: list[Candidate]) -> list[Candidate]:
    """The key given apart from a 13-digit NIR (« … 456 clé 09 », « … et la clé trente-neuf »)."""
    extra: list[Candidate] = []
    for cand in found:
        if cand.type != NIR:
            continue
        after = _KEY_AFTER.match(text, cand.end)
        if after is None or after.end() == cand.end:
            continue
        key = _KEY_DIGITS.match(text, after.end()) or _SPOKEN_KEY.match(text, after.end())
        if key is not None:
            extra.append(Candidate(key.start(), key.end(), NIR, cand.rank))
    return extra


# --------------------------------------------------------------------------------------------------- spoken numbers
_ZERO = ("zéro", "zero")
_UNITS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9}
_TEENS = {"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16}
_TENS = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60}
_HUNDREDS = ("cent", "cents")
_THOUSANDS = ("mille",)
_ALL_WORDS = (*_ZERO, *_UNITS, *_TEENS, *_TENS, *_HUNDREDS, *_THOUSANDS)
_WORD_ALT = "|".join(sorted(_ALL_WORDS, key=len, reverse=True))
# Folded number words other than « un », « une », « cent », « mille »: a text needs one to hold a spoken number.
NUMBER_WORDS = frozenset(w for w in (*_ZERO, *_UNITS, *_TEENS, *_TENS) if w not in ("un", "une")) | {"zero"}
_LETTER_BEFORE = r"(?<![^\W\d_])"
_LETTER_AFTER = r"(?![^\W\d_])"
_SPOKEN_TOKEN = re.compile(
    rf"(?P<digits>[0-9]+)|{_LETTER_BEFORE}(?P<word>{_WORD_ALT}|et){_LETTER_AFTER}", re.IGNORECASE
)
_SPOKEN_KEY = re.compile(rf"{_LETTER_BEFORE}(?:{_WORD_ALT})(?:[\s\-]+(?:{_WORD_ALT})){{0,2}}{_LETTER_AFTER}", re.I)
_GAP = re.compile(r"[\s,.\-–]{0,4}")
_ET_GAP = re.compile(r"[\s\-]+")


class _Token(NamedTuple):
    start: int
    end: int
    kind: str  # digits, zero, unit, teen, tens, hundred, thousand, et
    value: int
    text: str


def _spoken_tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _SPOKEN_TOKEN.finditer(text):
        if match.group("digits") is not None:
            tokens.append(_Token(match.start(), match.end(), "digits", 0, match.group()))
            continue
        word = match.group("word").lower()
        if word in _ZERO:
            tokens.append(_Token(match.start(), match.end(), "zero", 0, word))
        elif word in _UNITS:
            tokens.append(_Token(match.start(), match.end(), "unit", _UNITS[word], word))
        elif word in _TEENS:
            tokens.append(_Token(match.start(), match.end(), "teen", _TEENS[word], word))
        elif word in _TENS:
            tokens.append(_Token(match.start(), match.end(), "tens", _TENS[word], word))
        elif word in _HUNDREDS:
            tokens.append(_Token(match.start(), match.end(), "hundred", 100, word))
        elif word in _THOUSANDS:
            tokens.append(_Token(match.start(), match.end(), "thousand", 1000, word))
        else:
            tokens.append(_Token(match.start(), match.end(), "et", 0, word))
    return tokens


def _sequences(text: str, tokens: list[_Token]) -> Iterator[list[_Token]]:
    """Tokens next to each other (spaces, commas, dashes between; « et » only inside « vingt et un »)."""
    current: list[_Token] = []
    for k, tok in enumerate(tokens):
        if tok.kind == "et":
            nxt = tokens[k + 1] if k + 1 < len(tokens) else None
            joins = (
                current
                and current[-1].kind == "tens"
                and nxt is not None
                and nxt.text in ("un", "une", "onze")
                and _ET_GAP.fullmatch(text, current[-1].end, tok.start)
                and _ET_GAP.fullmatch(text, tok.end, nxt.start)
            )
            if joins:
                current.append(tok)
                continue
            if current:
                yield current
            current = []
            continue
        if current and not (current[-1].kind == "et" or _GAP.fullmatch(text, current[-1].end, tok.start)):
            yield current
            current = []
        current.append(tok)
    if current:
        yield current


class _Phrase:
    __slots__ = ("current", "end", "last", "last_value", "start", "thousands")

    def __init__(self, tok: _Token) -> None:
        self.start = tok.start
        self.end = tok.end
        self.thousands = 1000 if tok.kind == "thousand" else 0
        self.current = 0 if tok.kind == "thousand" else tok.value
        self.last = tok.kind
        self.last_value = tok.value

    def absorb(self, tok: _Token) -> bool:
        """Add `tok` to this number if French number grammar allows it (« soixante-dix-huit » → 78)."""
        kind, value, last = tok.kind, tok.value, self.last
        if kind == "unit":
            ok = (last == "tens" and self.current % 10 == 0) or last in ("hundred", "thousand")
            ok = ok or (last == "teen" and self.last_value == 10 and value >= 7)
            if not ok:
                return False
            self.current += value
        elif kind == "teen":
            if not ((last == "tens" and self.last_value in (60, 80)) or last in ("hundred", "thousand")):
                return False
            self.current += value
        elif kind == "tens":
            if value == 20 and last == "unit" and self.last_value == 4 and self.current % 100 == 4:
                self.current += 76
                value = 80
            elif last in ("hundred", "thousand"):
                self.current += value
            else:
                return False
        elif kind == "hundred":
            if last == "unit" and self.current < 10:
                self.current *= 100
            elif last == "thousand":
                self.current += 100
            else:
                return False
        elif kind == "thousand":
            if self.thousands or self.current >= 1000:
                return False
            self.thousands = max(self.current, 1) * 1000
            self.current = 0
        else:
            return False
        self.end = tok.end
        self.last = kind
        self.last_value = value
        return True

    def digits(self) -> str:
        return str(self.thousands + self.current)


def spoken_groups(sequence: list[_Token]) -> list[Group]:
    """« zéro six douze trente-quatre » → groups 0, 6, 12, 34 with their character spans."""
    groups: list[Group] = []
    phrase: _Phrase | None = None
    for tok in sequence:
        if tok.kind == "et":
            continue
        if tok.kind in ("digits", "zero"):
            if phrase is not None:
                groups.append(Group(phrase.start, phrase.end, phrase.digits()))
                phrase = None
            groups.append(Group(tok.start, tok.end, tok.text if tok.kind == "digits" else "0"))
            continue
        if phrase is not None and phrase.absorb(tok):
            continue
        if phrase is not None:
            groups.append(Group(phrase.start, phrase.end, phrase.digits()))
        phrase = _Phrase(tok)
    if phrase is not None:
        groups.append(Group(phrase.start, phrase.end, phrase.digits()))
    return groups


def spoken_candidates(text: str, rules: NumberRules) -> list[Candidate]:
    """Phone numbers and NIR spelled out in transcripts (« zéro six douze trente-quatre cinquante-six… »)."""
    found: list[Candidate] = []
    for sequence in _sequences(text, _spoken_tokens(text)):
        if len(sequence) < 2 or all(t.kind == "digits" for t in sequence):
            continue
        groups = spoken_groups(sequence)
        if sum(len(g.chars) for g in groups) >= 8:
            found.extend(classify_groups(text, groups, rules, spoken=True))
    found.extend(nir_key_candidates(text, found))
    return found


def parse_spoken_number(text: str) -> str | None:
    """Digits of a spelled-out number (« mille neuf cent quatre-vingt-cinq » → "1985"), None if not one number."""
    tokens = [t for t in _spoken_tokens(text) if t.kind != "et"]
    if not tokens:
        return None
    groups = spoken_groups(tokens)
    return "".join(g.chars for g in groups)
