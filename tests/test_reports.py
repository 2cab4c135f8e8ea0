"""The HTML report on a small synthetic history: French, self-contained, accessible, and only redacted notes.

Calls and predictions are written as files (a calls export with raw notes, and a reclassification output without
notes), so the report goes through the real path: join on call_id, redaction, monitoring, content, rendering. Fake
personal data is planted in every note of the emerging theme before redaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.redaction import redact
from serving.errors import NoMonitoringData
from serving.monitoring import SimpleLemmatizer, default_config
from serving.reports import InvalidReportOptions, ReportRequest, ReportSources, run_report
from serving.store import Database, ReviewDecisionRecord
from tests._calibration import REPORT, save_stand_in
from tests._monitoring import note_calls
from tests.review_support import store_predictions

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reports")]

KNOWN = ("paiement_non_recu", "attestation", "rdv_prise", "situation_adresse")
NIR = "1 85 05 78 006 084 91"
EMAIL = "jeanne.martin@example.org"
PHONE = "06 12 34 56 78"
PLANTED_FRAGMENTS = ("1 85 05 78", "jeanne.martin", "example.org", "12 34 56 78")
# Same overrides as the monitoring tests' fixture: the simple lemmatizer (no spaCy) needs a wider clustering cut.
CONFIG = default_config().with_overrides(
    {
        "autre": {"min_calls": 10},
        "emerging": {
            "representation": {"lemmatizer": "simple"},
            "clustering": {"distance_threshold": 0.85, "merge_similarity": 0.4},
            "subthemes": {"min_references": 10},
        },
    }
)
START = dt.date(2024, 3, 4)  # Monday of ISO week 2024-W10


def _history() -> pd.DataFrame:
    """7 weeks: 10 calls a week per known reason, 2 « autre »; from week 5 a new theme (heating aid) filed « autre »
    with personal data in every note; in week 6 a spike of `paiement_non_recu` (×4)."""
    plan = [(w, code, code, 10) for w in range(7) for code in KNOWN]
    plan += [(w, "situation_adresse", "autre", 2) for w in range(7)]
    plan += [(5, "aide_chauffage", "autre", 9), (6, "aide_chauffage", "autre", 10)]
    spike = note_calls([(6, "paiement_non_recu", "paiement_non_recu", 30)], prefix="pic")
    frame = pd.concat([note_calls(plan, prefix="r"), spike], ignore_index=True)
    heating = frame["call_id"].str.contains("aide_chauffage")
    frame.loc[heating, "text"] = (
        frame.loc[heating, "text"] + f" ; NIR {NIR}, joindre au {PHONE} ou par courriel {EMAIL}"
    )
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("rapport")
    frame = _history()
    calls = frame[["call_id", "text", "timestamp", "site", "channel"]].assign(
        timestamp=frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    )
    calls.to_csv(folder / "appels.csv", index=False)
    predictions = frame[["call_id", "timestamp", "site", "channel", "code", "confidence", "autre"]].rename(
        columns={"code": "reason"}
    )
    predictions = predictions.assign(
        timestamp=frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
        top_k="[]",
        method="model",
        model_version="modele-test-1",
        taxonomy_version="national@1.0.0",
    )
    predictions.to_csv(folder / "predictions.csv", index=False)
    return folder / "appels.csv", folder / "predictions.csv", frame


def _request(out: Path, **changes: object) -> ReportRequest:
    fields = {"start": START + dt.timedelta(weeks=2), "end": START + dt.timedelta(weeks=7, days=-1), "out": out}
    return ReportRequest(**{**fields, **changes})  # type: ignore[arg-type]


def _lemmatizer() -> SimpleLemmatizer:
    return SimpleLemmatizer(extra_stop_words=CONFIG.emerging.representation.extra_stop_words)


def _make(files: tuple[Path, Path, pd.DataFrame], out: Path, **changes: object):  # type: ignore[no-untyped-def]
    calls, predictions, _ = files
    sources = ReportSources(calls=calls, predictions=predictions)
    return run_report(_request(out, **changes), sources, config=CONFIG, lemmatizer=_lemmatizer(), version="test")


@pytest.fixture(scope="module")
def report(files, tmp_path_factory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("sortie") / "rapport.html"
    result = _make(files, out, review_url="http://127.0.0.1:8000/revue/groupes")  # a base URL: id appended
    return result, out.read_text(encoding="utf-8")


class _Collector(HTMLParser):
    """Tags, attributes and text of a page; fails on unbalanced tags (the page must be well-formed)."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "circle", "rect", "line", "polyline", "path"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser


def test_report_is_well_formed_french_html_with_its_sections(report) -> None:  # type: ignore[no-untyped-def]
    _, html = report
    page = _parse(html)
    assert page.errors == [] and page.stack == []
    assert html.startswith("<!doctype html>") and '<html lang="fr">' in html
    headings = [re.sub(r"\s+", " ", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, flags=re.S)]
    assert headings[0] == "Synthèse"
    for expected in (
        "Part de « autre »",
        "Motifs en hausse",
        "Motifs émergents",
        "Volumes par motif",
        "Toutes les alertes",
        "Données couvertes",
    ):
        assert any(h.startswith(expected) for h in headings), (expected, headings)
    assert html.count("<h1") == 1


def test_synthesis_has_three_to_five_facts_naming_the_events(report) -> None:  # type: ignore[no-untyped-def]
    result, html = report
    facts = result.content.facts
    assert 3 <= len(facts) <= 5
    text = " ".join(f.text for f in facts)
    assert "« autre »" in text and "cible de 10,0\u202f%" in text
    assert "Motif émergent possible" in text and "chauffage" in text
    assert "Pic d'appels pour « Versement non reçu ou en retard »" in text
    synthesis = html[html.index('id="synthese"') : html.index('id="autre"')]
    assert synthesis.count('class="fact ') == len(facts)


def test_nothing_is_fetched_from_outside(report) -> None:  # type: ignore[no-untyped-def]
    _, html = report
    page = _parse(html)
    tags = {tag for tag, _ in page.tags}
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert "@import" not in html and "@font-face" not in html and "url(" not in html
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in ("src", "srcset", "data", "poster", "xlink:href"):
                pytest.fail(f"<{tag} {name}> references a resource")
            if name == "href" and value and not value.startswith("#"):
                assert tag == "a" and value.startswith("http://127.0.0.1:8000/revue/groupes/E"), value
    without_review_links = re.sub(r'href="http://127\.0\.0\.1:8000/revue/groupes/E\d+"', "", html)
    assert "http://" not in without_review_links and "https://" not in without_review_links


def test_autre_chart_with_target_and_a_table_alternative(report) -> None:  # type: ignore[no-untyped-def]
    result, html = report
    chart = re.search(r'<svg role="img"[^>]*aria-labelledby="graphique-autre-t graphique-autre-d".*?</svg>', html, re.S)
    assert chart is not None
    svg = chart.group(0)
    assert '<title id="graphique-autre-t">Part des appels classés « autre »' in svg
    assert "cible 10\u202f%" in svg  # the labelled target line
    assert svg.count("<polyline") == len(result.content.autre_series)  # all calls + one line per site
    assert ">Lille</text>" in svg and ">Lyon</text>" in svg
    section = html[html.index('id="autre"') : html.index('id="hausses"')]
    assert "<table>" in section and "<caption>Part de « autre »" in section
    first_table = section[: section.index("</table>")]
    assert first_table.count('<tr><th scope="row">semaine du ') == len(result.content.periods)


def test_only_redacted_notes_reach_the_report(report, files) -> None:  # type: ignore[no-untyped-def]
    result, html = report
    for fragment in PLANTED_FRAGMENTS:
        assert fragment not in html, fragment
    heating = [c for c in (*result.content.clusters, *result.content.more_clusters) if "chauffage" in c.keywords]
    assert heating, "the planted theme is reported"
    examples = " ".join(heating[0].examples)
    assert "<NIR>" in examples and "<EMAIL>" in examples and "<TEL>" in examples
    assert "&lt;NIR&gt;" in html


def test_emerging_cluster_card_and_review_link(report) -> None:  # type: ignore[no-untyped-def]
    result, html = report
    (card,) = [c for c in result.content.clusters if "chauffage" in c.keywords]
    assert card.kind == "new" and card.signal in ("weak", "strong") and card.status == "open"
    assert card.first_seen == "semaine du 08/04/2024"  # week 5 of the history
    assert card.link == f"http://127.0.0.1:8000/revue/groupes/{card.id}"
    article = html[html.index(f'id="groupe-{card.id}"') :]
    article = article[: article.index("</article>")]
    assert "Mots-clés" in article and "chauffage" in article and "Exemples (notes anonymisées)" in article
    assert f'<a href="{card.link}">' in article
    sizes = [n for _, n in card.trend]
    assert sizes[:3] == [0, 0, 0] and all(n > 0 for n in sizes[-2:])


def test_rising_reasons_volumes_and_coverage(report) -> None:  # type: ignore[no-untyped-def]
    result, html = report
    content = result.content
    assert [r.code for r in content.rising] == ["paiement_non_recu"]
    assert content.rising[0].period_title == "semaine du 15/04/2024" and content.rising[0].observed == 40
    by_code = {r.code: r for r in content.reasons}
    assert by_code["paiement_non_recu"].calls == 5 * 10 + 30
    assert by_code["autre"].calls == 5 * 2 + 19
    assert sum(r.calls for r in content.reasons) == content.coverage.n_calls == sum(p.n_calls for p in content.periods)
    assert {d.label for d in content.domains} >= {"Paiements", "Hors base"} or len(content.domains) >= 3
    cov = content.coverage
    assert cov.model_versions == {"modele-test-1": cov.n_calls}
    assert cov.taxonomy_versions == {"national@1.0.0": cov.n_calls}
    assert "modele-test-1" in html and "national@1.0.0" in html and "appels.csv" in html
    # Every alert of the run is listed, grouped by family.
    assert content.n_alerts == len(result.run.report.alerts)
    section = html[html.index('id="alertes"') : html.index('id="donnees"')]
    assert section.count("<tr><td>semaine du ") == content.n_alerts


def test_from_the_store_ids_are_the_review_ui_s_and_decisions_show(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, frame = files
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    db = Database.open(url)
    try:
        redacted = frame.assign(text=frame["text"].map(redact))
        store_predictions(db, redacted.assign(timestamp=redacted["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")))
    finally:
        db.close()
    sources = ReportSources(database_url=url)
    template = "http://127.0.0.1:8000/revue/{scope}/{id}"
    first = run_report(
        _request(tmp_path / "a.html", review_url=template), sources, config=CONFIG, lemmatizer=_lemmatizer()
    )
    (card,) = [c for c in first.content.clusters if "chauffage" in c.keywords]
    assert first.stored_run_id is not None and first.scope == "week"
    assert card.link == f"http://127.0.0.1:8000/revue/week/{card.id}"
    db = Database.open(url)
    try:
        stored = {record.cluster_id for record in db.monitoring.registry("week")}
        assert card.id in stored  # the review UI lists the same id
        db.review.decide(ReviewDecisionRecord(scope="week", cluster_id=card.id, action="dismiss", reviewer="test"))
    finally:
        db.close()
    db = Database.open(url)
    try:
        runs_before = len(db.monitoring.runs("week"))
    finally:
        db.close()
    second = run_report(_request(tmp_path / "b.html"), sources, config=CONFIG, lemmatizer=_lemmatizer())
    db = Database.open(url)
    try:  # an already monitored scope is read back, not recomputed: the review queue is left as it was
        assert second.stored_run_id is None and len(db.monitoring.runs("week")) == runs_before
        assert second.read_run_id == first.stored_run_id
        ids = {c.id for c in (*first.content.clusters, *first.content.more_clusters)}
        assert ids == {c.id for c in (*second.content.clusters, *second.content.more_clusters)}
        assert second.content.n_alerts == first.content.n_alerts  # the stored figures, read back
    finally:
        db.close()
    again = [c for c in (*second.content.clusters, *second.content.more_clusters) if c.id == card.id]
    assert again and again[0].status == "dismissed"  # same id, and the analyst's decision is shown
    assert card.id not in {c.id for c in second.content.clusters}  # no longer among the clusters to examine
    assert "écarté (bruit)" in (tmp_path / "b.html").read_text(encoding="utf-8")
    with pytest.raises(NoMonitoringData, match="n° 999"):
        run_report(_request(tmp_path / "c.html"), ReportSources(database_url=url, run_id=999), config=CONFIG)
    assert not any("chauffage" in f.text for f in second.content.facts)


def test_from_the_store_the_expected_rate_is_the_one_the_scoring_model_recorded(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Over the store, `--model` is not needed: the model that wrote the predictions recorded its calibration there
    (`db.models`, by the batch and the API). Calls scored before that (no record) keep « inconnu », naming --model."""
    _, _, frame = files
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    db = Database.open(url)
    try:
        redacted = frame.assign(text=frame["text"].map(redact))
        store_predictions(db, redacted.assign(timestamp=redacted["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")))
    finally:
        db.close()

    def autre_fact(name: str) -> str:
        result = run_report(
            _request(tmp_path / name), ReportSources(database_url=url), config=CONFIG, lemmatizer=_lemmatizer()
        )
        return next(f.text for f in result.content.facts if f.text.startswith("Part des appels classés « autre »"))

    unknown = autre_fact("a.html")
    assert "inconnu (le modèle m1 n'a pas enregistré sa calibration dans la base : option --model" in unknown
    db = Database.open(url)
    try:
        promise = json.loads(json.dumps(REPORT, default=float))  # as the manifest saved it
        db.models.record("m2", "national@1.0.0", {**promise, "novelty": None})  # another model's: unused
        db.models.record("m1", "national@1.0.0", promise)
    finally:
        db.close()
    assert "dont attendu par erreur : 5\u202f% (intervalle 3,2–7,1\u202f%)" in autre_fact("b.html")
    assert "calibré sur 412 notes" in (tmp_path / "b.html").read_text(encoding="utf-8")


def test_site_filter_and_errors(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _make(files, tmp_path / "lyon.html", site="Lyon")
    assert set(result.content.coverage.sites) == {"Lyon"}
    assert [s.group for s in result.content.autre_series] == ["Ensemble", "Lyon"]
    with pytest.raises(NoMonitoringData, match="aucun appel"):
        _make(files, tmp_path / "vide.html", site="Brest")
    with pytest.raises(InvalidReportOptions, match="est avant --from"):
        _make(files, tmp_path / "x.html", end=START)
    _calls, predictions, _ = files
    with pytest.raises(InvalidReportOptions, match="vont ensemble"):
        run_report(_request(tmp_path / "y.html"), ReportSources(predictions=predictions), config=CONFIG)
    assert not (tmp_path / "vide.html").exists()


def test_report_file_gets_the_usual_permissions(report) -> None:  # type: ignore[no-untyped-def]
    """Written through a temporary file (created 0600), the report still gets the mode the umask gives new files,
    so it can be shared like any other file."""
    import stat

    from pipeline.files import default_mode

    result, _ = report
    assert stat.S_IMODE(result.path.stat().st_mode) == default_mode()


def test_autre_share_beside_its_expected_error_rate_and_the_to_confirm_share(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The reclassification output carries the three outcomes: the 10 `rdv_prise` calls of each week went
    « à confirmer ». They stay out of « autre »; their share is reported apart, and the model's calibration (--model)
    gives the expected false-« autre » rate next to the « autre » share."""
    calls, predictions, _ = files
    table = pd.read_csv(predictions)
    table["decision"] = np.where(table["autre"], "autre", np.where(table["reason"] == "rdv_prise", "to_confirm", ""))
    with_decisions = tmp_path / "predictions-decisions.csv"
    table.to_csv(with_decisions, index=False)
    model = save_stand_in(tmp_path / "modele", version="modele-test-1")
    sources = ReportSources(calls=calls, predictions=with_decisions, model=str(model))
    result = run_report(_request(tmp_path / "r.html"), sources, config=CONFIG, lemmatizer=_lemmatizer())
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    content = result.content
    to_confirm = sum(p.n_to_confirm for p in content.periods)
    assert to_confirm == 5 * 10 == content.coverage.n_to_confirm  # 5 weeks of 10 rdv_prise calls
    assert sum(p.n_autre for p in content.periods) == 5 * 2 + 19  # as without decisions: doubt is not « autre »
    autre_fact = next(f.text for f in content.facts if f.text.startswith("Part des appels classés « autre »"))
    assert "dont attendu par erreur : 5\u202f% (intervalle 3,2–7,1\u202f%)" in autre_fact
    assert "« à confirmer »" in autre_fact and "non compté dans « autre »" in autre_fact
    section = html[html.index('id="autre"') : html.index('id="hausses"')]
    assert "<caption>« autre » et « à confirmer » par semaine" in section
    assert "calibré sur 412 notes" in section and "inconnu" not in section
    assert section.count('<tr><th scope="row">semaine du ') == 2 * len(content.periods)  # both tables
    # Another model's calibration does not describe these calls.
    other = save_stand_in(tmp_path / "autre-modele", version="modele-test-2")
    with pytest.raises(InvalidReportOptions, match="n'est pas celui qui a noté les appels"):
        run_report(
            _request(tmp_path / "x.html"),
            ReportSources(calls=calls, predictions=with_decisions, model=str(other)),
            config=CONFIG,
            lemmatizer=_lemmatizer(),
        )


def test_without_model_the_expected_rate_is_unknown(report) -> None:  # type: ignore[no-untyped-def]
    result, html = report
    autre_fact = next(f.text for f in result.content.facts if f.text.startswith("Part des appels classés « autre »"))
    assert "dont attendu par erreur : inconnu (modèle non précisé : option --model de motifs report)" in autre_fact
    section = html[html.index('id="autre"') : html.index('id="hausses"')]
    assert "inconnue (modèle non précisé" in section


def test_a_share_axis_stops_at_100_percent() -> None:
    """A share near 100 % (the AN export's last weeks: 98 % « autre ») once drew an axis up to 125 %."""
    from serving.reports.charts import Series, line_chart

    def as_pct(v: float) -> str:
        return f"{v * 100:.0f} %"

    drawn = line_chart(
        ["S1", "S2"], [Series("Ensemble", [0.5, 0.98])], title="t", description="d", ident="g", value_format=as_pct
    )
    capped = line_chart(
        ["S1", "S2"],
        [Series("Ensemble", [0.5, 0.98])],
        title="t",
        description="d",
        ident="g",
        value_format=as_pct,
        y_cap=1.0,
    )
    assert ">125 %<" in drawn  # the uncapped axis, for contrast
    assert ">125 %<" not in capped and ">100 %<" in capped


def test_health_fact_says_bondi_only_after_an_earlier_level() -> None:
    """An alarm with no earlier level (first periods, or a share already too high) does not « bondir »."""
    from serving.monitoring import Alert
    from serving.reports.content import _health_facts

    def alarm(baseline: float | None) -> Alert:
        return Alert("model_health", "critical", "2022-W27", "m", value=0.8, baseline=baseline)

    [(_, without)] = _health_facts([alarm(None)], {"2022-W27": "semaine du 04/07/2022"}, "week")
    [(_, after)] = _health_facts([alarm(0.1)], {"2022-W27": "semaine du 04/07/2022"}, "week")
    assert "bondi" not in without.text and "anormalement haute" in without.text
    assert "a bondi partout à la fois" in after.text


def test_long_reason_names_at_the_end_of_lines_fit_in_the_chart() -> None:
    """A long reason label (an export's own labels) was drawn past the SVG's right edge and cut: it is shortened to
    the margin, and the full name stays as the label's tooltip."""
    import re

    from serving.reports.charts import END_LABEL_CHAR_PX, Series, line_chart

    name = "Aménagement du territoire et collectivités territoriales d'outre-mer"
    width = 760
    drawn = line_chart(
        ["S1", "S2"], [Series(name, [1.0, 2.0])], title="t", description="d", ident="g", value_format=str, width=width
    )
    label = re.search(r'<text x="([\d.]+)"[^>]*font-weight="bold"><title>([^<]*)</title>([^<]*)</text>', drawn)
    assert label is not None
    x, full, shown = float(label.group(1)), label.group(2), label.group(3)
    assert full == name.replace("'", "&#39;") and shown.endswith("…") and len(shown) < len(name)
    assert x + len(shown) * END_LABEL_CHAR_PX <= width
