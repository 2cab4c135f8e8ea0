"""`motifs emerging --period week` at national scale (issue 17): full run, rerun, one more week; time and peak RSS.

Run from the repository root:

    PYTHONPATH=. .venv/bin/python benchmarks/emerging_scale.py [--rows 240000] [--weeks 16] [--seed 42]
    PYTHONPATH=. .venv/bin/python benchmarks/emerging_scale.py --rows 2400000 --weeks 52 --no-baseline \
        --store-cache /some/dir/calls_2400k.db   # a year at national rate: the store is built chunk by chunk

1. The demo corpus (`training.demo`) with `rows` calls over `weeks` weeks, plus one more week at the same rate;
   notes redacted by `pipeline.redaction` (rules and name lists, NER off), scored by the benchmarks' stand-in
   classifier (TF-IDF + logistic regression trained on 6,000 ordinary calls, « autre » below its abstention
   threshold) and written to a fresh SQLite store with the store's own writer (`db.predictions.add_many`).
   With `--store-cache`, the calls are generated, redacted and scored chunk by chunk by two worker processes and
   written straight into a SQLite file kept for the next runs (the extra week beside it): 2.55 M calls held in one
   frame took more than 13 GB before they were scored. The stand-in classifier is then trained on 6,000 ordinary calls
   of a separate 60,000-call demo sample (same seed and weeks).
2. `motifs emerging --period week` (the product's command, default configuration) as a child process of a small
   launcher, timed, its peak RSS read from `wait4` by the launcher:
   - **full**: the first run over the `weeks` weeks (nothing stored yet);
   - **rerun**: the same command again (nothing new);
   - **+1 week**: the extra week written to the store, the command again (only that week should be computed);
   - **baseline, full without reuse** (`--no-store`, the same run over all `weeks + 1` weeks computed from scratch,
     as every run cost before issue 17) — its JSON must equal the incremental one (ids, signals, alerts).
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _classifiers import TfidfLogReg
from _common import REPO_ROOT, RESULTS_DIR, section_header

from pipeline.redaction import Redactor
from serving.monitoring import known_reasons
from serving.store import Database, PredictionRecord, ScoredCode
from taxonomy import AUTRE, load_taxonomy
from training.demo import DemoSettings, generate_demo_calls

PARIS = ZoneInfo("Europe/Paris")
TRAIN_ROWS = 6_000


def _scored_calls(rows: int, weeks: int, seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """The demo calls of `weeks` + 1 weeks (redacted, scored), and how long each step took."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    total = round(rows * (weeks + 1) / weeks)
    frame = pd.concat(
        list(generate_demo_calls(DemoSettings(rows=total, seed=seed, weeks=weeks + 1))), ignore_index=True
    )
    times["generate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    frame["text"] = Redactor(use_ner="off").transform(frame["text"].astype(str).tolist())
    times["redact_s"] = time.perf_counter() - started
    started = time.perf_counter()
    eligible = frame[(frame["scenario"] == "normal") & (frame["reason"] != AUTRE) & (frame["week"] <= weeks)]
    train = eligible.sample(n=min(TRAIN_ROWS, len(eligible)), random_state=seed)
    model = TfidfLogReg().fit(
        train["text"].tolist(), train["reason"].tolist(), seed=seed, reason_texts=known_reasons(load_taxonomy())
    )
    codes, confidence, autre = model.predict(frame["text"].tolist())
    times["score_s"] = time.perf_counter() - started
    return frame.assign(code=codes, confidence=confidence, autre=autre), times


def _stand_in(weeks: int, seed: int) -> TfidfLogReg:
    """The stand-in classifier of `--store-cache`, trained on 6,000 ordinary calls of a 60,000-call demo sample."""
    sample = pd.concat(list(generate_demo_calls(DemoSettings(rows=60_000, seed=seed, weeks=weeks))), ignore_index=True)
    eligible = sample[(sample["scenario"] == "normal") & (sample["reason"] != AUTRE)]
    train = eligible.sample(n=min(TRAIN_ROWS, len(eligible)), random_state=seed)
    texts = Redactor(use_ner="off").transform(train["text"].astype(str).tolist())
    return TfidfLogReg().fit(texts, train["reason"].tolist(), seed=seed, reason_texts=known_reasons(load_taxonomy()))


_WORKER_MODEL: list[TfidfLogReg] = []


def _init_worker(model: TfidfLogReg) -> None:
    _WORKER_MODEL[:] = [model]


def _score_chunk(chunk: pd.DataFrame) -> pd.DataFrame:
    chunk = chunk.assign(text=Redactor(use_ner="off").transform(chunk["text"].astype(str).tolist()))
    codes, confidence, autre = _WORKER_MODEL[0].predict(chunk["text"].tolist())
    return chunk.assign(code=codes, confidence=confidence, autre=autre)


def _build_store(path: Path, rows: int, weeks: int, seed: int, taxonomy_ref: str) -> dict[str, float]:
    """Writes the first `weeks` weeks into the SQLite file `path` and the extra week into `path`.extra.pkl, chunk by
    chunk (two worker processes redact and score, this one writes)."""
    started = time.perf_counter()
    model = _stand_in(weeks, seed)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    db = Database.open(f"sqlite:///{partial}")
    extra: list[pd.DataFrame] = []
    settings = DemoSettings(rows=round(rows * (weeks + 1) / weeks), seed=seed, weeks=weeks + 1, chunk_rows=20_000)
    done = 0
    chunks = generate_demo_calls(settings)
    with multiprocessing.get_context("fork").Pool(2, initializer=_init_worker, initargs=(model,)) as pool:
        # two chunks at a time: `imap` would read the whole generator ahead into its queue
        while batch := list(itertools.islice(chunks, 2)):
            for chunk in pool.map(_score_chunk, batch):
                _write(db, chunk[chunk["week"] <= weeks], taxonomy_ref)
                extra.append(chunk[chunk["week"] > weeks])
                done += len(chunk)
            print(f"{done:,} appels écrits ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    db.close()
    pd.to_pickle(pd.concat(extra, ignore_index=True), path.with_suffix(".extra.pkl"))
    partial.rename(path)
    return {"build_s": time.perf_counter() - started, "calls": float(done)}


def _write(db: Database, frame: pd.DataFrame, taxonomy_ref: str) -> None:
    for begin in range(0, len(frame), 20_000):
        db.predictions.add_many(
            [
                PredictionRecord(
                    call_id=str(row.call_id),
                    called_at=row.timestamp.to_pydatetime().replace(tzinfo=PARIS),
                    code=str(row.code),
                    confidence=float(row.confidence),
                    autre=bool(row.autre),
                    decision="autre" if row.autre else "confident",
                    top_k=(ScoredCode(str(row.code), float(row.confidence)),),
                    model_version="stand-in",
                    taxonomy_version=taxonomy_ref,
                    source="batch",
                    site=str(row.site),
                    channel=str(row.channel),
                    redacted_text=str(row.text),
                )
                for row in frame.iloc[begin : begin + 20_000].itertuples(index=False)
            ]
        )


def _emerging(url: str, json_out: Path, *extra: str) -> dict[str, Any]:
    """`motifs emerging --period week` in a child process: wall time, peak RSS (wait4), the line it printed about
    reuse."""
    command = [sys.executable, "-m", "motifs", "emerging", "--period", "week", "--database-url", url]
    command += ["--json", str(json_out), *extra]
    peak_file = json_out.with_suffix(".peak")
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, str(peak_file), *command],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    status = child.wait()
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"motifs emerging a échoué (code {status}) :\n{output[-2000:]}")
    reuse = next((line.strip() for line in output.splitlines() if "Périodes réutilisées" in line), "")
    return {"seconds": seconds, "peak_rss_mb": int(peak_file.read_text()) / 1024, "reuse": reuse}


# The command runs under a small launcher process: Linux records the memory of the process that called exec in the
# child's peak (ru_maxrss), so a child started straight from this process (which holds 255,000 scored calls, up to
# 7.6 GB when it built them) reported this process's peak, not its own. The launcher's peak is ~20 MB.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=240_000, help="calls over the first `--weeks` weeks")
    parser.add_argument("--weeks", type=int, default=16)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-baseline", action="store_true", help="skip the full run without reuse")
    parser.add_argument("--out", default=str(RESULTS_DIR / "emerging_scale.md"))
    parser.add_argument(
        "--store-cache",
        default=None,
        help="SQLite file of the first weeks' scored calls, built chunk by chunk on the first run (for millions of "
        "calls), copied for each benchmark run",
    )
    parser.add_argument(
        "--calls-cache",
        default=None,
        help="pickle of the scored calls: written on the first run, read on the next ones",
    )
    args = parser.parse_args()

    if args.store_cache:
        return _main_from_store(args)
    cache = Path(args.calls_cache) if args.calls_cache else None
    if cache is not None and cache.exists():
        frame, times = pd.read_pickle(cache)
    else:
        frame, times = _scored_calls(args.rows, args.weeks, args.seed)
        if cache is not None:
            pd.to_pickle((frame, times), cache)
    taxonomy_ref = load_taxonomy().ref  # the base the demo corpus is written against (the national default)
    results: dict[str, dict[str, Any]] = {}
    loads = [f"début : {_uptime()}"]
    with tempfile.TemporaryDirectory(prefix="emerging-scale-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'motifs.db'}"
        db = Database.open(url)
        started = time.perf_counter()
        _write(db, frame[frame["week"] <= args.weeks], taxonomy_ref)
        times["store_s"] = time.perf_counter() - started
        results["full"] = _emerging(url, Path(tmp) / "full.json")
        results["rerun"] = _emerging(url, Path(tmp) / "rerun.json")
        _write(db, frame[frame["week"] > args.weeks], taxonomy_ref)
        db.close()
        results["week"] = _emerging(url, Path(tmp) / "week.json")
        loads.append(f"après les exécutions incrémentales : {_uptime()}")
        same = None
        if not args.no_baseline:
            results["baseline"] = _emerging(url, Path(tmp) / "baseline.json", "--no-store")
            loads.append(f"fin : {_uptime()}")
            incremental = json.loads((Path(tmp) / "week.json").read_text(encoding="utf-8"))
            baseline = json.loads((Path(tmp) / "baseline.json").read_text(encoding="utf-8"))
            same = incremental == baseline
    text = _markdown(args, len(frame), times, results, same, loads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _main_from_store(args: argparse.Namespace) -> int:
    """`--store-cache`: the runs over a copy of the stored first weeks, then with the extra week (no baseline)."""
    store = Path(args.store_cache)
    taxonomy_ref = load_taxonomy().ref
    times: dict[str, float] = {}
    if not store.exists():
        times = _build_store(store, args.rows, args.weeks, args.seed, taxonomy_ref)
    extra = pd.read_pickle(store.with_suffix(".extra.pkl"))
    results: dict[str, dict[str, Any]] = {}
    loads = [f"début : {_uptime()}"]
    with tempfile.TemporaryDirectory(prefix="emerging-scale-", dir=store.parent) as tmp:
        copy = Path(tmp) / "motifs.db"
        shutil.copyfile(store, copy)
        url = f"sqlite:///{copy}"
        results["full"] = _emerging(url, Path(tmp) / "full.json")
        results["rerun"] = _emerging(url, Path(tmp) / "rerun.json")
        db = Database.open(url)
        _write(db, extra, taxonomy_ref)
        db.close()
        results["week"] = _emerging(url, Path(tmp) / "week.json")
        loads.append(f"fin : {_uptime()}")
    n_calls = int(times.get("calls", 0)) or None
    text = _markdown(args, n_calls, times, results, None, loads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _markdown(
    args: argparse.Namespace,
    n_calls: int | None,
    times: dict[str, float],
    results: dict[str, dict[str, Any]],
    same: bool | None,
    loads: list[str],
) -> str:
    labels = {
        "full": f"complète ({args.weeks} semaines, base neuve)",
        "rerun": "relance (rien de nouveau)",
        "week": "+1 semaine",
        "baseline": f"référence sans réutilisation (`--no-store`, {args.weeks + 1} semaines)",
    }
    if "build_s" in times:
        preparation = f"{n_calls:,} appels générés, anonymisés, classés et écrits par lots en {times['build_s']:.0f} s."
    elif "generate_s" in times:
        preparation = (
            f"{n_calls:,} appels de démonstration générés ({args.weeks} + 1 semaines), préparation : génération "
            f"{times['generate_s']:.0f} s, anonymisation {times['redact_s']:.0f} s, classifieur de substitution "
            f"{times['score_s']:.0f} s, écriture dans la base {times.get('store_s', 0):.0f} s."
        )
    else:
        preparation = f"base préparée reprise de `{args.store_cache}`."
    lines = [
        section_header(f"Suivi à l'échelle nationale — {args.rows:,} appels sur {args.weeks} semaines (issue 17)"),
        f"`PYTHONPATH=. python benchmarks/emerging_scale.py --rows {args.rows} --weeks {args.weeks}` — {preparation}",
        "",
        "| exécution de `motifs emerging --period week` | durée (s) | pic RSS (Mo) | réutilisation |",
        "|---|---:|---:|---|",
    ]
    for key, result in results.items():
        lines.append(
            f"| {labels[key]} | {result['seconds']:.1f} | {result['peak_rss_mb']:.0f} | {result['reuse'] or '—'} |"
        )
    if same is not None:
        lines.append("")
        lines.append(
            "Résultat (+1 semaine, incrémental) identique à la référence recalculée entièrement : "
            + ("**oui** (JSON égal : identifiants, signaux, alertes)." if same else "**NON**.")
        )
    lines += ["", "Charge : " + " ; ".join(loads), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
