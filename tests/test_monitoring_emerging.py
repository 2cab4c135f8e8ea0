"""Emerging reasons on a small French fixture: a planted theme is found, graded, keeps its id; sub-themes; JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from serving.monitoring import (
    ClusterRegistry,
    MonitoringReport,
    SimpleLemmatizer,
    default_config,
    grade,
    prepare_calls,
    run_monitoring,
)
from serving.monitoring.emerging import _Found, _rewritten_reasons, pooled, relative_novelty
from tests._monitoring import note_calls

KNOWN = ("paiement_non_recu", "attestation", "rdv_prise", "situation_adresse")
LABELS = {
    "paiement_non_recu": "Versement non reçu ou en retard",
    "attestation": "Demande d'attestation ou de duplicata",
    "rdv_prise": "Prise de rendez-vous",
    "situation_adresse": "Changement d'adresse ou de coordonnées",
}
KNOWN_REASONS = {code: [label] for code, label in LABELS.items()}
# The simple lemmatizer has no word vectors and no lemmas: its TF-IDF similarities between short notes are lower than
# with spaCy, so its clusters are cut at a larger distance than the default (tuned for spaCy, see docs/MONITORING.md),
# and its near-duplicates merged at a lower profile similarity (two halves of one fixture theme: 0.49; spaCy lemmas
# make different wikit intents 0.4–0.6 alike, hence the default 0.6).
CONFIG = default_config().with_overrides(
    {
        "emerging": {
            "representation": {"lemmatizer": "simple"},
            "clustering": {"distance_threshold": 0.85, "merge_similarity": 0.4},
            "subthemes": {"min_references": 10},
        }
    }
)


def _stream(weeks: int, planted: dict[int, list[tuple[str, str, int]]]) -> pd.DataFrame:
    """`weeks` weeks of 10 confident calls per known reason + 2 « autre » address calls, plus planted blocks."""
    plan = [(w, code, code, 10) for w in range(weeks) for code in KNOWN]
    plan += [(w, "situation_adresse", "autre", 2) for w in range(weeks)]
    plan += [(w, theme, code, n) for w, blocks in planted.items() for theme, code, n in blocks]
    return note_calls(plan)


def _run(frame: pd.DataFrame, registry: ClusterRegistry | None = None):  # type: ignore[no-untyped-def]
    return run_monitoring(
        frame,
        config=CONFIG,
        known_reasons=KNOWN_REASONS,
        reason_labels=LABELS,
        registry=registry,
        lemmatizer=SimpleLemmatizer(extra_stop_words=CONFIG.emerging.representation.extra_stop_words),
    )


def _ids(report: MonitoringReport) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((p.period, c.id, tuple(sorted(c.call_ids))) for p in report.periods for c in p.clusters)


PLANTED = {4: [("aide_chauffage", "autre", 8)], 5: [("aide_chauffage", "autre", 8)]}


@pytest.fixture(scope="module")
def planted_run():  # type: ignore[no-untyped-def]
    frame = _stream(6, PLANTED)
    return frame, _run(frame)


def test_planted_theme_is_one_graded_cluster(planted_run) -> None:  # type: ignore[no-untyped-def]
    frame, run = planted_run
    by_period = {p.period: p for p in run.report.periods}
    assert [c for p in run.report.periods[:4] for c in p.clusters if c.signal != "none"] == []
    week = by_period["2024-W14"]
    (cluster,) = [c for c in week.clusters if c.signal != "none"]
    theme_ids = set(frame.loc[frame["call_id"].str.contains("aide_chauffage"), "call_id"])
    assert set(cluster.call_ids) == {i for i in theme_ids if i.startswith("n04")}
    assert cluster.signal == "weak"  # 8 calls: ≥ 5 but < 12
    assert cluster.parent_code is None and cluster.first_seen == "2024-W14"
    assert "chauffage" in cluster.keywords[:3]
    assert 3 <= len(cluster.examples) <= 5 and all("chauffage" in text.lower() for text in cluster.examples)
    assert cluster.novelty >= CONFIG.emerging.grading.weak.min_novelty
    # No call like these before the window; in it, at least the 6 most central of the 8 over 2 weeks.
    assert cluster.previous_rate == 0.0 and cluster.rate >= 3.0
    assert cluster.growth == pytest.approx(cluster.rate + 1)
    assert cluster.share == pytest.approx(8 / sum(p.n_calls for p in run.report.periods[3:5]))
    alert = next(a for a in week.alerts if a.kind == "emerging_reason")
    assert alert.scope == {"cluster": cluster.id} and alert.severity == "info"
    assert alert.message.startswith(f"Motif émergent possible {cluster.id} (signal faible) : 8 appels")
    # Its place in the queue: expected value = size × novelty × persistence × growth, and why it is there.
    assert cluster.persistence == 1
    assert cluster.priority == pytest.approx(cluster.size * cluster.novelty * cluster.growth)
    assert cluster.why.startswith("signal faible : 8 appels hors des motifs connus, nouveauté ")


def test_queue_puts_strong_before_weak_then_higher_expected_value_first(planted_run) -> None:  # type: ignore[no-untyped-def]
    _, run = planted_run
    rank = {"strong": 0, "weak": 1, "none": 2}
    for period in run.report.periods:
        keys = [(rank[c.signal], -c.priority) for c in period.clusters]
        assert keys == sorted(keys)
    week = next(p for p in run.report.periods if p.period == "2024-W15")
    theme = next(c for c in week.clusters if c.signal != "none")
    assert theme.persistence == 2  # seen in W14 and W15 under one id


def test_theme_keeps_its_id_across_periods(planted_run) -> None:  # type: ignore[no-untyped-def]
    _, run = planted_run
    by_period = {p.period: p for p in run.report.periods}
    first = next(c for c in by_period["2024-W14"].clusters if "chauffage" in c.keywords)
    second = next(c for c in by_period["2024-W15"].clusters if "chauffage" in c.keywords)
    assert second.id == first.id and second.first_seen == "2024-W14"
    assert all("aide_chauffage" in call_id for call_id in second.call_ids)
    assert second.size >= 12 and second.period_size >= 6 and second.signal == "strong"
    assert [(point.period, point.size) for point in second.trend][-2:] == [
        ("2024-W14", 8),
        ("2024-W15", second.period_size),
    ]
    assert run.registry.entries[first.id].history == {"2024-W14": 8, "2024-W15": second.period_size}


def test_ids_identical_on_rerun_shuffled_and_from_saved_registry(planted_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame, run = planted_run
    shuffled = _run(frame.sample(frac=1.0, random_state=7))
    assert _ids(shuffled.report) == _ids(run.report)
    path = tmp_path / "registre.json"
    run.registry.to_json(path)
    again = _run(frame, registry=ClusterRegistry.from_json(path))
    assert _ids(again.report) == _ids(run.report)
    assert again.registry.to_dict() == run.registry.to_dict()


def test_new_period_matches_the_saved_registry(planted_run) -> None:  # type: ignore[no-untyped-def]
    _, run = planted_run
    later = _stream(7, {**PLANTED, 6: [("aide_chauffage", "autre", 8)]})
    week6 = later[later["call_id"].str.startswith(("n04", "n05", "n06"))]
    continued = _run(week6, registry=run.registry)
    week16 = [c for p in continued.report.periods if p.period == "2024-W16" for c in p.clusters]
    original = next(c for p in run.report.periods for c in p.clusters if "chauffage" in c.keywords)
    largest = max(week16, key=lambda c: c.size)
    assert largest.id == original.id and largest.first_seen == "2024-W14"


def test_dismissed_cluster_keeps_its_id_but_stays_silent(planted_run) -> None:  # type: ignore[no-untyped-def]
    frame, run = planted_run
    registry = run.registry.copy()
    cluster_id = next(c.id for p in run.report.periods for c in p.clusters if "chauffage" in c.keywords)
    registry.set_status(cluster_id, "dismissed")
    again = _run(frame, registry=registry)
    clusters = [c for p in again.report.periods for c in p.clusters if c.id == cluster_id]
    assert clusters and all(c.status == "dismissed" for c in clusters)
    assert not [a for a in again.report.alerts if a.kind == "emerging_reason"]


def test_new_theme_inside_a_known_reason_is_a_subtheme() -> None:
    frame = _stream(5, {4: [("panne_paiement_en_ligne", "paiement_non_recu", 8)]})
    run = _run(frame)
    week = next(p for p in run.report.periods if p.period == "2024-W14")
    (cluster,) = [c for c in week.clusters if c.signal != "none"]
    assert cluster.parent_code == "paiement_non_recu"
    assert all("panne_paiement" in call_id for call_id in cluster.call_ids) and cluster.size >= 6
    assert {"carte", "site"} & set(cluster.keywords[:4])
    alert = next(a for a in week.alerts if a.kind == "emerging_subtheme")
    assert alert.scope == {"cluster": cluster.id, "code": "paiement_non_recu"}
    assert "dans le motif paiement_non_recu (Versement non reçu ou en retard)" in alert.message
    # The ordinary payment calls of the same weeks are not pooled as unusual.
    assert not [c for p in run.report.periods for c in p.clusters if c.id != cluster.id and c.signal != "none"]


def test_json_output_schema(planted_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, run = planted_run
    path = tmp_path / "emergents.json"
    run.report.to_json(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"granularity", "periods"} and data["granularity"] == "week"
    period = data["periods"][4]
    assert {"period", "start", "n_calls", "n_autre", "autre_share", "clusters", "alerts"} <= set(period)
    assert period["autre_share"] == pytest.approx(period["n_autre"] / period["n_calls"])
    cluster = next(c for c in period["clusters"] if c["signal"] != "none")
    assert {
        "id",
        "size",
        "keywords",
        "examples",
        "call_ids",
        "novelty",
        "growth",
        "signal",
        "first_seen",
        "parent_code",
        "persistence",
        "priority",
        "why",
    } <= set(cluster)
    assert all(isinstance(alert["message"], str) and alert["kind"] for alert in period["alerts"])
    assert MonitoringReport.from_dict(data).to_dict() == data


def test_grade_bounds_and_relative_novelty() -> None:
    bounds = CONFIG.emerging.grading
    weak, strong = bounds.weak, bounds.strong
    at_strong = {"size": strong.min_size, "share": strong.min_share, "novelty": strong.min_novelty}
    assert grade(**at_strong, growth=strong.min_growth, bounds=bounds) == "strong"
    assert grade(size=strong.min_size - 1, share=1.0, novelty=1.0, growth=100.0, bounds=bounds) == "weak"
    assert grade(size=100, share=weak.min_share - 1e-4, novelty=1.0, growth=100.0, bounds=bounds) == "none"
    at_weak = {"size": weak.min_size, "share": weak.min_share, "novelty": weak.min_novelty}
    assert grade(**at_weak, growth=weak.min_growth - 0.01, bounds=bounds) == "none"
    import numpy as np

    # Known texts' nearest neighbours are at 0.2, 0.4, 0.6, 0.8: a call at 0.5 is farther than half of them.
    assert relative_novelty(np.array([0.5, 0.9, 0.1]), np.array([0.2, 0.4, 0.6, 0.8])).tolist() == [0.5, 0.0, 1.0]


@pytest.mark.slow
def test_planted_theme_with_spacy_lemmas_and_default_thresholds() -> None:
    frame = _stream(6, PLANTED)
    run = run_monitoring(frame, known_reasons=KNOWN_REASONS, reason_labels=LABELS)
    signals = [(p.period, c) for p in run.report.periods for c in p.clusters if c.signal != "none"]
    # Surfaced within one week of its first calls (W14), and nothing else is ever signalled.
    assert signals and all(period in ("2024-W14", "2024-W15") for period, _ in signals)
    for _, cluster in signals:
        assert all("aide_chauffage" in call_id for call_id in cluster.call_ids)
        assert "chauffage" in cluster.keywords[:3] and cluster.parent_code is None


def _health_run(frame: pd.DataFrame):  # type: ignore[no-untyped-def]
    config = CONFIG.with_overrides({"autre": {"min_calls": 10}})
    lemmatizer = SimpleLemmatizer(extra_stop_words=CONFIG.emerging.representation.extra_stop_words)
    return run_monitoring(frame, config=config, known_reasons=KNOWN_REASONS, lemmatizer=lemmatizer)


def test_health_alarm_says_when_the_new_autre_calls_form_an_emerging_theme() -> None:
    run = _health_run(_stream(5, {4: [("aide_chauffage", "autre", 14)]}))
    (health,) = [a for a in run.report.alerts if a.kind == "model_health"]
    assert health.period == "2024-W14" and health.details["autre_in_top_emerging_clusters"] >= 0.5
    assert "tiennent dans 1 groupe(s) émergent(s)" in health.message


def test_health_alarm_of_a_broken_model_is_not_explained_by_clusters() -> None:
    history = _stream(4, {})
    broken = note_calls([(4, code, "autre", 10) for code in KNOWN], prefix="b")
    run = _health_run(pd.concat([history, broken], ignore_index=True))
    (health,) = [a for a in run.report.alerts if a.kind == "model_health"]
    assert health.period == "2024-W14" and health.details["autre_in_top_emerging_clusters"] < 0.3
    assert "groupe(s) émergent(s)" not in health.message


def test_subthemes_in_many_reasons_at_once_are_one_writing_change_and_reasons_are_rebaselined() -> None:
    # New sub-themes in 2 of the 4 reasons at once, for two weeks (W14, W15); with drift.min_reasons 2 that is a
    # change of writing: one item with its date, reasons and sites, and the sub-theme flags it explains withdrawn.
    both = [("panne_paiement_en_ligne", "paiement_non_recu", 8), ("aide_chauffage", "attestation", 8)]
    frame = _stream(6, {4: both, 5: both})
    lemmatizer = SimpleLemmatizer(extra_stop_words=CONFIG.emerging.representation.extra_stop_words)

    def run_with(**drift: object):  # type: ignore[no-untyped-def]
        config = CONFIG.with_overrides({"emerging": {"drift": {"min_reasons": 2, **drift}}})
        return run_monitoring(
            frame, config=config, known_reasons=KNOWN_REASONS, reason_labels=LABELS, lemmatizer=lemmatizer
        )

    def signals(run, period: str) -> set[str | None]:  # type: ignore[no-untyped-def]
        week = next(p for p in run.report.periods if p.period == period)
        return {c.parent_code for c in week.clusters if c.signal != "none"}

    run = run_with()
    (change,) = [a for a in run.report.alerts if a.kind == "text_drift"]
    assert change.period == "2024-W14" and change.details["start"] == "2024-04-01"
    assert change.details["parent_codes"] == ["attestation", "paiement_non_recu"]
    assert set(change.details["sites"]) == {"Lille", "Lyon"} and change.details["withdrawn_signals"] == 2
    assert "Changement d'écriture des notes à partir du 2024-04-01" in change.message
    assert "2 motifs sur 4 à la fois" in change.message
    # Withdrawn in W14, and W15 is measured against references written the new way (W14's): no flag, no new item.
    assert signals(run, "2024-W14") == set() and signals(run, "2024-W15") == set()
    assert not [a for a in run.report.alerts if a.kind.startswith("emerging")]
    # Without re-baselining (the older behaviour) both weeks keep their flags and raise a drift alert each.
    kept = run_with(rebaseline=False)
    assert signals(kept, "2024-W14") == signals(kept, "2024-W15") == {"attestation", "paiement_non_recu"}
    assert [a.period for a in kept.report.alerts if a.kind == "text_drift"] == ["2024-W14", "2024-W15"]
    # With the default (5 reasons at least) the two sub-themes are reported one by one.
    alone = run_monitoring(frame, config=CONFIG, known_reasons=KNOWN_REASONS, lemmatizer=lemmatizer)
    kinds = [a.kind for p in alone.report.periods if p.period == "2024-W14" for a in p.alerts]
    assert kinds.count("emerging_subtheme") == 2 and "text_drift" not in kinds


def test_emerging_alerts_of_an_unexplained_health_alarm_are_folded_into_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # A broken export: this week's notes arrive garbled (reversed) and the model files them all « autre ».
    history = _stream(4, {})
    broken = note_calls([(4, code, "autre", 10) for code in KNOWN], prefix="b")
    broken["text"] = broken["text"].str[::-1]
    frame = pd.concat([history, broken], ignore_index=True)
    run = _health_run(frame)
    week = next(p for p in run.report.periods if p.period == "2024-W14")
    assert [c for c in week.clusters if c.signal != "none"], "garbled notes form new clusters"
    assert [a for a in week.alerts if a.kind == "emerging_reason"]  # 4 themes: the 3 largest explain the rise
    import serving.monitoring.monitor as monitor

    monkeypatch.setattr(monitor, "HEALTH_EXPLAINED_SHARE", 0.99)  # as with the ~30 reasons of a real taxonomy
    kept = next(p for p in _health_run(frame).report.periods if p.period == "2024-W14")
    assert [a for a in kept.alerts if a.kind == "emerging_reason"]  # not more themes than health.max_new_themes
    folding = CONFIG.with_overrides({"autre": {"min_calls": 10}, "health": {"max_new_themes": 0}})
    lemmatizer = SimpleLemmatizer(extra_stop_words=CONFIG.emerging.representation.extra_stop_words)
    folded = run_monitoring(frame, config=folding, known_reasons=KNOWN_REASONS, lemmatizer=lemmatizer)
    week = next(p for p in folded.report.periods if p.period == "2024-W14")
    (health,) = [a for a in week.alerts if a.kind == "model_health"]
    assert not [a for a in week.alerts if a.kind.startswith("emerging")]
    assert health.details["emerging_alerts_folded"] >= 1


# --- three outcomes: the pool takes « autre » (novelty or agent), not the model's doubt ----------------------------


def test_pool_takes_autre_and_old_low_confidence_calls_never_to_confirm() -> None:
    frame = pd.DataFrame(
        {
            "call_id": list("abcdef"),
            "timestamp": ["2024-03-04 09:00"] * 6,
            "code": ["autre", "attestation", "attestation", "attestation", "attestation", "attestation"],
            "confidence": [0.2, 0.2, 0.3, 0.95, 0.3, 0.95],
            "decision": ["autre", "to_confirm", "confident", "confident", "", "confident"],
            "agent_code": ["", "", "", "", "", "autre"],
        }
    )
    calls = prepare_calls(frame).set_index("call_id")
    # a: novelty « autre »; c: auto-coded at 0.3 (older models); e: no decision (older output), 0.3; f: the agent
    # chose « autre ». b, « à confirmer » at 0.2, is doubt between known reasons: not pooled as such.
    assert pooled(calls, CONFIG.emerging).to_dict() == {
        "a": True,
        "b": False,
        "c": True,
        "d": False,
        "e": True,
        "f": True,
    }


def _doubt_run(decision: str) -> tuple[set[str], set[str]]:
    """Ordinary `attestation` notes in weeks 4–5 (8 a week) with the given outcome: (their ids that ended in a
    cluster, all their ids)."""
    frame = pd.concat(
        [
            _stream(6, {}),
            note_calls([(4, "attestation", "attestation", 8), (5, "attestation", "attestation", 8)], prefix="doute"),
        ],
        ignore_index=True,
    )
    block = frame["call_id"].str.startswith("doute")
    frame["decision"] = np.where(frame["autre"], "autre", "confident")
    frame.loc[block, "decision"] = decision
    frame.loc[block, "confidence"] = 0.95 if decision == "confident" else 0.3
    if decision == "autre":
        frame.loc[block, ["code", "autre"]] = ["autre", True]
    run = _run(frame)
    clustered = {call_id for p in run.report.periods for c in p.clusters for call_id in c.call_ids}
    ids = set(frame.loc[block, "call_id"])
    return clustered & ids, ids


def test_to_confirm_notes_are_not_in_the_autre_pool() -> None:
    """Notes the model hesitated on are pooled exactly like auto-coded ones (only through the sub-theme path, when
    unusual for their top reason) — while the same notes sent to « autre » are pooled and clustered."""
    as_doubt, ids = _doubt_run("to_confirm")
    as_confident, _ = _doubt_run("confident")
    as_autre, _ = _doubt_run("autre")
    assert as_doubt == as_confident == set()  # ordinary for their reason: no path takes them
    assert len(as_autre) >= 5 and as_autre <= ids  # sent to « autre », they would have formed a group


def test_to_confirm_notes_unusual_for_their_reason_still_join_as_a_subtheme() -> None:
    """The sub-theme path keeps looking at « à confirmer » calls: a new theme the model hesitated on, under its top
    reason, is found as when it was auto-coded."""
    frame = _stream(5, {4: [("panne_paiement_en_ligne", "paiement_non_recu", 8)]})
    frame["decision"] = np.where(frame["autre"], "autre", "confident")
    planted = frame["call_id"].str.contains("panne_paiement")
    frame.loc[planted, ["decision", "confidence"]] = ["to_confirm", 0.45]
    week = next(p for p in _run(frame).report.periods if p.period == "2024-W14")
    (cluster,) = [c for c in week.clusters if c.signal != "none"]
    assert cluster.parent_code == "paiement_non_recu"
    assert all("panne_paiement" in call_id for call_id in cluster.call_ids) and cluster.size >= 6


def test_near_duplicate_clusters_of_a_period_are_one_item() -> None:
    from serving.monitoring.emerging import _merge_near_duplicates, _Space
    from serving.monitoring.representation import embed
    from tests._monitoring import notes

    texts = notes()
    chauffage, panne = texts["aide_chauffage"][:12], texts["panne_paiement_en_ligne"][:6]
    lemmatizer = SimpleLemmatizer(extra_stop_words=CONFIG.emerging.representation.extra_stop_words)
    embedding = embed(lemmatizer([*chauffage, *panne]), CONFIG.emerging.representation)
    space = _Space(embedding, pd.DataFrame(), pd.DataFrame(), np.array([]), np.array([]), {})
    # The clustering cut one theme in two (0 and 1) beside another theme (2).
    labels = np.array([0] * 6 + [1] * 6 + [2] * 6)
    pool = np.arange(18)
    merged = _merge_near_duplicates(space, pool, labels, CONFIG.emerging)
    assert [m.tolist() for m in merged] == [list(range(12)), list(range(12, 18))]
    off = CONFIG.with_overrides({"emerging": {"clustering": {"merge_similarity": None}}}).emerging
    assert len(_merge_near_duplicates(space, pool, labels, off)) == 3


VELO = [
    "Demande sur la prime vélo électrique : montant de l'aide vélo et pièces à fournir",
    "Usager veut savoir si la prime vélo électrique est cumulable avec le bonus vélo",
    "Prime vélo électrique : dossier envoyé, pas de nouvelles du versement de l'aide vélo",
    "Question prime vélo cargo électrique, conditions de ressources pour l'aide vélo",
    "Aide à l'achat d'un vélo électrique : facture refusée, prime vélo non accordée",
    "Bonus vélo électrique et prime vélo de la région, comment faire la demande",
    "Prime vélo électrique pour un étudiant, justificatif de domicile demandé",
    "Vélo électrique d'occasion : la prime vélo est-elle possible ?",
]


def _velo_calls(week: int, count: int) -> pd.DataFrame:
    """`count` « autre » calls about a new theme (prime vélo) in week `week` of the fixture stream."""
    base = pd.Timestamp("2024-03-04") + pd.Timedelta(days=7 * week)
    return pd.DataFrame(
        {
            "call_id": [f"v{week:02d}-{i:03d}" for i in range(count)],
            "timestamp": [base + pd.Timedelta(days=i % 5, hours=9 + i % 8) for i in range(count)],
            "site": "Lyon",
            "channel": "téléphone",
            "text": [VELO[(i + week) % len(VELO)] for i in range(count)],
            "code": "autre",
            "confidence": 0.2,
            "autre": True,
        }
    )


@pytest.mark.parametrize(
    ("first_week", "second_week", "graded", "growth"), [(8, 8, "none", (0.8, 1.25)), (6, 24, "weak", (2.0, 4.0))]
)
def test_theme_first_seen_at_a_writing_change_is_measured_against_the_new_writing(
    first_week: int, second_week: int, graded: str, growth: tuple[float, float]
) -> None:
    # A change of writing in W14 (sub-themes in 2 of 4 reasons) and, at the same time, a new « autre » theme.
    both = [("panne_paiement_en_ligne", "paiement_non_recu", 8), ("aide_chauffage", "attestation", 8)]
    frame = pd.concat(
        [_stream(6, {4: both, 5: both}), _velo_calls(4, first_week), _velo_calls(5, second_week)], ignore_index=True
    )
    config = CONFIG.with_overrides({"emerging": {"drift": {"min_reasons": 2}}})
    lemmatizer = SimpleLemmatizer(extra_stop_words=CONFIG.emerging.representation.extra_stop_words)
    run = run_monitoring(frame, config=config, known_reasons=KNOWN_REASONS, reason_labels=LABELS, lemmatizer=lemmatizer)
    by_period = {p.period: p for p in run.report.periods}
    (change_week,) = [c for c in by_period["2024-W14"].clusters if any(i.startswith("v04") for i in c.call_ids)]
    # In the change's period a theme first seen then cannot be told from the change: withdrawn.
    assert change_week.first_seen == "2024-W14" and change_week.signal == "none"
    (after,) = [c for c in by_period["2024-W15"].clusters if any(i.startswith("v05") for i in c.call_ids)]
    # After it, growth compares with W14 (written the new way), not with the weeks before: a steady theme is not
    # new, one that quadruples is.
    assert after.id == change_week.id and after.signal == graded
    assert growth[0] <= after.growth <= growth[1]
    assert "par rapport aux périodes depuis le changement d'écriture" in after.why
    # Against the weeks before the change (no such call) it would have looked ≥ 4 times as frequent as before.
    assert (after.rate + 1) / (after.previous_rate + 1) >= 4.0


def test_doubted_calls_join_the_pool_at_a_lower_novelty() -> None:
    """A call the model was unsure of (« à confirmer », or below `doubt_confidence`) joins the pool when it is
    farther from its reason's references than 75 % of them are from each other; an auto-coded call the model was
    sure of still needs 90 %. Off (`doubt_confidence: null`), both need 90 %."""
    from serving.monitoring.emerging import doubted, unusual

    frame = pd.DataFrame(
        {
            "call_id": list("abcde"),
            "timestamp": ["2024-03-04 09:00"] * 5,
            "code": ["attestation"] * 5,
            "confidence": [0.95, 0.6, 0.95, 0.6, 0.95],
            "decision": ["confident", "confident", "to_confirm", "confident", "confident"],
        }
    )
    calls = prepare_calls(frame)
    on = CONFIG.emerging.subthemes.model_copy(update={"doubt_confidence": 0.9, "doubt_quantile": 0.25})
    off = on.model_copy(update={"doubt_confidence": None})
    assert doubted(calls, on).tolist() == [False, True, True, True, False]
    assert not doubted(calls, off).any()
    novelty = np.array([0.8, 0.8, 0.8, 0.5, 0.95])
    assert unusual(novelty, doubted(calls, on), on).tolist() == [False, True, True, False, True]
    assert unusual(novelty, doubted(calls, off), off).tolist() == [False, False, False, False, True]


def test_calls_the_model_doubted_are_never_references_so_a_misfiled_theme_stays_new() -> None:
    """A new theme filed every week under a close reason at a middling confidence (auto-coded, below
    `doubt_confidence`): its past calls would be that reason's references and make it look ordinary from its second
    week on. They are not references, so it is still found, and still new, four weeks later."""
    frame = _stream(6, {w: [("panne_paiement_en_ligne", "paiement_non_recu", 6)] for w in range(1, 6)})
    frame["decision"] = np.where(frame["autre"], "autre", "confident")
    planted = frame["call_id"].str.contains("panne_paiement")
    frame.loc[planted, "confidence"] = 0.6
    week = next(p for p in _run(frame).report.periods if p.period == "2024-W15")
    found = [c for c in week.clusters if sum("panne_paiement" in call_id for call_id in c.call_ids) >= 6]
    assert len(found) == 1 and found[0].novelty >= 0.75
    assert all("panne_paiement" in call_id for call_id in found[0].call_ids)


def _candidate(n_calls: int, parent: str | None = None) -> _Found:
    return _Found(
        call_ids=tuple(f"c{i}" for i in range(n_calls)),
        examples=(),
        keywords=(),
        profile={},
        novelty=0.9,
        parent_code=parent,
        nearest_code=parent,
        period_size=n_calls,
        cohesion=0.5,
        rate=float(n_calls),
        previous_rate=0.0,
        eligible=True,
    )


def test_candidates_made_of_known_reasons_notes_count_for_a_change_of_writing_a_mostly_autre_one_does_not() -> None:
    drift = default_config().emerging.drift
    # 10 calls: 4 + 3 + 2 filed under three reasons, 1 under a fourth, the last one « autre » (not in `filed`).
    filed = {f"c{i}": code for i, code in enumerate("aaaabbbccd")}
    assert _rewritten_reasons(_candidate(10), filed, drift) == {"a", "b", "c"}  # d holds 1 call only
    half_autre = {f"c{i}": code for i, code in enumerate("aaabb")}  # 5 of 10 « autre »: a new need, not a rewrite
    assert _rewritten_reasons(_candidate(10), half_autre, drift) == set()
    assert _rewritten_reasons(_candidate(10, parent="a"), filed, drift) == set()  # sub-themes count by their parent
    assert _rewritten_reasons(_candidate(10), filed, drift.model_copy(update={"candidate_max_autre": None})) == set()
