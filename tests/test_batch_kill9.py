"""`kill -9` in the middle of `motifs reclassify`, then the same command: the issue's acceptance, on a small file.

The full check (200 k rows, 2 worker processes) is `benchmarks/batch_kill9.py` with its defaults; here the same
script runs on 3 000 demo calls so that it fits in CI.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.batch_support import train_model_v10

REPO = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("batch-kill9")]


def test_kill_9_then_same_command_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    model = train_model_v10(tmp_path / "modele")
    report_path = tmp_path / "rapport.json"
    command = [
        sys.executable, str(REPO / "benchmarks" / "batch_kill9.py"), "--rows", "3000", "--every", "97",
        "--chunk-rows", "200", "--kill-after", "4", "--workers", "1", "--model", str(model),
        "--json", str(report_path), "--work-dir", str(tmp_path / "travail"), "--timeout", "300",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["ok"], report["checks"]
    assert all(report["checks"].values())
    assert report["planted_bad_rows"] == 3000 // 97
    assert report["output_rows"] == 3000 and report["quarantined_rows"] == report["planted_bad_rows"]
    assert 4 <= report["parts_at_kill"] < 15  # killed in the middle, not at the end
    assert report["resume_summary"], "the second command must say it resumed"


def _sleeping_worker(parent: int) -> None:
    from serving.batch.engines import _exit_with_parent

    _exit_with_parent(parent)
    time.sleep(120)


def _parent_of_a_worker(pid_file: str) -> None:
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_sleeping_worker, args=(os.getpid(),))
    worker.start()
    Path(pid_file).write_text(str(worker.pid), encoding="utf-8")
    worker.join()


def test_worker_processes_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    """The pool's workers hold both ends of its queues and would never notice a `kill -9` of the parent."""
    pid_file = tmp_path / "worker.pid"
    context = multiprocessing.get_context("spawn")
    parent = context.Process(target=_parent_of_a_worker, args=(str(pid_file),))
    parent.start()
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    worker = psutil.Process(int(pid_file.read_text(encoding="utf-8")))
    time.sleep(0.3)
    assert worker.is_running()
    os.kill(parent.pid, signal.SIGKILL)
    parent.join()
    # Ended = gone, or a zombie: once orphaned it is reaped by PID 1, which in a container may never do it.
    deadline = time.monotonic() + 30  # generous: a loaded 2-core CI machine
    while _alive(worker):
        if time.monotonic() > deadline:
            worker.kill()
            pytest.fail("the worker outlived its killed parent")
        time.sleep(0.1)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
