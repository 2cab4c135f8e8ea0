"""The Spark path of `motifs emerging` (issue 17): the notes' lemmas on `local[1]` and `local[2]` against in-process.

Run from the repository root (PySpark and Java 17 needed):

    PYTHONPATH=. .venv/bin/python benchmarks/emerging_spark.py [--notes 20000] [--store-rows 60000]

1. **Lemmas** (the part of a monitoring run that `--engine spark` distributes), for each lemmatizer of `--kinds`
   (`lookup`, the default, and `spacy`): the notes through the product's lemmatizer in this process, then
   `SparkLemmatizer` on `local[1]` and on `local[2]` (each session new: its workers load the model on the first half
   of the notes as a real run's first period does, "cold"; the second half is "warm"). Notes:
   the Assemblée nationale's written questions (`../shared/datasets/an_qe16_2022q3`, long real French texts; skipped
   when absent) and `--notes` demo notes (redacted). The tokens of every engine are checked equal.
2. **A whole run** (with `--store-rows`): `motifs emerging --period week` over a fresh SQLite store of that many demo
   calls (16 weeks, scored by the benchmarks' stand-in classifier), `--engine local` then `--engine spark
   --spark-master local[2]` on a copy of the store, each a child process under `emerging_scale`'s launcher (time, peak
   RSS of the driver from wait4 — Spark's JVM and workers are other processes and not counted), JSON compared.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS_DIR, section_header, shared_datasets
from emerging_scale import _emerging, _scored_calls, _uptime, _write

from pipeline.redaction import Redactor
from pipeline.tables import inspect_table, iter_table
from serving.monitoring.spark_text import SparkLemmatizer
from serving.monitoring.text import Tokens, make_lemmatizer
from serving.spark import build_session
from serving.store import Database
from taxonomy import load_taxonomy
from training.demo import DemoSettings, generate_demo_calls


def _an_questions() -> list[str] | None:
    path = shared_datasets() / "an_qe16_2022q3" / "data.csv"
    if not path.exists():
        return None
    frame = pd.concat([chunk.frame for chunk in iter_table(inspect_table(path))], ignore_index=True)
    return (frame["titre"].astype(str).str.strip() + ". " + frame["question"].astype(str).str.strip()).tolist()


def _demo_notes(n: int, seed: int) -> list[str]:
    frame = pd.concat(list(generate_demo_calls(DemoSettings(rows=n, seed=seed))), ignore_index=True)
    return Redactor(use_ner="off").transform(frame["text"].astype(str).tolist())


def _same(left: list[Tokens], right: list[Tokens]) -> bool:
    return all(
        a.lemmas == b.lemmas
        and (a.vector is None) == (b.vector is None)
        and (a.vector is None or np.allclose(a.vector, b.vector, atol=1e-6))  # type: ignore[arg-type]
        for a, b in zip(left, right, strict=True)
    )


def _lemmas(notes: list[str], kind: str) -> dict[str, Any]:
    """Lemmatizer `kind` on two halves of `notes`: in this process (model loaded beforehand), then on Spark `local[1]`
    and `local[2]`, each a new session: the first half pays the workers' start (cold), the second is timed warm."""
    first, second = notes[: len(notes) // 2], notes[len(notes) // 2 :]
    local = make_lemmatizer(kind).lemmatizer  # type: ignore[attr-defined]
    local(["échauffement"])  # the model loaded before timing: in a run it is loaded once
    expected = local(first)
    started = time.perf_counter()
    expected += local(second)
    out: dict[str, Any] = {"in-process": time.perf_counter() - started}
    for master in ("local[1]", "local[2]"):
        spark = build_session(master, app="motifs-bench")
        try:
            lemmatizer = SparkLemmatizer(spark, kind)
            started = time.perf_counter()
            got = lemmatizer(first)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            got += lemmatizer(second)
            warm = time.perf_counter() - started
            out[master] = {"cold": cold, "warm": warm, "same": _same(got, expected)}
        finally:
            spark.stop()
    return out


def _whole_runs(rows: int, seed: int) -> dict[str, Any]:
    frame, _ = _scored_calls(rows, 16, seed)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="emerging-spark-") as tmp:
        local_db, spark_db = Path(tmp) / "local.db", Path(tmp) / "spark.db"
        db = Database.open(f"sqlite:///{local_db}")
        _write(db, frame[frame["week"] <= 16], load_taxonomy().ref)
        db.close()
        shutil.copy(local_db, spark_db)
        out["local"] = _emerging(f"sqlite:///{local_db}", Path(tmp) / "local.json")
        out["spark local[2]"] = _emerging(
            f"sqlite:///{spark_db}", Path(tmp) / "spark.json", "--engine", "spark", "--spark-master", "local[2]"
        )
        local = json.loads((Path(tmp) / "local.json").read_text(encoding="utf-8"))
        spark = json.loads((Path(tmp) / "spark.json").read_text(encoding="utf-8"))
        out["same"] = local == spark
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20_000, help="demo notes lemmatised")
    parser.add_argument("--store-rows", type=int, default=0, help="demo calls of the whole-run comparison (0: none)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--kinds", nargs="+", default=["lookup", "spacy"], help="lemmatizers compared")
    parser.add_argument("--out", default=str(RESULTS_DIR / "emerging_spark.md"))
    args = parser.parse_args()
    loads = [f"début : {_uptime()}"]
    sets = {f"{args.notes:,} notes de démonstration".replace(",", " "): _demo_notes(args.notes, args.seed)}
    questions = _an_questions()
    if questions is None:
        print("an_qe16_2022q3 absent : ignoré")
    else:
        sets[f"{len(questions):,} questions écrites AN".replace(",", " ")] = questions
    lines = [
        section_header("Suivi sur Spark — lemmes des notes, local[1] et local[2] (issue 17)"),
        "Chaque ensemble de notes coupé en deux moitiés : la première lance les workers (froid, chargement du modèle "
        "compris), la seconde est chronométrée à chaud ; « dans le processus » : la seconde moitié sans Spark, modèle "
        "déjà chargé.",
        "",
        "| lemmatiseur | notes (2 moitiés) | dans le processus (s) | local[1] froid / chaud (s) | "
        "local[2] froid / chaud (s) | local[2] vs local[1] (chaud) | mêmes lemmes |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for kind in args.kinds:
        for name, notes in sets.items():
            r = _lemmas(notes, kind)
            one, two = r["local[1]"], r["local[2]"]
            lines.append(
                f"| {kind} | {name} | {r['in-process']:.1f} | {one['cold']:.1f} / {one['warm']:.1f} | "
                f"{two['cold']:.1f} / {two['warm']:.1f} | ×{one['warm'] / two['warm']:.2f} | "
                f"{'oui' if one['same'] and two['same'] else 'NON'} |"
            )
    if args.store_rows:
        runs = _whole_runs(args.store_rows, args.seed)
        lines += [
            "",
            f"`motifs emerging --period week`, {args.store_rows:,} appels de démonstration sur 16 semaines, "
            "base neuve :",
            "",
            "| moteur | durée (s) | pic RSS du pilote (Mo) |",
            "|---|---:|---:|",
        ]
        lines += [f"| {k} | {v['seconds']:.1f} | {v['peak_rss_mb']:.0f} |" for k, v in runs.items() if k != "same"]
        lines += ["", f"Résultats identiques (JSON) : {'**oui**' if runs['same'] else '**NON**'}."]
    loads.append(f"fin : {_uptime()}")
    lines += ["", "Charge : " + " ; ".join(loads)]
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
