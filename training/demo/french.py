"""French number words, for transcript-like texts where speech-to-text writes numbers out (« deux mois »)."""

from __future__ import annotations

_UNITS = [
    *("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"),
    *("dix", "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf"),
]
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _below_100(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix…, quatre-vingt-dix…
        base = "soixante" if tens == 7 else "quatre-vingt"
        rest = _UNITS[10 + unit]
        joiner = " et " if tens == 7 and unit == 1 else "-"
        return f"{base}{joiner}{rest}"
    if tens == 8:
        return "quatre-vingts" if unit == 0 else f"quatre-vingt-{_UNITS[unit]}"
    if unit == 0:
        return _TENS[tens]
    if unit == 1:
        return f"{_TENS[tens]} et un"
    return f"{_TENS[tens]}-{_UNITS[unit]}"


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest)
    head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]} cent"
    if rest == 0:
        return head + ("s" if hundreds > 1 else "")
    return f"{head} {_below_100(rest)}"


def number_words(n: int) -> str:
    """French words for 0 ≤ n < 1 000 000 (« quatre-vingt-dix-sept », « mille neuf cent quatre-vingt-cinq »)."""
    if not 0 <= n < 1_000_000:
        raise ValueError("number_words handles 0 <= n < 1 000 000")
    thousands, rest = divmod(n, 1000)
    if thousands == 0:
        return _below_1000(rest)
    head = "mille" if thousands == 1 else f"{_below_1000(thousands).removesuffix('s')} mille"
    return head if rest == 0 else f"{head} {_below_1000(rest)}"


def digit_pairs_words(digits: str) -> str:
    """A phone number read two digits at a time (« zéro six trente-neuf … »)."""
    pairs = [digits[i : i + 2] for i in range(0, len(digits), 2)]
    words = []
    for pair in pairs:
        if pair.startswith("0"):
            words.append(f"zéro {_UNITS[int(pair[1:])]}" if len(pair) == 2 else "zéro")
        else:
            words.append(number_words(int(pair)))
    return " ".join(words)


MONTHS = (
    *("janvier", "février", "mars", "avril", "mai", "juin"),
    *("juillet", "août", "septembre", "octobre", "novembre", "décembre"),
)
