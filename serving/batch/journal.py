"""Crash-safe files of a run writing to a file: the run manifest, the part files, the lock.

Next to the requested output `OUT` (e.g. `resultats.csv`):

    OUT.run.json         the run manifest: pinned model (version + SHA-256), taxonomy, inputs (size + SHA-256),
                         settings, status (`en cours` → `terminé`) and, once finished, the counts and the output's
                         SHA-256. Kept after the run: it says what produced OUT.
    OUT.parts/           while running: one Parquet part per chunk, `part-FFFF-CCCCCCC.parquet` (file, chunk), plus
                         `errors-FFFF-CCCCCCC.parquet` for the notes the model failed on; a lock file.
    OUT                  assembled from the parts, in input order, when every chunk is done.
    OUT.quarantine.csv   the quarantined rows.

Every file is written to a temporary name in the same folder, flushed to disk (`fsync`), then renamed — a rename is
atomic, so after a crash (even `kill -9` or a power cut) a part either exists whole or not at all. A part is the
commit record of its chunk: on resume, a chunk whose part exists is not scored again, the others are. Temporary
files left by a crash are removed when the run starts again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.files import TMP_PREFIX, atomic_file, atomic_path
from serving.errors import BatchError, OutputBusy

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

RUN_FORMAT = "motifs-reclassify-run-v1"
RUNNING = "en cours"
DONE = "terminé"


def remove_temporaries(directory: Path, name: str = "") -> int:
    """Temporary files a crash left in `directory` (only those of the file `name` when given)."""
    pattern = re.compile(re.escape(TMP_PREFIX + name) + (r"\.[a-z0-9_]{8}(\.\w+)?$" if name else ".*"))
    removed = 0
    if directory.is_dir():
        for leftover in directory.iterdir():
            if pattern.match(leftover.name):
                leftover.unlink(missing_ok=True)
                removed += 1
    return removed


class InputRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    size: int
    sha256: str


class RunManifest(BaseModel):
    """What pins a run; compared field by field when resuming."""

    model_config = ConfigDict(extra="allow")

    format: str = RUN_FORMAT
    status: str = RUNNING
    started_at: datetime
    finished_at: datetime | None = None
    model_version: str
    model_sha256: str
    taxonomy_version: str
    inputs: list[InputRecord]
    settings: dict[str, Any]  # k, max_chars, chunk_rows, with_text, columns, encoding, delimiter, rescore_from
    output_sha256: str | None = None
    counts: dict[str, Any] | None = None

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


def read_manifest(path: Path) -> RunManifest | None:
    if not path.exists():
        return None
    try:
        return RunManifest.model_validate_json(path.read_bytes())
    except (ValidationError, ValueError):
        raise BatchError(
            f"{path} : manifeste de lot illisible (attendu : un fichier écrit par motifs reclassify) ; "
            "relancez avec --restart pour repartir de zéro"
        ) from None


def write_manifest(path: Path, manifest: RunManifest) -> None:
    with atomic_file(path, "w") as handle:
        handle.write(manifest.model_dump_json(indent=2) + "\n")


class RunLock:
    """An exclusive lock on the run's folder, released by the system when the process ends (even on `kill -9`).
    POSIX `flock`; where it does not exist (Windows) the run is not locked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("ab")
        if fcntl is None:
            self._handle = handle
            return self
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise OutputBusy(
                f"{self.path.parent} : un autre lot écrit déjà cette sortie (attendu : un seul lot par fichier de "
                "sortie ; attendez sa fin ou arrêtez-le)"
            ) from None
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self, *, remove: bool = False) -> None:
        if self._handle is None:
            return
        if remove:  # while still holding it: a process starting now finds the run finished
            self.path.unlink(missing_ok=True)
        if fcntl is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None


class PartStore:
    """The part files of a run: one per chunk, committed atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @staticmethod
    def name(key: tuple[int, int], kind: str = "part") -> str:
        return f"{kind}-{key[0]:04d}-{key[1]:07d}.parquet"

    def done(self) -> set[tuple[int, int]]:
        keys: set[tuple[int, int]] = set()
        for path in self.directory.glob("part-*.parquet"):
            _, file_index, chunk_index = path.stem.split("-")
            keys.add((int(file_index), int(chunk_index)))
        return keys

    def commit(self, key: tuple[int, int], table: pa.Table, errors: pa.Table | None) -> None:
        """Errors first, then the part: the part's existence means the whole chunk is done."""
        if errors is not None and errors.num_rows:
            atomic_path(self.directory / self.name(key, "errors"), lambda p: pq.write_table(errors, p))
        atomic_path(self.directory / self.name(key), lambda p: pq.write_table(table, p))

    def parts(self, kind: str = "part") -> list[Path]:
        """Part files in input order (file, then chunk)."""
        return sorted(self.directory.glob(f"{kind}-*.parquet"))
