"""Incremental `motifs emerging` over the store (issue 17): compute only the periods that are new or whose calls
changed, reuse the others' stored results.

Each analysed period leaves a row in `monitoring_periods` (`serving.store.PeriodState`): a fingerprint of its calls
(computed by the database: count, ids, times of its predictions and feedback), a fingerprint of the settings (model,
taxonomy, configuration, lemmatizer), its report, the cluster registry after it and the change of writing found in it.
A period's results depend only on itself and the periods before it (the detectors run one period at a time,
`serving.monitoring.monitor.run_monitoring`), so the plan is: the first period whose fingerprints differ (or that was
never analysed) and every later one are computed — from the registry stored after the period before it, with only
the history they need read from the store — and the earlier ones are reused as stored. Nothing new: nothing computed,
the calls are not even read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from serving.monitoring.calls import Granularity, period_labels, period_starts
from serving.monitoring.config import MonitoringConfig
from serving.monitoring.text import Lemmatizer, Tokens
from serving.store import MonitoringStore, PeriodState


@dataclass(frozen=True)
class Period:
    label: str
    start: date  # local first day
    n_calls: int
    fingerprint: str


@dataclass(frozen=True)
class Plan:
    periods: tuple[Period, ...]  # every period with calls in the range read (history included), in order
    reported: tuple[str, ...]  # labels reported (from `--from` on)
    reused: tuple[str, ...]  # reported periods taken from the store as they are
    computed: tuple[str, ...]  # reported periods computed (the first dirty one and every later one)

    @property
    def compute_from(self) -> str | None:
        return self.computed[0] if self.computed else None


def local_period_starts(first: date, last: date, granularity: Granularity) -> list[date]:
    """The first days of the periods from the one holding `first` to the one holding `last` (local days)."""
    start = period_starts(pd.Series([pd.Timestamp(first)]), granularity).iloc[0]
    out: list[date] = []
    step = pd.DateOffset(months=1) if granularity == "month" else pd.Timedelta(days=7 if granularity == "week" else 1)
    while start.date() <= last:
        out.append(start.date())
        start = start + step
    return out


def labels_of(starts: Sequence[date], granularity: Granularity) -> list[str]:
    return [str(label) for label in period_labels(pd.Series(pd.to_datetime(list(starts))), granularity)]


def settings_fingerprint(
    config: MonitoringConfig,
    *,
    model_version: str | None,
    taxonomy: str | None,
    lemmatizer: str,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A hash of what a period's results depend on besides its calls: changing any of it recomputes every period."""
    payload = {
        "config": config.model_dump(mode="json"),
        "model_version": model_version,
        "taxonomy": taxonomy,
        "lemmatizer": lemmatizer,
        **(extra or {}),
    }
    return hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:32]


def plan(
    periods: Sequence[Period],
    stored: Mapping[str, PeriodState],
    *,
    since: str | None,
    settings: str,
) -> Plan:
    """Which reported periods are reused and which are computed (module docstring)."""
    reported = [p.label for p in periods if since is None or p.label >= since]
    dirty = None
    for period in periods:
        state = stored.get(period.label)
        needs_results = period.label in reported
        if (
            state is None
            or state.calls_fingerprint != period.fingerprint
            or state.settings_fingerprint != settings
            or (needs_results and not state.has_results)
        ):
            dirty = period.label
            break
    computed = [label for label in reported if dirty is not None and label >= dirty]
    # Computing from a period needs the registry stored after the reported period before it (else: from the start).
    if computed and computed[0] != reported[0]:
        previous = stored.get(reported[reported.index(computed[0]) - 1])
        if previous is None or not previous.has_results:
            computed = list(reported)
    reused = [label for label in reported if label not in set(computed)]
    return Plan(tuple(periods), tuple(reported), tuple(reused), tuple(computed))


def period_end(start: date, granularity: Granularity) -> date:
    """The last local day of the period starting on `start`."""
    step = pd.DateOffset(months=1) if granularity == "month" else pd.Timedelta(days=7 if granularity == "week" else 1)
    return (pd.Timestamp(start) + step - pd.Timedelta(days=1)).date()


def utc_bounds(starts: Sequence[date], granularity: Granularity, to_utc: Any) -> list[datetime]:
    """The UTC instants bounding the periods starting on `starts` (local days): each start, then the last's end."""
    if not starts:
        return []
    last = pd.Timestamp(starts[-1])
    end = last + (
        pd.DateOffset(months=1) if granularity == "month" else pd.Timedelta(days=7 if granularity == "week" else 1)
    )
    return [to_utc(day) for day in starts] + [to_utc(end.date())]


class StoredLemmatizer:
    """A lemmatizer whose results outlive the run: each note's lemmas and static vector are kept in the store
    (`note_tokens`, keyed by a hash of `key` — the lemmatizer's settings — and the note), so the reference periods an
    added week needs are read back instead of going through spaCy again. Same tokens as the wrapped lemmatizer: the
    vector is stored as the float32 bytes it is made of."""

    def __init__(self, lemmatizer: Lemmatizer, store: MonitoringStore, *, key: str) -> None:
        self.lemmatizer = lemmatizer
        self.store = store
        self.key = key

    def _hash(self, text: str) -> str:
        return hashlib.sha1(f"{self.key}\0{text}".encode()).hexdigest()

    def __call__(self, texts: Sequence[str]) -> list[Tokens]:
        if isinstance(texts, str):
            raise TypeError("attendu une liste de textes, reçu une seule chaîne")
        keys = {text: self._hash(text) for text in dict.fromkeys(texts)}
        found = self.store.note_tokens(keys.values())
        missing = [text for text, key in keys.items() if key not in found]
        made = dict(zip(missing, self.lemmatizer(missing), strict=True)) if missing else {}
        self.store.save_note_tokens(
            {
                keys[text]: (
                    tokens.lemmas,
                    None if tokens.vector is None else tokens.vector.astype(np.float32).tobytes(),
                )
                for text, tokens in made.items()
            }
        )
        out = []
        for text in texts:
            if text in made:
                out.append(made[text])
                continue
            lemmas, vector = found[keys[text]]
            out.append(Tokens(tuple(lemmas), None if vector is None else np.frombuffer(vector, dtype=np.float32)))
        return out


def lemmatizer_key(name: str, extra_stop_words: Sequence[str]) -> str:
    """What a note's tokens depend on besides the note: the lemmatizer and its stop words."""
    return hashlib.sha1(json.dumps([name, sorted(extra_stop_words)]).encode()).hexdigest()[:16]
