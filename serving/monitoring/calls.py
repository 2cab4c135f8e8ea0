"""The monitoring input contract: one row per call with its (already redacted) note and the model's output.

| column       | type                    | required | meaning                                                        |
|--------------|-------------------------|----------|----------------------------------------------------------------|
| `call_id`    | str                     | yes      | unique per row                                                 |
| `timestamp`  | datetime or ISO string  | yes      | time of the call; offsets are converted to Europe/Paris        |
| `site`       | str                     | no       | receiving site; missing → « non renseigné »                    |
| `channel`    | str                     | no       | téléphone, courriel…; missing → « non renseigné »              |
| `text`       | str                     | no*      | the agent's note, **already redacted** (*needed for emerging)  |
| `code`       | str                     | yes      | the model's top reason, or « autre »                           |
| `confidence` | float in [0, 1]         | yes      | the model's probability for `code`                             |
| `autre`      | bool (or 0/1, oui/non)  | no       | the model filed the call « autre »; missing → `code == "autre"` |
| `decision`   | str                     | no       | `confident`, `to_confirm` or `autre`; missing or empty →       |
|              |                         |          | `autre` where the call is « autre », else `confident`          |
| `agent_code` | str                     | no       | the code the agent finally chose (latest feedback); empty: none |
| `top_k`      | anything                | no       | passed through untouched                                       |

This is the reclassification output joined with the calls on `call_id` (or the store's calls table).

`prepare_calls` checks it, normalises the types and sorts rows by (timestamp, call_id), so every later step is
deterministic whatever the order of the input file. Periods: a day (`2024-03-05`), an ISO week starting on Monday
(`2024-W10`) or a calendar month (`2024-03`).

After `prepare_calls`, « autre » means what the monitoring counts as outside the base, and nothing else:
- `novelty_autre`: the model sent the call to « autre » (`decision == "autre"`: its novelty gate);
- `agent_autre`: the agent's own final choice was « autre » (`agent_code == "autre"`);
- `autre` = `novelty_autre | agent_autre` — the « autre » share, its alerts and the emerging pool use this;
- `to_confirm`: the model hesitated between known reasons (`decision == "to_confirm"`). Never counted as « autre »:
  it is a separate model-quality indicator. A `decision` of `autre` and an `autre` column that disagree are refused.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

import numpy as np
import pandas as pd

from pipeline.calls import TIMEZONE
from serving.monitoring.errors import InvalidCallsFrame
from taxonomy import AUTRE

UNKNOWN_GROUP = "non renseigné"
Granularity = Literal["day", "week", "month"]
GRANULARITIES: tuple[str, ...] = get_args(Granularity)

REQUIRED_COLUMNS = ("call_id", "timestamp", "code", "confidence")
OPTIONAL_COLUMNS = ("site", "channel", "text", "autre", "decision", "agent_code", "top_k")
DECISIONS = ("confident", "to_confirm", "autre")
PERIOD = "period"
PERIOD_START = "period_start"

_TRUE = {"true", "1", "vrai", "oui", "yes", "t", "o", "y"}
_FALSE = {"false", "0", "faux", "non", "no", "f", "n", ""}
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


def _rows(mask: pd.Series, limit: int = 5) -> str:
    """Row numbers (1-based, as in the file) of the first offending rows."""
    numbers = [str(int(i) + 1) for i in np.flatnonzero(mask.to_numpy())[:limit]]
    more = int(mask.sum()) - len(numbers)
    return ", ".join(numbers) + (f" (+{more})" if more > 0 else "")


def _parse_timestamps(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.astype("datetime64[ns]")
    text = values.astype("string").str.strip()
    has_offset = text.str.contains(_OFFSET, na=False)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if has_offset.any():
        aware = pd.to_datetime(text[has_offset], errors="coerce", utc=True, format="ISO8601")
        parsed[has_offset] = aware.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    if (~has_offset).any():
        parsed[~has_offset] = pd.to_datetime(text[~has_offset], errors="coerce", format="ISO8601")
    return parsed


def _parse_bool(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(bool)
    text = values.astype("string").str.strip().str.lower().fillna("")
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        raise InvalidCallsFrame(
            f"colonne « autre » : valeur non booléenne aux lignes {_rows(bad)} (attendu : true/false, 1/0, oui/non)"
        )
    return text.isin(_TRUE)


def _prepare_outcomes(calls: pd.DataFrame) -> None:
    """`decision`, `novelty_autre`, `agent_autre`, `autre` and `to_confirm` columns (see the module docstring)."""
    filed = calls["code"] == AUTRE
    model_autre = (_parse_bool(calls["autre"]) if "autre" in calls.columns else filed) | filed
    derived = pd.Series(np.where(model_autre, "autre", "confident"), index=calls.index)
    if "decision" in calls.columns:
        given = calls["decision"].astype("string").str.strip().str.lower().fillna("")
        bad = (given != "") & ~given.isin(DECISIONS)
        if bad.any():
            raise InvalidCallsFrame(
                f"colonne « decision » : valeur inconnue aux lignes {_rows(bad)} (attendu : {', '.join(DECISIONS)})"
            )
        mismatch = (given != "") & ((given == "autre") != model_autre)
        if mismatch.any():
            raise InvalidCallsFrame(
                f"colonnes « decision » et « autre » (ou code) incohérentes aux lignes {_rows(mismatch)} "
                "(attendu : « autre » si et seulement si decision = autre)"
            )
        decision = given.where(given != "", derived).astype(str)
    else:
        decision = derived
    calls["decision"] = decision
    calls["novelty_autre"] = decision == "autre"
    calls["to_confirm"] = decision == "to_confirm"
    if "agent_code" in calls.columns:
        agent = calls["agent_code"].astype("string").str.strip().fillna("")
        calls["agent_code"] = agent.astype(str)
    else:
        calls["agent_code"] = ""
    calls["agent_autre"] = calls["agent_code"] == AUTRE
    calls["autre"] = calls["novelty_autre"] | calls["agent_autre"]


def prepare_calls(
    frame: pd.DataFrame, *, granularity: Granularity = "week", require_text: bool = False
) -> pd.DataFrame:
    """A checked, typed copy of `frame`, sorted by (timestamp, call_id), with `period` and `period_start` columns."""
    if granularity not in GRANULARITIES:
        raise InvalidCallsFrame(f"période « {granularity} » inconnue (attendu : {', '.join(GRANULARITIES)})")
    required = REQUIRED_COLUMNS + (("text",) if require_text else ())
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise InvalidCallsFrame(
            f"colonnes manquantes : {', '.join(missing)} (attendu au minimum : {', '.join(required)})"
        )
    calls = frame.reset_index(drop=True).copy()

    calls["call_id"] = calls["call_id"].astype("string").str.strip()
    empty_id = calls["call_id"].isna() | (calls["call_id"] == "")
    if empty_id.any():
        raise InvalidCallsFrame(f"call_id vide aux lignes {_rows(empty_id)}")
    duplicated = calls["call_id"].duplicated(keep=False)
    if duplicated.any():
        raise InvalidCallsFrame(f"call_id en double aux lignes {_rows(duplicated)} (attendu : un identifiant unique)")
    calls["call_id"] = calls["call_id"].astype(str)

    calls["timestamp"] = _parse_timestamps(calls["timestamp"])
    if calls["timestamp"].isna().any():
        raise InvalidCallsFrame(
            f"timestamp illisible aux lignes {_rows(calls['timestamp'].isna())} (attendu : date ISO 8601)"
        )

    calls["code"] = calls["code"].astype("string").str.strip()
    if calls["code"].isna().any() or (calls["code"] == "").any():
        raise InvalidCallsFrame(f"code vide aux lignes {_rows(calls['code'].isna() | (calls['code'] == ''))}")
    calls["code"] = calls["code"].astype(str)

    confidence = pd.to_numeric(calls["confidence"], errors="coerce")
    bad = confidence.isna() | (confidence < 0) | (confidence > 1)
    if bad.any():
        raise InvalidCallsFrame(f"confidence hors de [0, 1] ou illisible aux lignes {_rows(bad)}")
    calls["confidence"] = confidence.astype(float)

    _prepare_outcomes(calls)
    for column in ("site", "channel"):
        if column in calls.columns:
            calls[column] = calls[column].astype("string").str.strip().fillna(UNKNOWN_GROUP).replace("", UNKNOWN_GROUP)
        else:
            calls[column] = UNKNOWN_GROUP
        calls[column] = calls[column].astype(str)
    calls["text"] = calls["text"].astype("string").fillna("").astype(str) if "text" in calls.columns else ""

    calls[PERIOD_START] = period_starts(calls["timestamp"], granularity)
    calls[PERIOD] = period_labels(calls[PERIOD_START], granularity)
    return calls.sort_values(["timestamp", "call_id"], kind="mergesort").reset_index(drop=True)


def period_starts(timestamps: pd.Series, granularity: Granularity) -> pd.Series:
    """The first day (midnight) of the period each timestamp falls in; weeks start on Monday."""
    days = timestamps.dt.normalize()
    if granularity == "day":
        return days
    if granularity == "week":
        return days - pd.to_timedelta(days.dt.weekday, unit="D")
    return days.dt.to_period("M").dt.start_time


def period_labels(starts: pd.Series, granularity: Granularity) -> pd.Series:
    """`2024-03-05` (day), `2024-W10` (ISO week), `2024-03` (month)."""
    if granularity == "day":
        return starts.dt.strftime("%Y-%m-%d")
    if granularity == "week":
        iso = starts.dt.isocalendar()
        return iso["year"].astype(str) + "-W" + iso["week"].astype(int).map("{:02d}".format)
    return starts.dt.strftime("%Y-%m")


def baseline_starts(start: pd.Timestamp, granularity: Granularity, count: int) -> list[pd.Timestamp]:
    """Starts of the `count` periods a period is compared with, most recent first.

    Days are compared with the same weekday of the previous weeks (weekly seasonality: Mondays are busier);
    weeks and months with the periods just before.
    """
    if granularity == "day":
        return [start - pd.Timedelta(days=7 * k) for k in range(1, count + 1)]
    if granularity == "week":
        return [start - pd.Timedelta(weeks=k) for k in range(1, count + 1)]
    return [start - pd.DateOffset(months=k) for k in range(1, count + 1)]


def previous_starts(start: pd.Timestamp, granularity: Granularity, count: int) -> list[pd.Timestamp]:
    """Starts of the `count` periods just before `start` (no weekday seasonality), most recent first."""
    if granularity == "day":
        return [start - pd.Timedelta(days=k) for k in range(1, count + 1)]
    return baseline_starts(start, granularity, count)
