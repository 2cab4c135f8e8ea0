"""One SparkSession builder for the commands that can run on Spark (`reclassify`, `emerging`): local mode or a
cluster's master URL, Arrow transfers, no web UI. Spark's Python workers run this interpreter with this process's
import path (motifs may not be installed), so the functions they call are the ones of this checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from serving.errors import SparkUnavailable


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
