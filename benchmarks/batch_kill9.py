"""Acceptance check of issue 4: `kill -9` in the middle of a reclassification, then the same command again.

1. `motifs demo-data --rows N` writes a demo corpus; bad rows holding personal data are planted in it (empty text,
   empty id, bad timestamp, duplicate id, too long, wrong number of fields, undecodable bytes).
2. `motifs reclassify` runs as a child process; once `--kill-after` chunks are committed it gets SIGKILL (no
   cleanup of any kind). Its worker processes must exit by themselves.
3. The same command is run again and must finish the job: exact row count, no duplicate id, every valid call
   present, the quarantine file lists exactly the planted bad rows, no planted personal data in the output,
   the quarantine or the commands' output.

    PYTHONPATH=. python benchmarks/batch_kill9.py                          # 200 k rows (the issue's acceptance)
    PYTHONPATH=. python benchmarks/batch_kill9.py --rows 5000 --chunk-rows 250 --workers 1   # quick

A fast real `ReasonModel` (character n-grams, real redactor) is trained on 600 demo notes unless `--model` names a
model directory. Prints a JSON report and a Markdown section (for benchmarks/results/batch.md); exit code 1 if a
check fails. `tests/test_batch_kill9.py` runs it on a small file in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env.setdefault("COLUMNS", "120")
    return env


def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _alive(pids: list[int]) -> list[int]:
    import psutil

    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def run_check(args: argparse.Namespace, work: Path) -> dict[str, object]:
    import pandas as pd

    from tests.batch_support import PLANTED, PLANTED_FRAGMENTS, train_model_v10, write_calls_with_bad_rows

    report: dict[str, object] = {"rows": args.rows, "chunk_rows": args.chunk_rows, "workers": args.workers}
    started = time.perf_counter()
    demo = work / "demo.csv"
    subprocess.run(
        [sys.executable, "-m", "motifs", "demo-data", "--rows", str(args.rows), "--out", str(demo), "--seed", "3"],
        check=True,
        env=_env(),
        cwd=work,
        stdout=subprocess.DEVNULL,
    )
    calls = pd.read_csv(demo, dtype=str, keep_default_na=False)[
        ["call_id", "text", "timestamp", "site", "channel", "reason"]
    ]
    data = work / "appels.csv"
    planted = write_calls_with_bad_rows(data, calls, every=args.every)
    report["planted_bad_rows"] = len(planted)
    report["prepare_s"] = round(time.perf_counter() - started, 1)

    model = Path(args.model) if args.model else train_model_v10(work / "modele")
    out = work / f"motifs.{args.format}"
    command = [
        sys.executable, "-m", "motifs", "reclassify", "--in", str(data), "--out", str(out), "--model", str(model),
        "--chunk-rows", str(args.chunk_rows), "--workers", str(args.workers), "--encoding", "utf-8",
    ]  # fmt: skip
    parts = out.with_name(out.name + ".parts")

    first_log = work / "premier.log"
    t0 = time.perf_counter()
    with first_log.open("wb") as log:
        child = subprocess.Popen(command, env=_env(), cwd=work, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + args.timeout
        workers: list[int] = []
        while len(list(parts.glob("part-*.parquet"))) < args.kill_after:
            if child.poll() is not None:
                raise SystemExit(f"la première commande s'est terminée avant d'être tuée :\n{first_log.read_text()}")
            if time.monotonic() > deadline:
                child.kill()
                raise SystemExit("délai dépassé avant le kill -9")
            workers = _children(child.pid) or workers
            time.sleep(0.05)
        workers = _children(child.pid) or workers
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    report["killed_after_s"] = round(time.perf_counter() - t0, 1)
    report["parts_at_kill"] = len(list(parts.glob("part-*.parquet")))
    deadline = time.monotonic() + 30
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    orphans = _alive(workers)
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    report["orphan_processes"] = len(orphans)

    t1 = time.perf_counter()
    second = subprocess.run(command, env=_env(), cwd=work, capture_output=True, text=True)
    report["resume_s"] = round(time.perf_counter() - t1, 1)
    if second.returncode != 0:
        raise SystemExit(f"la deuxième commande a échoué :\n{second.stdout}\n{second.stderr}")

    result = pd.read_parquet(out) if args.format == "parquet" else pd.read_csv(out, dtype=str, keep_default_na=False)
    quarantine = pd.read_csv(out.with_name(out.name + ".quarantine.csv"), dtype=str, keep_default_na=False)
    expected_ids = calls.call_id.tolist()
    checks = {
        "exact row count": len(result) == len(expected_ids),
        "no duplicate call_id": bool(result.call_id.is_unique),
        "every valid call, in input order": result.call_id.tolist() == expected_ids,
        "quarantine = planted bad rows": sorted(zip(quarantine.row.astype(int), quarantine.error_code, strict=True))
        == sorted((p.row, p.error_code) for p in planted),
        "no orphan worker process": not orphans,
        "one model version on every row": result.model_version.nunique() == 1,
        "parts removed": not parts.exists(),
    }
    texts = {
        "commands' output": first_log.read_text(encoding="utf-8", errors="replace") + second.stdout + second.stderr,
        "quarantine": out.with_name(out.name + ".quarantine.csv").read_text(encoding="utf-8"),
    }
    checks["no planted personal data"] = not any(
        value in content for content in texts.values() for value in (*PLANTED[:-1], *PLANTED_FRAGMENTS)
    )
    report["checks"] = checks
    report["ok"] = all(checks.values())
    report["output_rows"] = len(result)
    report["quarantined_rows"] = len(quarantine)
    report["resume_summary"] = [line for line in second.stdout.splitlines() if "Lot repris" in line]
    return report


def markdown(report: dict[str, object]) -> str:
    checks = report["checks"]
    assert isinstance(checks, dict)
    lines = [
        f"### kill -9 pendant une reclassification ({datetime.now():%Y-%m-%d}, {platform.node()}, "
        f"{os.cpu_count()} cœurs)",
        "",
        f"{report['rows']} appels de démonstration + {report['planted_bad_rows']} lignes invalides plantées, "
        f"morceaux de {report['chunk_rows']} lignes, {report['workers']} processus de calcul. `kill -9` après "
        f"{report['parts_at_kill']} morceaux validés ({report['killed_after_s']} s), puis la même commande "
        f"({report['resume_s']} s).",
        "",
        "| vérification | résultat |",
        "|---|---|",
        *[f"| {name} | {'ok' if ok else '**ÉCHEC**'} |" for name, ok in checks.items()],
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--every", type=int, default=997, help="une ligne invalide toutes les N lignes")
    parser.add_argument("--chunk-rows", type=int, default=5000)
    parser.add_argument("--kill-after", type=int, default=0, help="morceaux validés avant le kill (défaut : ~40 %%)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--model", help="dossier de modèle (sinon un modèle léger est entraîné)")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", type=Path, help="écrire le rapport JSON dans ce fichier")
    parser.add_argument("--work-dir", type=Path, help="dossier de travail (défaut : temporaire, supprimé)")
    args = parser.parse_args()
    if args.kill_after <= 0:
        args.kill_after = max(1, int(0.4 * args.rows / args.chunk_rows))
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        report = run_check(args, args.work_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="motifs-kill9-") as tmp:
            report = run_check(args, Path(tmp))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print()
    print(markdown(report))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
