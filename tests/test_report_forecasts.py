"""The report's « Prévisions » section: top reasons and total forecast by the week, reconciled, drawn and tabulated;
a history too short gives a sentence, never a broken report."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from serving.reports import ReportRequest, ReportSources, run_report
from serving.reports.forecasts import HORIZON_WEEKS, OTHERS, forecast_section
from tests._monitoring import note_calls
from tests.test_reports import CONFIG, _lemmatizer, _parse

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reports")]

START = dt.date(2024, 3, 4)
WEEKLY = {"paiement_non_recu": 14, "attestation": 10, "rdv_prise": 6, "situation_adresse": 3}


def _weekly_calls(weeks: int) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = []
    for week in range(weeks):
        for code, mean in WEEKLY.items():
            for i in range(int(rng.poisson(mean))):
                day = pd.Timestamp(START) + pd.Timedelta(weeks=week, days=i % 5, hours=9 + i % 8)
                rows.append({"timestamp": day, "code": code})
        rows.append({"timestamp": pd.Timestamp(START) + pd.Timedelta(weeks=week, hours=10), "code": "autre"})
    return pd.DataFrame(rows)


def test_section_forecasts_the_total_and_the_top_reasons() -> None:
    calls = _weekly_calls(30)
    end = START + dt.timedelta(weeks=30, days=-1)
    section = forecast_section(calls, end=end, labels={"attestation": "Attestation"})
    assert [r.code for r in section.reasons] == ["total", "paiement_non_recu", "attestation", "rdv_prise"]
    assert section.reasons[2].label == "Attestation"
    assert section.starts[0] == end + dt.timedelta(days=1) and len(section.starts) == HORIZON_WEEKS
    total, *top = section.reasons
    assert len(total.history) == 12 and total.history[-1][0] == end - dt.timedelta(days=6)
    # the three top reasons plus the others (not shown) add up to the total: the shown ones stay below it
    for i in range(HORIZON_WEEKS):
        assert sum(r.rows[i].forecast for r in top) < total.rows[i].forecast
        for r in section.reasons:
            assert r.rows[i].lo95 <= r.rows[i].lo80 <= r.rows[i].forecast <= r.rows[i].hi80 <= r.rows[i].hi95
    assert OTHERS not in [r.code for r in section.reasons]


def test_a_short_history_gives_a_sentence() -> None:
    calls = _weekly_calls(5)
    section = forecast_section(calls, end=START + dt.timedelta(weeks=5, days=-1), labels={})
    assert section.reasons == () and section.note.startswith("Pas de prévision : historique de 5 période(s)")


def test_report_shows_the_forecast_section(tmp_path: Path) -> None:
    plan = [(w, code, code, n) for w in range(20) for code, n in WEEKLY.items()]
    plan += [(w, "situation_adresse", "autre", 2) for w in range(20)]
    frame = note_calls(plan, prefix="p")
    stamp = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    frame[["call_id", "text", "site", "channel"]].assign(timestamp=stamp).to_csv(tmp_path / "a.csv", index=False)
    frame[["call_id", "site", "channel", "code", "confidence", "autre"]].rename(columns={"code": "reason"}).assign(
        timestamp=stamp, top_k="[]", method="model", model_version="m", taxonomy_version="national@1.0.0"
    ).to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "rapport.html"
    request = ReportRequest(start=START + dt.timedelta(weeks=16), end=START + dt.timedelta(weeks=20, days=-1), out=out)
    sources = ReportSources(calls=tmp_path / "a.csv", predictions=tmp_path / "p.csv")
    result = run_report(request, sources, config=CONFIG, lemmatizer=_lemmatizer(), version="test")
    html = out.read_text(encoding="utf-8")
    page = _parse(html)
    assert page.errors == [] and page.stack == []
    assert '<h2 id="previsions-titre">Prévisions</h2>' in html and 'href="#previsions"' in html
    section = result.content.forecasts
    assert section is not None and section.reasons, section
    for reason in section.reasons:
        assert f'id="graphique-prevision-{reason.code}-t"' in html
    table = re.search(r"Prévision par semaine.*?</table>", html, flags=re.S)
    assert table is not None and table.group(0).count("<tr>") == 1 + len(section.reasons)
    assert table.group(0).count('<td class="num">') == HORIZON_WEEKS * len(section.reasons)
