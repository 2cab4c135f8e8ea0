"""Builders of small, hand-checkable call tables for the monitoring tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

MONDAY = pd.Timestamp("2024-03-04")  # ISO week 2024-W10
NOTES = Path(__file__).parent / "data" / "monitoring" / "notes.csv"
_counter = itertools.count()


def calls(
    blocks: Iterable[tuple[int, str, str, int]],
    *,
    channel: str = "téléphone",
    start: pd.Timestamp = MONDAY,
    day_step: int = 7,
) -> pd.DataFrame:
    """Rows from (period index, site, code, count) blocks; period k starts `k × day_step` days after `start`.

    `code == "autre"` rows are filed « autre » with confidence 0.2, the others with confidence 0.9.
    """
    rows = []
    for period, site, code, count in blocks:
        for i in range(count):
            rows.append(
                {
                    "call_id": f"c{next(_counter):06d}",
                    "timestamp": start + pd.Timedelta(days=period * day_step, hours=9, minutes=i % 500),
                    "site": site,
                    "channel": channel,
                    "text": "",
                    "code": code,
                    "confidence": 0.2 if code == "autre" else 0.9,
                    "autre": code == "autre",
                }
            )
    return pd.DataFrame(rows)


def notes() -> dict[str, list[str]]:
    """Theme → French notes of the fixture (`tests/data/monitoring/notes.csv`)."""
    frame = pd.read_csv(NOTES)
    return {theme: group["text"].tolist() for theme, group in frame.groupby("theme", sort=True)}


def note_calls(
    plan: Sequence[tuple[int, str, str, int]], *, confidence: float = 0.9, prefix: str = "n"
) -> pd.DataFrame:
    """Calls with fixture notes: (week, theme, code filed, count) — the week's notes of a theme are taken in turn
    from the fixture, starting at a week-dependent offset so weeks differ."""
    texts = notes()
    rows = []
    for week, theme, code, count in plan:
        pool = texts[theme]
        for i in range(count):
            text = pool[(week * 3 + i) % len(pool)]
            rows.append(
                {
                    "call_id": f"{prefix}{week:02d}-{theme}-{code}-{i:03d}",
                    "timestamp": MONDAY + pd.Timedelta(days=7 * week + i % 5, hours=9 + i % 8),
                    "site": ("Lille", "Lyon")[i % 2],
                    "channel": "téléphone",
                    "text": text,
                    "code": code,
                    "confidence": 0.2 if code == "autre" else confidence,
                    "autre": code == "autre",
                }
            )
    return pd.DataFrame(rows)
