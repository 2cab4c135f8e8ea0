"""Speed and memory of the demo corpus generator (`motifs demo-data`) and of streaming it back (`pipeline.calls`).

Each measurement runs in a fresh child process, so its peak RSS (sampled with psutil every 50 ms, and the kernel's
ru_maxrss) belongs to it alone. The baseline in the same run is the same work on 10× fewer rows: with bounded
memory, peak RSS must stay about the same when rows grow ×10, while time grows about ×10.

    PYTHONPATH=. python benchmarks/demo_data_speed.py                 # 1 M rows (baseline 100 k)
    PYTHONPATH=. python benchmarks/demo_data_speed.py --rows 200000   # quicker
    PYTHONPATH=. python benchmarks/demo_data_speed.py --append docs/BENCHMARKS.md

No dataset is needed (the corpus is generated). Prints a Markdown section for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


class _PeakRss:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._process = psutil.Process()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(0.05)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def _child(task: str, rows: int, path: Path) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from pipeline.calls import iter_call_chunks
    from training.demo import DemoSettings, write_demo_calls

    start_rss = psutil.Process().memory_info().rss
    with _PeakRss() as peak:
        started = time.perf_counter()
        cpu_started = time.process_time()
        if task == "generate":
            write_demo_calls(path, DemoSettings(rows=rows, seed=42))
            done = rows
        else:
            stream = iter_call_chunks(path, require_reason=True)
            done = sum(len(chunk.frame) for chunk in stream)
            assert stream.rows_rejected == 0, "the demo corpus must have no rejected row"
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    return {
        "rows": done,
        "seconds": seconds,
        "rows_per_s": done / seconds,
        "cpu_seconds": cpu_seconds,
        "rows_per_cpu_s": done / cpu_seconds,
        "start_rss_mb": start_rss / 2**20,
        "peak_rss_mb": peak.peak / 2**20,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "file_mb": path.stat().st_size / 2**20,
    }


def _measure(task: str, rows: int, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, "--rows", str(rows), "--path", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--append", type=Path, help="append the Markdown section to this file")
    parser.add_argument("--child", choices=["generate", "read"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.rows, args.path)))
        return

    results: list[tuple[str, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (args.rows // 10, args.rows):
            path = Path(tmp) / f"demo-{rows}.{args.format}"
            for task in ("generate", "read"):
                print(f"{task} {rows} rows…", file=sys.stderr)
                results.append((task, rows, _measure(task, rows, path)))
            path.unlink()

    machine = f"{platform.node()} — {platform.processor() or platform.machine()}, {os.cpu_count()} CPU, "
    machine += f"{psutil.virtual_memory().total / 2**30:.0f} Go RAM, Python {platform.python_version()}"
    lines = [
        f"## Demo corpus: generation and streaming read ({datetime.now():%Y-%m-%d %H:%M})",
        "",
        f"Machine: {machine}; load average at end {os.getloadavg()[0]:.1f} (timings are noisy on a shared machine).",
        f"Format: {args.format}. Baseline: the same work on {args.rows // 10:,} rows (peak RSS must not grow ×10).",
        "",
        "rows/CPU-s counts only this process's CPU time: closer to a quiet machine's speed than wall-clock rows/s.",
        "",
        "| task | rows | seconds | rows/s | rows/CPU-s | peak RSS (Mo) | RSS at start (Mo) | file (Mo) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for task, rows, r in results:
        label = "generate (`motifs demo-data`)" if task == "generate" else "read (`iter_call_chunks`)"
        lines.append(
            f"| {label} | {rows:,} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | {r['rows_per_cpu_s']:,.0f} "
            f"| {r['peak_rss_mb']:.0f} "
            f"| {r['start_rss_mb']:.0f} | {r['file_mb']:.0f} |"
        )
    section = "\n".join(lines) + "\n"
    print(section)
    if args.append:
        with args.append.open("a", encoding="utf-8") as handle:
            handle.write("\n" + section)


if __name__ == "__main__":
    main()
