"""`motifs emerging --engine spark`: the notes' lemmas and static vectors computed by PySpark workers.

Lemmatising is most of a monitoring run's cost (spaCy's tok2vec + morphologizer on every new note of a period);
the rest (TF-IDF, SVD, clustering of a period's few tens of thousands of notes) is small and stays on the driver.
`SparkLemmatizer` is a drop-in `Lemmatizer`: the driver ships the notes it has not lemmatised yet (the store's
`note_tokens` is consulted first), each Python worker builds the configured lemmatizer once (`make_lemmatizer`,
the same code as a local run) and lemmatises its partition (`mapInPandas`), and the driver puts the results back in
order. Same tokens as a local run, so stored results and `note_tokens` are shared between engines.
The per-period counts (periods × reasons × sites × channels) are SQL in the store, on either engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from serving.monitoring.text import Lemmatizer, Tokens, make_lemmatizer
from serving.spark import map_notes

RESULT_SCHEMA = "pos long, lemmas array<string>, vector binary"
MIN_NOTES_PER_TASK = 500  # a task has a fixed cost (and a worker's first task loads spaCy)
_WORKERS: dict[tuple[str, tuple[str, ...]], Lemmatizer] = {}  # per Spark Python worker, built once


def _worker_lemmatizer(kind: str, extra_stop_words: tuple[str, ...]) -> Lemmatizer:
    key = (kind, extra_stop_words)
    if key not in _WORKERS:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # Spark runs one task per core: a task must not spread over the others
        built = make_lemmatizer(kind, extra_stop_words=extra_stop_words)
        # without its per-run cache: the driver sends each distinct note once, and a worker lives across runs
        _WORKERS[key] = getattr(built, "lemmatizer", built)
    return _WORKERS[key]


def _lemmatise_partition(
    kind: str, extra_stop_words: tuple[str, ...], batches: Iterator[pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    """On a Spark worker: the tokens of each Arrow batch of (pos, text)."""
    lemmatizer = _worker_lemmatizer(kind, extra_stop_words)
    for batch in batches:
        tokens = lemmatizer(batch["text"].tolist())
        yield pd.DataFrame(
            {
                "pos": batch["pos"].to_numpy(dtype=np.int64),
                "lemmas": [list(t.lemmas) for t in tokens],
                "vector": [None if t.vector is None else t.vector.astype(np.float32).tobytes() for t in tokens],
            }
        )


class SparkLemmatizer:
    """The lemmatizer `kind` (`spacy`, `simple`…) with `extra_stop_words`, run on the Spark session `spark`."""

    def __init__(self, spark: Any, kind: str, *, extra_stop_words: Iterable[str] = ()) -> None:
        self.spark = spark
        self.kind = kind
        self.extra_stop_words = tuple(extra_stop_words)

    def __call__(self, texts: Sequence[str]) -> list[Tokens]:
        if isinstance(texts, str):
            raise TypeError("attendu une liste de textes, reçu une seule chaîne")
        if not texts:
            return []
        work = partial(_lemmatise_partition, self.kind, self.extra_stop_words)
        result = map_notes(self.spark, texts, work, RESULT_SCHEMA, min_per_task=MIN_NOTES_PER_TASK)
        return [
            Tokens(
                tuple(str(lemma) for lemma in lemmas),
                None if vector is None else np.frombuffer(vector, dtype=np.float32),
            )
            for lemmas, vector in zip(result["lemmas"].tolist(), result["vector"].tolist(), strict=True)
        ]
