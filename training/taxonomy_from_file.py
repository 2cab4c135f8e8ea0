"""`motifs taxonomy from-data` as a library: a taxonomy from a labelled file, with safe examples.

A taxonomy file is shared and versioned like code, so what it copies from the data must be safe to share and must
not leak the evaluation period into training:

- examples are **redacted** with the project's redactor (`pipeline.redaction.Redactor`) before they are written;
- they are drawn only from the **training part** of the split `motifs train` makes (rows before the date cut of
  `time_col`, else a stratified draw leaving out the evaluation fraction, same settings as `training/defaults.yaml`):
  the taxonomy's examples feed the model as training texts (`training.run.reason_texts`);
- labels with fewer than `min_count` rows are folded into « autre » or a named reason as aliases
  (`taxonomy.taxonomy_from_labels`), so the raw labels still map onto the base, and labels are kept as written
  (human-readable), codes being their slugs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.tables import inspect_table, iter_table, read_header
from taxonomy import AUTRE, Taxonomy, taxonomy_from_labels, write_taxonomy
from training.errors import InvalidSplit, TrainingDataError
from training.run import load_config, read_labelled
from training.split import stratified_split, time_split

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class FromDataResult:
    """The taxonomy written, and what it was made of (counts, never notes)."""

    taxonomy: Taxonomy
    path: Path
    counts: Counter[str]  # label → rows in the whole file
    folded: tuple[str, ...]  # labels folded into `fold_into` (fewer than min_count rows)
    fold_into: str
    examples_from: str  # how the examples' rows were chosen, in French
    examples_written: int
    guesses: tuple[str, ...] = ()


def taxonomy_from_file(
    path: str | Path,
    out: str | Path,
    *,
    label_col: str,
    taxonomy_id: str,
    version: str = "1.0.0",
    text_col: str | None = None,
    time_col: str | None = None,
    examples: int = 3,
    min_count: int = 1,
    fold_into: str = AUTRE,
    encoding: str | None = None,
    delimiter: str | None = None,
    redactor: object | None = None,
) -> FromDataResult:
    """Build the taxonomy of `path`'s labels and write it to `out` (see the module docstring)."""
    if not 0 <= examples <= MAX_EXAMPLES:
        raise TrainingDataError(f"--examples {examples} (attendu : de 0 à {MAX_EXAMPLES})")
    if min_count < 1:
        raise TrainingDataError(f"--min-count {min_count} (attendu : 1 ou plus)")
    if text_col is None:
        counts, guesses = _label_counts(path, label_col, encoding, delimiter)
        samples: dict[str, list[str]] = {}
        how = "aucun exemple (pas de --text-col)"
    else:
        data = read_labelled(
            path,
            text_col=text_col,
            label_col=label_col,
            time_col=time_col,
            time_required=time_col is not None,
            encoding=encoding,
            delimiter=delimiter,
        )
        counts, guesses = Counter(data.labels), data.guesses
        train_rows, how = _training_rows(data.labels, data.timestamps)
        samples = _redacted_examples(data.texts, data.labels, train_rows, examples, redactor)
    built = taxonomy_from_labels(
        counts,
        taxonomy_id=taxonomy_id,
        version=version,
        examples=samples,
        min_count=min_count,
        fold_into=fold_into,
    )
    written = write_taxonomy(built, out)
    folded = tuple(sorted(label for label, n in counts.items() if n < min_count))
    return FromDataResult(
        taxonomy=built,
        path=written,
        counts=counts,
        folded=folded,
        fold_into=fold_into,
        examples_from=how,
        examples_written=sum(len(r.examples) for r in built.reasons),
        guesses=tuple(guesses),
    )


def _label_counts(
    path: str | Path, label_col: str, encoding: str | None, delimiter: str | None
) -> tuple[Counter[str], tuple[str, ...]]:
    spec = inspect_table(path, encoding=encoding, delimiter=delimiter)
    header = read_header(spec)
    if label_col not in header:
        shown = ", ".join(name[:40] for name in header[:12])
        raise TrainingDataError(f"{spec.path.name} : colonne « {label_col[:40]} » absente (colonnes : {shown})")
    counts: Counter[str] = Counter()
    for chunk in iter_table(spec):
        labels = chunk.frame[label_col].astype(str).str.strip()
        counts.update(labels[labels != ""].value_counts().to_dict())
    return counts, spec.guesses


def _training_rows(labels: Sequence[str], timestamps: Sequence[datetime] | None) -> tuple[list[int], str]:
    """Row indices of the training part, as `motifs train` splits with the default settings."""
    settings = load_config(None)["training"]["split"]
    fraction = float(settings["evaluation_fraction"])
    if timestamps is not None:
        split = time_split(timestamps, test_fraction=fraction)
        cut = min(timestamps[int(i)] for i in split.test) if len(split.test) else None
        when = f" (avant le {cut:%d/%m/%Y})" if cut is not None else ""
        return sorted(int(i) for i in split.train), f"partie apprentissage, découpage par date{when}"
    try:
        split = stratified_split(list(labels), test_size=fraction, random_state=int(settings["random_state"]))
    except InvalidSplit:  # too few rows to split: every row is training data then
        return list(range(len(labels))), "toutes les lignes (trop peu pour un découpage stratifié)"
    return sorted(int(i) for i in split.train), "partie apprentissage, découpage stratifié par étiquette"


def _redacted_examples(
    texts: Sequence[str], labels: Sequence[str], rows: Sequence[int], per_label: int, redactor: object | None
) -> dict[str, list[str]]:
    """The first `per_label` notes of each label among `rows`, redacted (a taxonomy file is shared)."""
    if per_label == 0:
        return {}
    chosen: dict[str, list[int]] = {}
    for i in rows:
        kept = chosen.setdefault(labels[i], [])
        if len(kept) < per_label:
            kept.append(i)
    order = [i for picked in chosen.values() for i in picked]
    if redactor is None:
        from pipeline.redaction import Redactor

        redactor = Redactor()
    redacted = list(redactor.transform([texts[i] for i in order]))  # type: ignore[attr-defined]
    by_row = dict(zip(order, redacted, strict=True))
    return {label: [str(by_row[i]) for i in picked] for label, picked in chosen.items()}
