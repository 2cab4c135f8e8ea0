"""Themes that cross reasons (issue 12, the pandemic case): one item for a theme spread over many known reasons.

The corpus: 8 known reasons, 25 confident calls each per week, notes drawn from each reason's own words. A planted
theme (« confinement », « covid »…) is added to a share of the notes of 4 reasons from week 4 — the calls stay filed
under their reasons with high confidence, as COVID-19 calls stayed under santé, paiement, attestation.
"""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from serving.monitoring import ClusterRegistry, SimpleLemmatizer, default_config, run_monitoring
from serving.monitoring.themes import bursting_terms, terms_of
from serving.review.emerging import (
    EmergingInput,
    records_from_registry,
    registry_from_records,
    run_record,
    snapshots_from_report,
)
from serving.review.precision import queue_precision
from serving.review.workflow import attach_cluster, dismiss_cluster, list_clusters
from serving.store import Database
from tests._monitoring import MONDAY

WORDS = {
    "paiement": "versement virement allocation retard compte bancaire montant mensuel",
    "attestation": "attestation duplicata document justificatif imprimer envoyer courrier papier",
    "rdv": "rendez-vous agence conseiller créneau horaire accueil déplacer guichet",
    "adresse": "adresse déménagement coordonnées nouvelle changer domicile ville rue",
    "naissance": "naissance enfant bébé déclarer prime grossesse maternité crèche",
    "loyer": "loyer bailleur quittance apl colocation propriétaire bail charges",
    "retraite": "retraite pension trimestres carrière départ relevé cotisations âge",
    "controle": "contrôle pièces dossier vérification fraude suspension enquête justifier",
}
PANDEMIC = (
    "à cause du confinement covid",
    "depuis le confinement et le covid",
    "épidémie de covid, confinement en cours",
    "covid : confinement, démarches bloquées",
)
SPREAD = ("paiement", "attestation", "rdv", "loyer")  # 4 of the 8 reasons
CONFIG = default_config().with_overrides(
    {
        "emerging": {
            "representation": {"lemmatizer": "simple"},
            "clustering": {"distance_threshold": 0.85, "merge_similarity": 0.4},
            "subthemes": {"min_references": 10},
        }
    }
)
LABELS = {code: code.capitalize() for code in WORDS}
KNOWN_REASONS = {code: [f"{code} {words}"] for code, words in WORDS.items()}


def _stream(weeks: int = 7, *, planted: dict[int, float] | None = None, template: int | None = None) -> pd.DataFrame:
    """`planted`: week → share of the SPREAD reasons' notes that carry the theme; `template`: from that week on,
    every note of every reason carries the same new phrasing (a change of note template, not a theme)."""
    rng = random.Random(7)
    rows = []
    for week in range(weeks):
        for code, words in WORDS.items():
            vocabulary = words.split()
            for i in range(25):
                text = f"L'usager appelle : {' '.join(rng.sample(vocabulary, 4))}"
                if planted and code in SPREAD and rng.random() < planted.get(week, 0.0):
                    text += " " + rng.choice(PANDEMIC)
                if template is not None and week >= template:
                    text = "Fiche saisie outil Médiane, motif de contact : " + text
                rows.append(
                    {
                        "call_id": f"w{week:02d}-{code}-{i:03d}",
                        "timestamp": MONDAY + pd.Timedelta(days=7 * week + i % 5, hours=9 + i % 8),
                        "site": ("Lille", "Lyon")[i % 2],
                        "channel": "téléphone",
                        "text": text,
                        "code": code,
                        "confidence": 0.9,
                        "autre": False,
                    }
                )
    return pd.DataFrame(rows)


def _run(frame: pd.DataFrame, registry: ClusterRegistry | None = None):  # type: ignore[no-untyped-def]
    return run_monitoring(
        frame,
        config=CONFIG,
        known_reasons=KNOWN_REASONS,
        reason_labels=LABELS,
        registry=registry,
        lemmatizer=SimpleLemmatizer(extra_stop_words=CONFIG.emerging.representation.extra_stop_words),
    )


def _themes(run, period: str):  # type: ignore[no-untyped-def]
    week = next(p for p in run.report.periods if p.period == period)
    return [c for c in week.clusters if c.kind == "theme"]


PLANTED = {4: 0.3, 5: 0.5, 6: 0.5}


@pytest.fixture(scope="module")
def pandemic():  # type: ignore[no-untyped-def]
    frame = _stream(planted=PLANTED)
    return frame, _run(frame)


def _planted_ids(frame: pd.DataFrame, week: int) -> set[str]:
    held = frame["text"].str.contains("covid") & frame["call_id"].str.startswith(f"w{week:02d}-")
    return set(frame.loc[held, "call_id"])


def test_cross_reason_theme_is_one_item_holding_most_of_its_calls_in_its_second_week(pandemic) -> None:  # type: ignore[no-untyped-def]
    frame, run = pandemic
    planted = _planted_ids(frame, 5)  # 2024-W15, the theme's second week
    assert len(planted) >= 40
    themes = [t for t in _themes(run, "2024-W15") if t.signal != "none"]
    assert len(themes) == 1, [t.keywords for t in themes]
    (theme,) = themes
    assert len(planted & set(theme.call_ids)) >= 0.5 * len(planted)
    assert set(theme.reasons) == set(SPREAD) and sum(theme.reasons.values()) == theme.period_size
    assert theme.share == pytest.approx(theme.period_size / 200)
    assert {"covid", "confinement"} <= set(theme.keywords)
    assert theme.id.startswith("T") and theme.signal == "strong"
    # One item in the queue, at its top, with its alert; every other graded item (if any) is not made of its calls.
    week = next(p for p in run.report.periods if p.period == "2024-W15")
    assert week.clusters[0].id == theme.id
    others = [c for c in week.clusters if c.signal != "none" and c.id != theme.id]
    assert all(len(set(c.call_ids) & planted) < 0.5 * len(c.call_ids) for c in others)
    (alert,) = [a for a in week.alerts if a.kind == "emerging_theme"]
    assert alert.scope == {"cluster": theme.id} and "4 motifs à la fois" in alert.message
    assert "covid" not in json.dumps(alert.details)  # the alert carries counts and codes, not notes


def test_theme_is_flagged_in_its_first_week_and_keeps_its_id(pandemic) -> None:  # type: ignore[no-untyped-def]
    _, run = pandemic
    first = [t for t in _themes(run, "2024-W14") if t.signal != "none"]
    assert len(first) == 1
    ids = {t.id for week in ("2024-W14", "2024-W15", "2024-W16") for t in _themes(run, week) if t.signal != "none"}
    assert ids == {first[0].id}
    assert [point.size > 0 for point in _themes(run, "2024-W16")[0].trend][-3:] == [True, True, True]


def test_theme_ids_are_stable_on_rerun_from_the_saved_registry(pandemic) -> None:  # type: ignore[no-untyped-def]
    frame, run = pandemic
    again = _run(frame.sample(frac=1.0, random_state=3), registry=run.registry)
    assert [(t.id, t.call_ids) for t in _themes(again, "2024-W15")] == [
        (t.id, t.call_ids) for t in _themes(run, "2024-W15")
    ]


def test_theme_in_the_json_output(pandemic, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, run = pandemic
    data = json.loads(run.report.to_json())
    items = [c for p in data["periods"] for c in p["clusters"] if c["kind"] == "theme" and c["signal"] != "none"]
    assert items and all(len(item["reasons"]) >= 4 for item in items)
    assert "thème transversal présent dans 4 motifs" in items[0]["why"]


def test_ordinary_stream_has_no_cross_reason_theme() -> None:
    run = _run(_stream())
    themes = [c for p in run.report.periods for c in p.clusters if c.kind == "theme"]
    assert themes == []
    assert not [a for a in run.report.alerts if a.kind == "emerging_theme"]


def test_a_new_note_template_in_every_reason_is_not_a_theme() -> None:
    run = _run(_stream(template=4))
    assert [c for p in run.report.periods for c in p.clusters if c.kind == "theme"] == []


def test_theme_in_a_single_reason_is_left_to_the_clusters() -> None:
    frame = _stream(planted=PLANTED)
    # The same words, but only in one reason's notes: a sub-theme, not a theme crossing reasons.
    mask = frame["text"].str.contains("covid") & ~frame["call_id"].str.contains("-paiement-")
    frame.loc[mask, "text"] = frame.loc[mask, "text"].str.replace(r"\s\S*(covid|confinement).*$", "", regex=True)
    run = _run(frame)
    assert [c for p in run.report.periods for c in p.clusters if c.kind == "theme"] == []


def test_bursting_terms_need_support_and_a_significant_rise() -> None:
    settings = CONFIG.emerging.themes
    before = [terms_of(["versement", "retard"])] * 300
    now = [terms_of(["versement", "retard"])] * 170 + [terms_of(["covid", "versement"])] * 30
    found = {burst.term: burst for burst in bursting_terms(now, before, settings)}
    assert set(found) == {"covid", "covid versement"}
    assert found["covid"].count == 30 and found["covid"].ratio > 3
    # Too few calls: not a burst, however new.
    assert bursting_terms(now[:170] + now[-5:], before, settings) == []


def _stored(frame: pd.DataFrame, run, path) -> Database:  # type: ignore[no-untyped-def]
    db = Database.open(f"sqlite:///{path}")
    texts = dict(zip(frame["call_id"], frame["text"], strict=True))
    source = EmergingInput(frame=frame, source="files")
    db.monitoring.save_run(
        run_record(run.report, scope="week", granularity="week", site=None, source=source, parameters={}),
        records_from_registry(run.registry, "week"),
        snapshots_from_report(run.report, "week", texts),
    )
    return db


def test_review_actions_work_on_a_theme(pandemic, tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame, run = pandemic
    db = _stored(frame, run, tmp_path / "dismiss.db")
    listing = list_clusters(db, "week")
    (theme,) = [view for view in listing.clusters if view.is_theme]
    assert set(theme.reasons) == set(SPREAD) and theme.share is not None and theme.share > 0.2
    assert listing.precision is not None and listing.precision.precision is None
    dismiss_cluster(db, theme.cluster_id, reviewer="Léa")
    # The decision follows the theme: the next run keeps its id, its status, and raises no alert for it.
    again = _run(frame, registry=registry_from_records(db.monitoring.registry("week")))
    assert {t.id for t in _themes(again, "2024-W16")} == {theme.cluster_id}
    assert all(t.status == "dismissed" for t in _themes(again, "2024-W16"))
    assert not [a for a in again.report.alerts if a.kind == "emerging_theme"]
    assert queue_precision(db.review.decisions("week")).dismissed == 1
    db.close()
    # Attached to a known reason: its stored notes become reviewed examples of that reason.
    db = _stored(frame, run, tmp_path / "attach.db")
    outcome = attach_cluster(db, theme.cluster_id, code="paiement_non_recu", reviewer="Léa")
    assert outcome.examples_stored >= 40 and outcome.cluster.status == "attached"
    assert queue_precision(db.review.decisions("week")).precision == 1.0
    db.close()
