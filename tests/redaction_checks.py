"""Independent checkers for redacted text: does it still hold a valid NIR, IBAN, card number or e-mail address?

They scan more widely than the redactor's own detectors (every window of every digit run, any separator listed
below), so a test using them can catch what the redactor misses.
"""

from __future__ import annotations

import re

from stdnum import iban, luhn
from stdnum.fr import nir

_SEP = "[ \u00a0\u202f.\\-]"
# Digit runs where a NIR may hide: digits and « 2A »/« 2B », one separator at most between two characters.
_NIR_RUN = re.compile(rf"(?:[0-9]|(?<=2)[ABab])(?:{_SEP}?(?:[0-9]|(?<=2)[ABab]))*")
_DIGIT_RUN = re.compile(rf"[0-9](?:{_SEP}?[0-9])*")
_IBAN_RUN = re.compile(rf"[A-Za-z]{{2}}[0-9]{{2}}(?:{_SEP}?[0-9A-Za-z])*")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def valid_nirs(text: str) -> list[str]:
    found = []
    for run in _NIR_RUN.finditer(text):
        compact = re.sub(_SEP, "", run.group()).upper()
        for k in range(len(compact) - 14):
            window = compact[k : k + 15]
            if nir.is_valid(window):
                found.append(window)
    return found


def valid_cards(text: str) -> list[str]:
    found = []
    for run in _DIGIT_RUN.finditer(text):
        digits = re.sub(_SEP, "", run.group())
        for size in range(13, 20):
            for k in range(len(digits) - size + 1):
                window = digits[k : k + size]
                if window[0] in "23456" and luhn.is_valid(window):
                    found.append(window)
    return found


def valid_ibans(text: str) -> list[str]:
    found = []
    for k in range(len(text)):
        match = _IBAN_RUN.match(text, k)
        if match is None:
            continue
        compact = re.sub(_SEP, "", match.group()).upper()
        for size in range(15, min(34, len(compact)) + 1):
            if iban.is_valid(compact[:size]):
                found.append(compact[:size])
    return found


def emails(text: str) -> list[str]:
    return EMAIL.findall(text)


def leaks(text: str) -> list[str]:
    """Everything in `text` that is a valid NIR, IBAN, card number or e-mail address."""
    return valid_nirs(text) + valid_ibans(text) + valid_cards(text) + emails(text)
