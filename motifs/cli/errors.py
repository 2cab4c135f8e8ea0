"""Turning domain errors into one readable CLI line."""

from __future__ import annotations

from rich.console import Console

from motifs.errors import MotifsError
from pipeline.errors import PipelineError
from serving.errors import ServingError
from taxonomy.errors import TaxonomyError
from training.errors import TrainingError

DOMAIN_ERRORS: tuple[type[Exception], ...] = (TaxonomyError, PipelineError, TrainingError, ServingError, MotifsError)

_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(exc: Exception) -> None:
    """One line, no traceback. Domain error messages never contain callers' free text by construction."""
    _stderr.print(f"[bold red]Erreur :[/] {exc}", markup=True)
