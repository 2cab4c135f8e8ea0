"""Checks on the texts given to pipeline steps: a batch of strings, never one string, never None inside."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from pipeline.errors import InvalidText


def check_texts(texts: Any) -> list[str]:
    """`texts` as a list of str; raises `InvalidText` naming the first bad row (by number, never by content)."""
    if isinstance(texts, str | bytes):
        raise InvalidText(
            "une liste de textes est attendue, une seule chaîne a été reçue (passez [texte] pour une seule note)"
        )
    if isinstance(texts, np.ndarray) and texts.ndim != 1:
        raise InvalidText(f"un tableau de textes à une dimension est attendu (reçu : {texts.ndim} dimensions)")
    if not isinstance(texts, Iterable):
        raise InvalidText(f"une liste de textes est attendue (reçu : {type(texts).__name__})")
    batch: Sequence[Any] | np.ndarray = texts if isinstance(texts, Sequence | np.ndarray) else list(texts)
    out: list[str] = []
    for number, text in enumerate(batch):
        if not isinstance(text, str):
            raise InvalidText(
                f"ligne {number} : un texte (str) est attendu, reçu {type(text).__name__}"
                + (" (valeur manquante)" if text is None or _is_nan(text) else "")
            )
        out.append(text)
    return out


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value
