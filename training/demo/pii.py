"""Fake personal data planted in demo notes, so that redaction has real work to do.

Every value is synthetic but *valid* where a check exists, so a redactor that validates before masking is tested:
NIR-like numbers carry a correct key (Corsica 2A/2B included), French IBANs a correct RIB key and ISO 13616
checksum, card numbers pass Luhn. Names combine common first names and surnames at random; phone numbers use the
ranges ARCEP sets aside for fiction (01 99 00…, 02 61 91…, 03 53 01…, 04 65 71…, 05 36 49…, 06 39 98…);
e-mail domains are reserved example domains (RFC 2606 / 6761). Nothing refers to a real person.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from training.demo.french import MONTHS, digit_pairs_words, number_words
from training.demo.noise import strip_accents

_HERE = Path(__file__).parent
_FICTION_PHONE_PREFIXES = ("019900", "026191", "035301", "046571", "053649", "063998")
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "courriel.test", "fai.example")
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # no I, O, U in SIV plates


@dataclass(frozen=True)
class NameLists:
    first_f: tuple[str, ...]
    first_m: tuple[str, ...]
    surnames: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]
    street_types: tuple[str, ...]
    street_names: tuple[str, ...]
    residences: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = _HERE / "names.yaml") -> NameLists:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            first_f=tuple(raw["first_names_f"]),
            first_m=tuple(raw["first_names_m"]),
            surnames=tuple(raw["surnames"]),
            cities=tuple((str(c), str(p)) for c, p in raw["cities"]),
            street_types=tuple(raw["street_types"]),
            street_names=tuple(raw["street_names"]),
            residences=tuple(raw["residences"]),
        )


def _choice(r: random.Random, items: Sequence[str]) -> str:
    return items[int(r.random() * len(items))]


# --- names ---------------------------------------------------------------------------------------------------

_CIVILITIES_F = (("Mme", 30), ("Madame", 14), ("mme", 8), ("MME", 4), ("Mlle", 4), ("Mademoiselle", 1))
_CIVILITIES_M = (("M.", 24), ("Monsieur", 12), ("Mr", 12), ("mr", 5), ("M", 3))


def _weighted(r: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in options)
    x = r.random() * total
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def person_name(r: random.Random, names: NameLists, *, oral: bool = False) -> str:
    """« Mme DUPONT », « Monsieur Jean Martin », « mr traore mamadou »…; oral: « madame Dupont »."""
    female = r.random() < 0.55
    first = _choice(r, names.first_f if female else names.first_m)
    last = _choice(r, names.surnames)
    if oral:
        civility = "madame" if female else "monsieur"
        return f"{civility} {last}" if r.random() < 0.6 else f"{civility} {first} {last}"
    civility = _weighted(r, _CIVILITIES_F if female else _CIVILITIES_M)
    form = r.random()
    if form < 0.35:
        person = last.upper()
    elif form < 0.6:
        person = last
    elif form < 0.8:
        person = f"{first} {last}"
    elif form < 0.9:
        person = f"{last.upper()} {first}"
    else:
        person = f"{first[0]}. {last}"
    if civility.islower():
        person = person.lower()
    return f"{civility} {person}"


def first_and_last_name(r: random.Random, names: NameLists) -> str:
    female = r.random() < 0.55
    return f"{_choice(r, names.first_f if female else names.first_m)} {_choice(r, names.surnames)}"


# --- phones and e-mails --------------------------------------------------------------------------------------


def phone_digits(r: random.Random) -> str:
    return _choice(r, _FICTION_PHONE_PREFIXES) + f"{int(r.random() * 10_000):04d}"


def phone(r: random.Random) -> str:
    """A fictional French number in one of the usual written forms (spaces, dots, dashes, +33, 0033…)."""
    digits = phone_digits(r)
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    national = digits[1:]
    form = r.random()
    if form < 0.30:
        return " ".join(pairs)
    if form < 0.45:
        return digits
    if form < 0.57:
        return ".".join(pairs)
    if form < 0.65:
        return "-".join(pairs)
    if form < 0.77:
        return "+33 " + national[0] + " " + " ".join(national[i : i + 2] for i in range(1, 9, 2))
    if form < 0.85:
        return "+33" + national
    if form < 0.93:
        return "0033 " + national[0] + " " + " ".join(national[i : i + 2] for i in range(1, 9, 2))
    return "+33 (0)" + national[0] + " " + " ".join(national[i : i + 2] for i in range(1, 9, 2))


def phone_spoken(r: random.Random) -> str:
    """Read out two digits at a time, as speech-to-text writes it."""
    return digit_pairs_words(phone_digits(r))


def email(r: random.Random, names: NameLists) -> str:
    first = strip_accents(_choice(r, names.first_f if r.random() < 0.55 else names.first_m).lower())
    last = strip_accents(_choice(r, names.surnames).lower()).replace(" ", "")
    year = str(1950 + int(r.random() * 56))
    form = r.random()
    if form < 0.3:
        local = f"{first}.{last}"
    elif form < 0.5:
        local = f"{first[0]}{last}"
    elif form < 0.7:
        local = f"{first}_{last}{year[2:]}"
    elif form < 0.85:
        local = f"{last}.{first}{int(r.random() * 100)}"
    else:
        local = f"{first}{last}{year}"
    return f"{local}@{_choice(r, _EMAIL_DOMAINS)}"


# --- NIR (numéro de sécurité sociale) ------------------------------------------------------------------------


def nir_key(body: str) -> int:
    """Control key of a 13-character NIR body; Corsica's 2A / 2B count as 19 / 18."""
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return 97 - number % 97


def nir_body(r: random.Random) -> str:
    sex = "1" if r.random() < 0.5 else "2"
    year = f"{int(r.random() * 100):02d}"
    month = f"{1 + int(r.random() * 12):02d}"
    place = r.random()
    if place < 0.08:  # Corsica
        department, commune = ("2A" if r.random() < 0.5 else "2B"), f"{1 + int(r.random() * 360):03d}"
    elif place < 0.14:  # overseas: 3-digit department, 2-digit commune
        department, commune = str(971 + int(r.random() * 4)), f"{1 + int(r.random() * 60):02d}"
    elif place < 0.19:  # born abroad
        department, commune = "99", f"{100 + int(r.random() * 400):03d}"
    else:
        department = f"{1 + int(r.random() * 95):02d}"
        if department == "20":
            department = "21"
        commune = f"{1 + int(r.random() * 700):03d}"
    order = f"{1 + int(r.random() * 999):03d}"
    return sex + year + month + department + commune + order


def nir(r: random.Random) -> str:
    body = nir_body(r)
    key = f"{nir_key(body):02d}"
    if r.random() < 0.45:
        return body + key
    if r.random() < 0.7:
        return " ".join((body[0], body[1:3], body[3:5], body[5:7], body[7:10], body[10:13], key))
    return f"{body} {key}"


# --- bank data -----------------------------------------------------------------------------------------------


def _mod97(digits: str) -> int:
    remainder = 0
    for start in range(0, len(digits), 9):
        remainder = int(str(remainder) + digits[start : start + 9]) % 97
    return remainder


def french_bban(r: random.Random) -> str:
    bank = f"{10_000 + int(r.random() * 89_999):05d}"
    branch = f"{int(r.random() * 100_000):05d}"
    account = f"{int(r.random() * 100_000_000_000):011d}"
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    return f"{bank}{branch}{account}{rib_key:02d}"


def iban_check_digits(country: str, bban: str) -> str:
    converted = "".join(str(int(c, 36)) for c in (bban + country + "00"))
    return f"{98 - _mod97(converted):02d}"


def iban(r: random.Random) -> str:
    """A French IBAN with valid RIB key and checksum: compact, or in groups of 4 (spaces or non-breaking spaces)."""
    bban = french_bban(r)
    compact = "FR" + iban_check_digits("FR", bban) + bban
    form = r.random()
    if form < 0.35:
        return compact
    groups = [compact[i : i + 4] for i in range(0, len(compact), 4)]
    if form < 0.8:
        return " ".join(groups)
    return "\u00a0".join(groups)


def luhn_digit(partial: str) -> str:
    total = 0
    for i, char in enumerate(reversed(partial)):
        d = int(char)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def card_number(r: random.Random) -> str:
    prefix = "4" if r.random() < 0.6 else str(51 + int(r.random() * 5))
    body = prefix + "".join(str(int(r.random() * 10)) for _ in range(15 - len(prefix)))
    number = body + luhn_digit(body)
    form = r.random()
    if form < 0.5:
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    if form < 0.8:
        return number
    return "-".join(number[i : i + 4] for i in range(0, 16, 4))


# --- addresses, dates of birth, file numbers, plates ---------------------------------------------------------


def address(r: random.Random, names: NameLists) -> str:
    city, postcode = names.cities[int(r.random() * len(names.cities))]
    number = str(1 + int(r.random() * 180))
    if r.random() < 0.08:
        number += " bis" if r.random() < 0.5 else "B"
    street = f"{number} {_choice(r, names.street_types)} {_choice(r, names.street_names)}"
    form = r.random()
    if form < 0.45:
        return f"{street}, {postcode} {city}"
    if form < 0.7:
        return f"{street} {postcode} {city.upper()}"
    if form < 0.85:
        return f"{street} bât {_choice(r, 'ABCDE')} apt {1 + int(r.random() * 60)}, {postcode} {city}"
    return f"résidence {_choice(r, names.residences)}, {street}, {postcode} {city}"


def birth_date(r: random.Random, *, oral: bool = False) -> str:
    """Digits (« 12/03/1985 », « 12.03.85 ») or words (« 12 mars 1985 »; oral: « douze mars mille neuf cent… »)."""
    year = 1940 + int(r.random() * 67)
    month = 1 + int(r.random() * 12)
    day = 1 + int(r.random() * 28)
    if oral:
        day_words = "premier" if day == 1 else number_words(day)
        year_words = number_words(year) if r.random() < 0.7 else number_words(year % 100)
        return f"{day_words} {MONTHS[month - 1]} {year_words}"
    form = r.random()
    if form < 0.4:
        return f"{day:02d}/{month:02d}/{year}"
    if form < 0.5:
        return f"{day:02d}-{month:02d}-{year}"
    if form < 0.6:
        return f"{day:02d}.{month:02d}.{year % 100:02d}"
    if form < 0.7:
        return f"{day:02d}/{month:02d}/{year % 100:02d}"
    day_text = "1er" if day == 1 else str(day)
    return f"{day_text} {MONTHS[month - 1]} {year}"


def file_number(r: random.Random) -> str:
    form = r.random()
    if form < 0.5:
        return f"{int(r.random() * 10_000_000):07d}"
    if form < 0.7:
        return f"{int(r.random() * 10_000_000):07d} {_choice(r, 'ABCDEFGHJK')}"
    if form < 0.85:
        return f"DOS-{2019 + int(r.random() * 8)}-{int(r.random() * 1_000_000):06d}"
    return f"{2019 + int(r.random() * 8)}/{int(r.random() * 100_000):05d}"


def file_number_spoken(r: random.Random) -> str:
    digits = f"{int(r.random() * 10_000_000):07d}"
    if r.random() < 0.5:
        return " ".join(digits)
    return " ".join(("zéro" if d == "0" else number_words(int(d))) for d in digits)


def licence_plate(r: random.Random) -> str:
    if r.random() < 0.85:
        a = _choice(r, _PLATE_LETTERS) + _choice(r, _PLATE_LETTERS)
        b = _choice(r, _PLATE_LETTERS) + _choice(r, _PLATE_LETTERS)
        n = f"{1 + int(r.random() * 998):03d}"
        sep = _choice(r, ("-", "-", "-", " ", ""))
        return f"{a}{sep}{n}{sep}{b}"
    department = f"{1 + int(r.random() * 95):02d}"
    letters = _choice(r, _PLATE_LETTERS) + _choice(r, _PLATE_LETTERS)
    return f"{1 + int(r.random() * 9998)} {letters} {department}"
