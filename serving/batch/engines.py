"""Where chunks are scored: in this process, in a pool of worker processes (`--workers N`), or on Spark.

An engine maps an iterator of tasks `(key, file name, frame)` to an iterator of `(key, ChunkResult)`. It pulls tasks
lazily and keeps at most a few chunks in flight, so memory stays flat whatever the input's size. Results come back
in task order (the pool waits for the oldest chunk first): the output's order never depends on the workers.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from serving.batch.scoring import ChunkProcessor, ChunkResult, LocalNotesScorer, ScoringSettings
from serving.errors import BatchError

Task = tuple[tuple[int, int], str, pd.DataFrame]


class Engine(Protocol):
    def map(self, tasks: Iterator[Task]) -> Iterator[tuple[tuple[int, int], ChunkResult]]: ...

    def close(self, *, abort: bool = False) -> None: ...


class InProcessEngine:
    """Score each chunk here, one after the other (`--workers 1`)."""

    def __init__(self, model: Any, settings: ScoringSettings) -> None:
        self.processor = ChunkProcessor(LocalNotesScorer(model), settings)

    def map(self, tasks: Iterator[Task]) -> Iterator[tuple[tuple[int, int], ChunkResult]]:
        for key, file_name, frame in tasks:
            yield key, self.processor.process(frame, file_name)

    def close(self, *, abort: bool = False) -> None:
        pass


# One processor per worker process, built once by the pool's initializer (the model is loaded once per worker).
_WORKER: dict[str, ChunkProcessor] = {}


def _init_worker(model_dir: str, sha256: str, settings: ScoringSettings) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent, which stops the pool
    _exit_with_parent(os.getppid())
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one busy core per worker: N workers use N cores
    from pipeline.artifact import load_model

    model = load_model(model_dir, expected_sha256=sha256)
    _WORKER["processor"] = ChunkProcessor(LocalNotesScorer(model), settings)


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent is killed (`kill -9`, OOM killer) must not live on: the pool's queues do not tell it
    (it holds both ends of their pipes), so a thread watches the parent and ends the process when it is gone."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, name="motifs-parent-watch", daemon=True).start()


def _process_in_worker(file_name: str, frame: pd.DataFrame) -> ChunkResult:
    return _WORKER["processor"].process(frame, file_name)


class ProcessPoolEngine:
    """Score chunks in `workers` processes (started with `spawn`: no lock or thread inherited from the parent)."""

    def __init__(self, model_dir: Path, sha256: str, settings: ScoringSettings, *, workers: int) -> None:
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(str(model_dir), sha256, settings),
        )

    def map(self, tasks: Iterator[Task]) -> Iterator[tuple[tuple[int, int], ChunkResult]]:
        in_flight: deque[tuple[tuple[int, int], Future[ChunkResult]]] = deque()
        limit = 2 * self.workers
        try:
            for key, file_name, frame in tasks:
                in_flight.append((key, self._executor.submit(_process_in_worker, file_name, frame)))
                while len(in_flight) >= limit:
                    done_key, future = in_flight.popleft()
                    yield done_key, future.result()
            while in_flight:
                done_key, future = in_flight.popleft()
                yield done_key, future.result()
        except BrokenProcessPool:
            raise BatchError(
                "un processus de calcul s'est arrêté brutalement (mémoire insuffisante ?) ; les morceaux terminés "
                "sont gardés : relancez la même commande pour reprendre, avec moins de --workers si besoin"
            ) from None

    def close(self, *, abort: bool = False) -> None:
        """`abort`: stop at once — chunks in flight are dropped (never committed) and scored again on resume."""
        if not abort:
            self._executor.shutdown(wait=True)
            return
        processes = list((getattr(self._executor, "_processes", None) or {}).values())
        self._executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=10)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
