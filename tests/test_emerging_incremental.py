"""Incremental `motifs emerging` over the store (issue 17): a rerun with nothing new computes nothing, one more week
computes only that week, a changed week computes it and the ones after — and every time the report (ids, signals,
alerts, everything) is the one a full run over the same calls in a fresh store gives. Per-period counts by SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from serving.review.emerging import monitor_store, run_emerging, stored_outcome
from serving.store import Database, FeedbackRecord
from taxonomy import AUTRE
from tests.review_support import SIMPLE_CONFIG, THEME, lemmatizer, store_predictions, stream


def _run(url: str):  # type: ignore[no-untyped-def]
    return run_emerging(granularity="week", config=SIMPLE_CONFIG, lemmatizer=lemmatizer(), database_url=url)


def _weeks(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["timestamp"]).dt.isocalendar().week


def _full(frame: pd.DataFrame, tmp_path: Path, name: str) -> dict:  # type: ignore[type-arg]
    url = f"sqlite:///{tmp_path / name}"
    store_predictions(Database.open(url), frame)
    outcome = _run(url)
    assert outcome.reused == ()
    return outcome.report.to_dict()


def test_rerun_reuses_everything_one_more_week_computes_only_it_and_equals_a_full_run(
    db_url: str, tmp_path: Path
) -> None:
    frame = stream(weeks=8, planted_from=4)
    weeks = _weeks(frame)
    last = int(weeks.max())
    db = Database.open(db_url)
    store_predictions(db, frame[weeks < last])
    first = _run(db_url)
    labels = [p.period for p in first.report.periods]
    assert first.computed == tuple(labels) and first.reused == ()
    assert any(c.signal != "none" and THEME in " ".join(c.call_ids) for p in first.report.periods for c in p.clusters)

    again = _run(db_url)
    assert again.computed == () and again.reused == tuple(labels)
    assert again.report.to_dict() == first.report.to_dict()
    assert "Périodes réutilisées : 7, calculées : 0." in again.source.summary
    # The run stored by the rerun is whole for `motifs report`: its reused periods' clusters moved to it.
    read = stored_outcome(db, again.source, granularity="week", site=None, since=labels[0], until=labels[-1])
    assert read is not None and read.run is not None and read.run.id == again.run.id
    assert [sorted(c.id for c in p.clusters) for p in read.report.periods] == [
        sorted(c.id for c in p.clusters) for p in first.report.periods
    ]

    store_predictions(db, frame[weeks == last])
    added = _run(db_url)
    assert added.reused == tuple(labels) and added.computed == (f"2024-W{last}",)
    assert added.report.to_dict() == _full(frame, tmp_path, "full.db")


def test_a_changed_week_is_computed_again_with_the_weeks_after_it(tmp_path: Path) -> None:
    frame = stream(weeks=7, planted_from=4)
    weeks = _weeks(frame)
    late = frame[weeks == 12].head(3).assign(call_id=lambda f: f["call_id"] + "-tard")
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    db = Database.open(url)
    store_predictions(db, frame)
    _run(url)
    store_predictions(db, late)  # calls of 2024-W12 arrive late
    changed = _run(url)
    assert changed.reused == ("2024-W10", "2024-W11")
    assert changed.computed == tuple(f"2024-W{w}" for w in range(12, 17))
    assert changed.report.to_dict() == _full(pd.concat([frame, late]), tmp_path, "full.db")


def test_other_settings_recompute_every_period(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    store_predictions(Database.open(url), stream(weeks=6))
    _run(url)
    other = SIMPLE_CONFIG.with_overrides({"emerging": {"keywords": 5}})
    outcome = run_emerging(granularity="week", config=other, lemmatizer=lemmatizer(), database_url=url)
    assert outcome.reused == () and len(outcome.computed) == 6


def test_period_counts_and_fingerprints_are_computed_by_the_database(db_url: str) -> None:
    frame = stream(weeks=3, planted_from=1)
    db = Database.open(db_url)
    store_predictions(db, frame)
    weeks = _weeks(frame)
    # Mondays 2024-03-04, 03-11, 03-18, 03-25 at local midnight (UTC+1 in March before the 31st).
    bounds = [datetime(2024, 3, day, 23, tzinfo=UTC) for day in (3, 10, 17, 24)]
    counts = db.predictions.period_code_counts(bounds, model_version="m1")
    expected = [frame[weeks == w] for w in (10, 11, 12)]
    assert [sum(c.calls for c in period) for period in counts] == [len(part) for part in expected]
    for period, part in zip(counts, expected, strict=True):
        by_code = {}
        for count in period:
            by_code[count.code] = by_code.get(count.code, 0) + count.calls
        assert by_code == part["code"].value_counts().to_dict()
    prints = db.predictions.period_fingerprints(bounds, model_version="m1")
    assert [n for n, _ in prints] == [len(part) for part in expected]
    assert len({fingerprint for _, fingerprint in prints}) == 3
    store_predictions(db, frame[weeks == 11].head(1).assign(call_id="un-de-plus"))
    after = db.predictions.period_fingerprints(bounds, model_version="m1")
    assert after[0] == prints[0] and after[2] == prints[2] and after[1] != prints[1]


def test_calls_the_agents_filed_autre_are_counted_by_the_database_on_every_run(db_url: str) -> None:
    frame = stream(weeks=3, planted_from=1)
    db = Database.open(db_url)
    store_predictions(db, frame)
    store_predictions(db, frame.head(1).assign(call_id="autre-modele"), model_version="m0")
    ordinary = frame[~frame["autre"]]["call_id"].tolist()

    def choose(call_id: str, code: str) -> None:
        db.feedback.add(FeedbackRecord(call_id, (code,), code, "national@1.1.0"), known_codes={code})

    for call_id in ordinary[:4]:
        choose(call_id, AUTRE)
    choose(ordinary[0], "rdv_gestion")  # changed their mind: the latest choice counts
    choose(ordinary[4], "rdv_gestion")
    choose("autre-modele", AUTRE)  # another model's call: not in the window followed
    low, high = datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)
    assert db.predictions.chosen_by_agent(low, high, AUTRE, model_version="m1") == 3
    assert db.predictions.chosen_by_agent(low, high, AUTRE) == 4
    assert db.predictions.chosen_by_agent(high, datetime(2024, 5, 1, tzinfo=UTC), AUTRE) == 0
    line = "3 appel(s) classés « autre » par l'agent lui-même, comptés dans « autre »."
    first = run_emerging(
        granularity="week", config=SIMPLE_CONFIG, lemmatizer=lemmatizer(), database_url=db_url, model_version="m1"
    )
    again = run_emerging(
        granularity="week", config=SIMPLE_CONFIG, lemmatizer=lemmatizer(), database_url=db_url, model_version="m1"
    )
    assert first.computed and again.computed == ()
    assert line in first.source.summary and line in again.source.summary


def test_periods_computed_a_few_at_a_time_equal_one_pass(tmp_path: Path) -> None:
    frame = stream(weeks=8, planted_from=4)
    url = f"sqlite:///{tmp_path / 'batches.db'}"
    db = Database.open(url)
    store_predictions(db, frame)
    batched = monitor_store(db, granularity="week", config=SIMPLE_CONFIG, lemmatizer=lemmatizer(), periods_per_read=3)
    whole = f"sqlite:///{tmp_path / 'whole.db'}"
    store_predictions(Database.open(whole), frame)
    one_pass = monitor_store(
        Database.open(whole), granularity="week", config=SIMPLE_CONFIG, lemmatizer=lemmatizer(), periods_per_read=100
    )
    assert batched.report.to_dict() == one_pass.report.to_dict()
    assert any(c.signal != "none" for p in one_pass.report.periods for c in p.clusters)


class _Counting:
    """The simple lemmatizer, counting the notes it is given."""

    def __init__(self) -> None:
        self.inner = lemmatizer()
        self.seen: list[str] = []

    def __call__(self, texts):  # type: ignore[no-untyped-def]
        self.seen += list(texts)
        return self.inner(texts)


def test_an_added_week_lemmatises_only_its_own_notes(tmp_path: Path) -> None:
    frame = stream(weeks=7, planted_from=4)
    weeks = _weeks(frame)
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    db = Database.open(url)
    store_predictions(db, frame[weeks < 16])
    first = _Counting()
    run_emerging(granularity="week", config=SIMPLE_CONFIG, lemmatizer=first, database_url=url)  # type: ignore[arg-type]
    store_predictions(db, frame[weeks == 16])
    second = _Counting()
    run_emerging(granularity="week", config=SIMPLE_CONFIG, lemmatizer=second, database_url=url)  # type: ignore[arg-type]
    new_notes = set(frame.loc[weeks == 16, "text"])
    assert second.seen and set(second.seen) <= new_notes
    assert len(second.seen) == len(set(second.seen))  # each once
    assert len(set(first.seen)) > 3 * len(new_notes)


def test_the_configured_lemmatizer_and_the_same_one_passed_in_share_stored_results(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    store_predictions(Database.open(url), stream(weeks=5))
    run_emerging(granularity="week", config=SIMPLE_CONFIG, database_url=url)  # `simple`, from the configuration
    again = _run(url)  # the same lemmatizer, given by the caller (as `motifs demo` does)
    assert again.computed == () and len(again.reused) == 5
