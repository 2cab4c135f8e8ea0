"""The trusted record of model files for plain folders: a model file is unpickled only if its SHA-256 was recorded
here (or given by the MLflow registry) — checked on the bytes read, BEFORE unpickling.

Why: the manifest beside `model.joblib` only proves that the two files agree; whoever can replace the pickle can
rewrite the manifest too, and unpickling runs their code. The record lives apart from model folders, in the user's
working folder (`./motifs-data/trusted-models.jsonl`, or `$MOTIFS_TRUSTED_MODELS`): `save_model` (training) records
what it writes, `motifs models trust DIR` records a folder that came from elsewhere, after a human vouched for it.

JSON Lines, appended (one `write` per line, O_APPEND: concurrent writers do not interleave), readable by all (0644:
nothing secret, but only its owner may write it). A line that does not parse is ignored (it trusts nothing).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from taxonomy import LOCAL_DATA_DIR

TRUSTED_MODELS_ENV = "MOTIFS_TRUSTED_MODELS"
TRUSTED_MODELS_FILE = "trusted-models.jsonl"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def trust_file(explicit: str | Path | None = None) -> Path:
    """`explicit` › `$MOTIFS_TRUSTED_MODELS` › `./motifs-data/trusted-models.jsonl`."""
    if explicit is not None:
        return Path(explicit)
    from_env = os.environ.get(TRUSTED_MODELS_ENV)
    return Path(from_env) if from_env else LOCAL_DATA_DIR / TRUSTED_MODELS_FILE


def trusted_hashes(path: str | Path | None = None) -> frozenset[str]:
    file = trust_file(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return frozenset()
    found: set[str] = set()
    for line in lines:
        try:
            digest = json.loads(line).get("sha256", "")
        except (json.JSONDecodeError, AttributeError):
            continue
        if isinstance(digest, str) and _SHA256.match(digest):
            found.add(digest)
    return frozenset(found)


def is_trusted(sha256: str, path: str | Path | None = None) -> bool:
    return sha256.lower() in trusted_hashes(path)


def record_trusted(sha256: str, *, model_version: str | None, origin: str, path: str | Path | None = None) -> Path:
    """Append `sha256` to the trusted record (idempotent: an already trusted hash is not written twice)."""
    digest = sha256.lower()
    if not _SHA256.match(digest):
        raise ValueError("sha256: 64 hex digits expected")
    file = trust_file(path)
    if digest in trusted_hashes(file):
        return file
    file.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "sha256": digest,
        "model_version": model_version,
        "origin": origin,
        "recorded_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    descriptor = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return file
