"""Shared helpers of the benchmark scripts: where the datasets are, and the header of a result section."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


def shared_datasets() -> Path:
    """`../shared/datasets` next to the repository, or `MOTIFS_SHARED_DATASETS`."""
    override = os.environ.get("MOTIFS_SHARED_DATASETS")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "datasets"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    memory = psutil.virtual_memory().total / 2**30
    return f"{platform.system()} {platform.release()}, {cpu}, {psutil.cpu_count()} cœurs, {memory:.0f} Go"


def section_header(title: str) -> str:
    return f"## {title}\n\n_{dt.date.today().isoformat()} — {machine()}_\n"
