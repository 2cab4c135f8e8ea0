"""Start-up time of the `motifs` command: `--version` and `--help` must answer under 0.5 s (issue 11).

Each command is run as a new process, as a user types it, several times; the median wall time is kept. Baselines
in the same run: a bare `python -c pass` (the interpreter's own start-up on this machine) and `motifs train --help`
(a command whose module imports its whole layer, as every command did before the lazy registry).

    PYTHONPATH=. python benchmarks/cli_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "cli_startup.md"
TARGET_S = 0.5
MOTIFS = [sys.executable, "-c", "from motifs.cli.main import main; main()"]
CASES: dict[str, list[str]] = {
    "python -c pass (référence)": [sys.executable, "-c", "pass"],
    "motifs --version": [*MOTIFS, "--version"],
    "motifs --help": [*MOTIFS, "--help"],
    "motifs train --help (importe sa couche)": [*MOTIFS, "train", "--help"],
}


def wall_time(command: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for command in CASES.values():  # warm the file cache once: the first run of a process reads every .pyc
        wall_time(command)
    medians: dict[str, float] = {}
    for name, command in CASES.items():
        times = [wall_time(command) for _ in range(args.runs)]
        medians[name] = statistics.median(times)
        print(f"{name:45s} médiane {medians[name]:.3f} s (min {min(times):.3f}, max {max(times):.3f})")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### Démarrage de la commande — {now} — {platform.machine()}, {os.cpu_count()} cœurs, "
        f"Python {platform.python_version()}, charge {load:.1f}",
        "",
        f"Médiane de {args.runs} lancements (nouveau processus à chaque fois) ; objectif : < {TARGET_S} s pour "
        "`--version` et `--help`.",
        "",
        "| commande | médiane (s) | objectif |",
        "|---|---:|---|",
    ]
    for name, median in medians.items():
        goal = ""
        if name in ("motifs --version", "motifs --help"):
            goal = "atteint" if median < TARGET_S else "**non atteint**"
        lines.append(f"| `{name}` | {median:.3f} | {goal} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Écrit : {RESULTS}")


if __name__ == "__main__":
    main()
