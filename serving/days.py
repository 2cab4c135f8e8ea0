"""Days given by users (`--from`, `--to`, `--start`): one reader for every command and page, one French message."""

from __future__ import annotations

import datetime as dt

from serving.errors import InvalidDay


def parse_day(value: str, option: str) -> dt.date:
    """`"2026-01-05"` → the date; anything else → `InvalidDay` naming the option (the value is echoed only cut
    short: an option is not free text, but it may be a mistyped one)."""
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidDay(f"{option} « {str(value)[:40]} » (attendu : une date aaaa-mm-jj, p. ex. 2026-01-05)") from None


def parse_optional_day(value: str | None, option: str) -> dt.date | None:
    return None if value is None else parse_day(value, option)
