"""`motifs emerging --engine spark` on local Spark: the notes' tokens computed by Spark workers are those of a local
run (lemmas and static vectors), and a run over the store gives the same report as the local engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from serving.monitoring.text import LookupLemmatizer, SimpleLemmatizer, SpacyLemmatizer
from serving.review.emerging import run_emerging
from serving.store import Database
from tests.batch_support import demo_calls
from tests.review_support import SIMPLE_CONFIG, lemmatizer, store_predictions, stream

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("batch-spark")]


@pytest.fixture
def spark() -> Iterator[object]:
    pytest.importorskip("pyspark")
    from serving.spark import build_session

    session = build_session("local[2]")
    yield session
    session.stop()


def test_spark_tokens_are_the_local_tokens_in_the_notes_order(spark: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import serving.monitoring.spark_text
    from serving.monitoring.spark_text import SparkLemmatizer

    monkeypatch.setattr(serving.monitoring.spark_text, "MIN_NOTES_PER_TASK", 10)  # several tasks, results reordered
    notes = [*demo_calls(60, seed=3)["text"].astype(str).tolist(), "", "12 34", "[NOM] <TEL>"]
    stops = ("appel", "usager")
    for local, kind in (
        (SimpleLemmatizer(extra_stop_words=stops), "simple"),
        (SpacyLemmatizer(extra_stop_words=stops), "spacy"),
        (LookupLemmatizer(extra_stop_words=stops), "lookup"),
    ):
        expected = local(notes)
        got = SparkLemmatizer(spark, kind, extra_stop_words=stops)(notes)
        assert [t.lemmas for t in got] == [t.lemmas for t in expected]
        for mine, theirs in zip(got, expected, strict=True):
            assert (mine.vector is None) == (theirs.vector is None)
            if theirs.vector is not None:
                assert mine.vector is not None
                np.testing.assert_allclose(mine.vector, theirs.vector, rtol=1e-5, atol=1e-6)
    assert any(t.lemmas for t in expected) and expected[-3].lemmas == ()  # the notes said something; "" says nothing
    assert SparkLemmatizer(spark, "simple")([]) == []


def test_a_run_on_spark_gives_the_local_report(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    frame = stream(weeks=7, planted_from=4)
    urls = {}
    for engine in ("local", "spark"):
        urls[engine] = f"sqlite:///{tmp_path / f'{engine}.db'}"
        store_predictions(Database.open(urls[engine]), frame)
    local = run_emerging(granularity="week", config=SIMPLE_CONFIG, lemmatizer=lemmatizer(), database_url=urls["local"])
    on_spark = run_emerging(
        granularity="week", config=SIMPLE_CONFIG, database_url=urls["spark"], engine="spark", spark_master="local[2]"
    )
    assert on_spark.computed == local.computed and local.computed
    assert any(c.signal != "none" for p in local.report.periods for c in p.clusters)
    assert on_spark.report.to_dict() == local.report.to_dict()
    # The tokens Spark made are stored as the local engine's: a local rerun reuses every period.
    again = run_emerging(granularity="week", config=SIMPLE_CONFIG, lemmatizer=lemmatizer(), database_url=urls["spark"])
    assert again.computed == () and again.report.to_dict() == local.report.to_dict()


def test_an_unknown_engine_is_refused() -> None:
    from serving.errors import NoMonitoringData

    with pytest.raises(NoMonitoringData, match="--engine"):
        run_emerging(granularity="week", config=SIMPLE_CONFIG, engine="hadoop")  # type: ignore[arg-type]
