"""Property tests: redaction never raises, is idempotent, and never lets a valid NIR, IBAN, card number or e-mail
address through — checked by independent scanners (tests/redaction_checks.py), on arbitrary text and on text built
from French note fragments mixed with generated valid numbers in every usual layout."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import iban, luhn
from stdnum.fr import nir

from pipeline.redaction import Redactor
from tests.redaction_checks import leaks, valid_cards, valid_ibans, valid_nirs

SEPARATORS = [" ", "\u00a0", "\u202f", ".", "-", ""]
REDACTOR = Redactor(use_ner="off")


@st.composite
def nirs(draw: st.DrawFn) -> str:
    base = (
        draw(st.sampled_from("1278"))
        + f"{draw(st.integers(0, 99)):02d}{draw(st.integers(1, 12)):02d}"
        + draw(st.sampled_from(["75", "2A", "2B", "69", "13", "01", "99", "97"]))
        + f"{draw(st.integers(0, 999)):03d}{draw(st.integers(1, 999)):03d}"
    )
    parts = [base[0], base[1:3], base[3:5], base[5:7], base[7:10], base[10:13], nir.calc_check_digits(base)]
    return draw(st.sampled_from(SEPARATORS)).join(parts)


@st.composite
def ibans(draw: st.DrawFn) -> str:
    bban = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=23, max_size=23)))
    number = "FR" + iban.calc_check_digits("FR00" + bban) + bban
    return draw(st.sampled_from(SEPARATORS)).join(number[k : k + 4] for k in range(0, len(number), 4))


@st.composite
def cards(draw: st.DrawFn) -> str:
    digits = draw(st.lists(st.sampled_from("0123456789"), min_size=14, max_size=14))
    body = draw(st.sampled_from("2345")) + "".join(digits)
    number = body + luhn.calc_check_digit(body)
    return draw(st.sampled_from(SEPARATORS)).join(number[k : k + 4] for k in range(0, 16, 4))


EMAILS = st.from_regex(r"[a-z0-9._%+-]{1,10}@[a-z0-9-]{1,8}\.[a-z]{2,4}", fullmatch=True)
WORDS = st.sampled_from(
    [
        "Mme", "M.", "Dupont", "Kevin", "né le", "03/01/85", "RSA", "CAF", "dossier n°", "06 12 34 56 78", "rue",
        "12", "de", "<NOM>", "<TEL>", "<IBAN", "@", ".", ",", "\n", "zéro six", "douze", "quatre-vingt", "FR", "2A",
        "0", "1", "+33", "(0)", "IBAN", "arobase", "point", "com", "sécu", "clé", "Madame", "son fils", "69003 Lyon",
    ]
)  # fmt: skip
FRAGMENT = st.one_of(WORDS, nirs(), ibans(), cards(), EMAILS, st.text(max_size=8))
JOINS = st.sampled_from([" ", "", "  ", "\u00a0", "-", ".", ", "])


@st.composite
def notes(draw: st.DrawFn) -> str:
    parts = draw(st.lists(FRAGMENT, max_size=14))
    return "".join(part + draw(JOINS) for part in parts)


ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)  # surrogates included
FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(notes())
def test_idempotent_and_no_valid_number_or_email_left(text: str) -> None:
    out = REDACTOR.redact(text)
    assert REDACTOR.redact(out) == out
    assert leaks(out) == []


@FAST
@given(ANY_TEXT)
def test_any_string_never_raises_and_is_idempotent(text: str) -> None:
    out = REDACTOR.redact(text)
    assert isinstance(out, str)
    assert REDACTOR.redact(out) == out
    assert leaks(out) == []


@FAST
@given(st.lists(notes(), max_size=5))
def test_batch_equals_one_by_one(texts: list[str]) -> None:
    assert REDACTOR.transform(texts) == [REDACTOR.redact(t) for t in texts]


@FAST
@given(nirs(), ibans(), cards(), EMAILS)
def test_generated_values_are_valid_and_caught(nir_value: str, iban_value: str, card: str, email: str) -> None:
    # the generators make valid numbers (so the property above is not vacuous) and each is caught in a sentence
    assert valid_nirs(nir_value) and valid_ibans(iban_value) and valid_cards(card)
    text = f"NIR {nir_value} IBAN {iban_value} carte {card} mail {email}"
    assert leaks(text)
    assert leaks(REDACTOR.redact(text)) == []


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(notes())
def test_idempotent_with_ner(text: str) -> None:
    redactor = Redactor(use_ner="always")
    out = redactor.redact(text)
    assert redactor.redact(out) == out
    assert leaks(out) == []
