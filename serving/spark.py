"""One SparkSession builder for the commands that can run on Spark (`reclassify`, `emerging`): local mode or a
cluster's master URL, Arrow transfers, no web UI. Spark's Python workers run this interpreter with this process's
import path (motifs may not be installed), so the functions they call are the ones of this checkout."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from serving.errors import SparkUnavailable

NOTES_SCHEMA = "pos long, text string"


def spark_environment() -> None:
    """Spark's Python workers: this interpreter, with this process's import path (motifs may not be installed)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    paths = [p for p in sys.path if p and Path(p).is_dir()]
    current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([*current, *paths]))


def build_session(master: str, *, app: str = "motifs") -> Any:
    """A SparkSession for `master` with Arrow transfers and without the web UI."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(
            "PySpark n'est pas installé (attendu : pip install 'motifs[spark]', et Java 17 ou plus)"
        ) from None
    spark_environment()
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no network needed (nor warned about) on one machine
    try:
        session = (
            SparkSession.builder.master(master)
            .appName(app)
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
            .config("spark.python.worker.reuse", "true")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")  # our own progress bar says it better
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        return session
    except Exception as exc:  # Java missing, bad master URL…
        raise SparkUnavailable(
            f"impossible de démarrer Spark sur « {master} » ({type(exc).__name__}) ; vérifiez Java (17 ou plus) et "
            "l'URL du maître (p. ex. local[*] ou spark://hote:7077)"
        ) from None


def map_notes(
    spark: Any,
    texts: Sequence[str],
    work: Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]],
    schema: str,
    *,
    min_per_task: int,
) -> pd.DataFrame:
    """`work` run by Spark's Python workers (`mapInPandas`) over batches of (`pos`, `text`) of `texts`; its rows (with
    `pos`, under `schema`) back in the notes' order, one per note (checked)."""
    frame = pd.DataFrame({"pos": np.arange(len(texts), dtype=np.int64), "text": list(texts)})
    # createDataFrame makes one partition per Arrow batch (10 000 rows by default): a call would be one task on one
    # core. Spread it over the cores: 2 tasks per core to even them out, but at least `min_per_task` notes per task
    # (a task has a fixed cost; with small calls, more tasks made local[2] slower than local[1]).
    parallelism = int(spark.sparkContext.defaultParallelism)
    partitions = max(1, min(2 * parallelism, math.ceil(len(texts) / min_per_task)))
    notes = spark.createDataFrame(frame, schema=NOTES_SCHEMA).repartition(partitions)
    result = notes.mapInPandas(work, schema=schema).toPandas().sort_values("pos", kind="stable")
    if len(result) != len(texts) or not np.array_equal(result["pos"].to_numpy(), np.arange(len(texts))):
        raise SparkUnavailable(f"Spark a renvoyé {len(result)} résultat(s) pour {len(texts)} note(s)")
    return result
