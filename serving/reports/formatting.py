"""French formatting of numbers, shares and periods (« 1 234 », « 12,3 % », « semaine du 12/01/2026 »)."""

from __future__ import annotations

import datetime as dt

NNBSP = "\u202f"  # narrow no-break space: French thousands separator, and before « % »
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def count(value: float) -> str:
    """1234 → « 1 234 »."""
    return f"{round(value):,}".replace(",", NNBSP)


def decimal(value: float, digits: int = 1) -> str:
    """3.14159 → « 3,1 »."""
    return f"{value:,.{digits}f}".replace(",", NNBSP).replace(".", ",")


def pct(share: float, digits: int = 1) -> str:
    """0.1234 → « 12,3 % »."""
    return decimal(share * 100, digits) + NNBSP + "%"


def points(delta: float) -> str:
    """0.061 → « +6,1 points »."""
    sign = "+" if delta >= 0 else "−"
    return f"{sign}{decimal(abs(delta) * 100)} points"


def ratio(value: float) -> str:
    """4.02 → « ×4,0 »."""
    return "×" + decimal(value)


def date_fr(day: dt.date) -> str:
    """« 12 janvier 2026 »."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def period_title(start: dt.date, granularity: str) -> str:
    """The period in words: « semaine du 12/01/2026 », « 12/01/2026 », « janvier 2026 »."""
    if granularity == "week":
        return f"semaine du {start:%d/%m/%Y}"
    if granularity == "month":
        return f"{MONTHS[start.month - 1]} {start.year}"
    return f"{start:%d/%m/%Y}"


def period_short(start: dt.date, granularity: str) -> str:
    """Axis label: « 12/01 » for a day or a week, « 01/2026 » for a month."""
    if granularity == "month":
        return f"{start:%m/%Y}"
    return f"{start:%d/%m}"


def at_period(title: str, granularity: str) -> str:
    """« la semaine du 12/01/2026 », « en janvier 2026 », « le 12/01/2026 » (title from `period_title`)."""
    if granularity == "week":
        return f"la {title}"
    if granularity == "month":
        return f"en {title}"
    return f"le {title}"


def since_period(title: str, granularity: str) -> str:
    """« depuis la semaine du 12/01/2026 », « depuis janvier 2026 », « depuis le 12/01/2026 »."""
    if granularity == "month":
        return f"depuis {title}"
    return "depuis " + at_period(title, granularity)


def period_span(first: str, last: str, granularity: str) -> str:
    """« la semaine du … » for one period; « de la semaine du A à la semaine du B », « de janvier 2026 à mars
    2026 », « du 12/01/2026 au 15/01/2026 » for several."""
    if first == last:
        return at_period(first, granularity)
    if granularity == "week":
        return f"de la {first} à la {last}"
    if granularity == "month":
        return f"de {first} à {last}"
    return f"du {first} au {last}"


def unit(granularity: str, n: int = 1) -> str:
    """« semaine(s) », « jour(s) », « mois »."""
    word = {"week": "semaine", "day": "jour", "month": "mois"}.get(granularity, granularity)
    return word if n == 1 or word == "mois" else word + "s"


def pct_short(share: float) -> str:
    """0.05 → « 5 % », 0.032 → « 3,2 % » (no « ,0 » for whole percents)."""
    value = share * 100
    return decimal(value, 0 if abs(value - round(value)) < 0.05 else 1) + NNBSP + "%"


def pct_range(low: float, high: float) -> str:
    """(0.031, 0.072) → « 3,1–7,2 % »; (0.03, 0.07) → « 3–7 % »."""
    return pct_short(low).removesuffix(NNBSP + "%") + "–" + pct_short(high)
