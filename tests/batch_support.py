"""Shared material of the batch tests: small demo corpora, two real ReasonModels trained fast, bad rows to plant.

The models are the product's `pipeline.model.ReasonModel` with the real `Redactor` as first step, trained with a
light configuration (character n-grams only, few exemplars) on a few hundred demo notes: real code paths, seconds
to train. `model_v10` knows the national taxonomy 1.0.0 (the demo corpus' labels); `model_v11` was trained on the
same notes with their codes migrated to 1.1.0 plus the taxonomy's texts (for the re-scoring tests).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.artifact import save_model
from pipeline.model import ReasonModel
from pipeline.redaction import Redactor
from training.demo import DemoSettings, generate_demo_calls

FAST_CONFIG = {
    "features": {"char": {"ngram_range": [2, 4], "max_features": 30000}, "vectors": {"weight": 0.0}},
    "classifier": {"cv": 2},
    "abstention": {"max_exemplars_per_class": 20},
}
CALL_COLUMNS = ["call_id", "text", "timestamp", "site", "channel", "reason"]

# Personal data planted in bad rows: none of it may reach a log, an error message, a database column or the
# quarantine file (where texts are redacted).
NIR = "1 85 05 78 006 084 91"
EMAIL = "jeanne.martin@example.org"
PHONE = "06 12 34 56 78"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
PLANTED = (NIR, EMAIL, PHONE, IBAN, "Martin")
PLANTED_FRAGMENTS = ("1 85 05 78", "jeanne.martin", "12 34 56 78", "3000 6000 0112", "0112 3456")


def demo_calls(rows: int, seed: int) -> pd.DataFrame:
    """The demo corpus (deterministic for a seed), contract columns only."""
    frame = pd.concat(list(generate_demo_calls(DemoSettings(rows=rows, seed=seed))), ignore_index=True)
    return frame[CALL_COLUMNS].astype(str)


def _fit(texts: list[str], labels: list[str], reason_texts: dict[str, list[str]] | None = None) -> ReasonModel:
    return ReasonModel(config=FAST_CONFIG, redactor=Redactor()).fit(texts, labels, reason_texts=reason_texts)


def train_model_v10(directory: Path, *, rows: int = 600, version: str = "lot-test-1.0") -> Path:
    calls = demo_calls(rows, seed=7)
    model = _fit(calls.text.tolist(), calls.reason.tolist())
    model.taxonomy_ref = "national@1.0.0"
    model.model_version = version
    save_model(model, directory)
    return directory


def migrated_labels(calls: pd.DataFrame) -> list[str]:
    """Demo labels (1.0.0) in 1.1.0: crosswalk where it maps, the split of numerique_connexion by the note's words."""
    from taxonomy import migrate_codes

    result = migrate_codes(calls.reason.tolist(), "national@1.0.0", "national@1.1.0")
    labels = []
    for code, text in zip(calls.reason.tolist(), calls.text.tolist(), strict=True):
        migration = result[code]
        if migration.code is not None:
            labels.append(migration.code)
        elif code == "numerique_connexion":
            labels.append("numerique_franceconnect" if "franceconnect" in text.lower() else "numerique_identifiants")
        else:
            labels.append("autre")
    return labels


def train_model_v11(directory: Path, *, rows: int = 600, version: str = "lot-test-1.1") -> Path:
    from taxonomy import load_taxonomy
    from training.run import reason_texts

    calls = demo_calls(rows, seed=7)
    model = _fit(calls.text.tolist(), migrated_labels(calls), reason_texts(load_taxonomy("national@1.1.0")))
    model.taxonomy_ref = "national@1.1.0"
    model.model_version = version
    save_model(model, directory)
    return directory


@dataclass(frozen=True)
class Planted:
    """A bad row planted in a file: its record number (1-based, header excluded), id and expected error code."""

    row: int
    call_id: str
    error_code: str


def write_calls_with_bad_rows(
    path: Path, calls: pd.DataFrame, *, every: int = 97, max_chars: int = 5000
) -> list[Planted]:
    """Write `calls` as CSV with bad rows (holding personal data) planted every `every` rows; return them."""
    kinds = ["empty_text", "empty_id", "bad_timestamp", "duplicate_id", "too_long", "malformed", "undecodable"]
    planted: list[Planted] = []
    record = 0
    secret = f"M. Martin, NIR {NIR}, mail {EMAIL}, tél {PHONE}, IBAN {IBAN}"
    lines: list[bytes] = []

    def row_bytes(values: Iterable[str]) -> bytes:
        from io import StringIO

        buffer = StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(list(values))
        return buffer.getvalue().encode("utf-8")

    lines.append(row_bytes(CALL_COLUMNS))
    first_id = str(calls.call_id.iloc[0])
    for i, row in enumerate(calls.itertuples(index=False)):
        record += 1
        lines.append(row_bytes([row.call_id, row.text, row.timestamp, row.site, row.channel, row.reason]))
        if i % every == every - 1:
            kind = kinds[(i // every) % len(kinds)]
            record += 1
            bad_id = f"BAD{record:07d}"
            values = [bad_id, secret, "2026-02-03 10:00:00", "lille", "telephone", "paiement_non_recu"]
            if kind == "empty_text":
                values[1] = "   "
            elif kind == "empty_id":
                values[0], bad_id = "", ""
            elif kind == "bad_timestamp":
                values[2] = "hier matin"
            elif kind == "duplicate_id":
                values[0] = bad_id = first_id
            elif kind == "too_long":
                values[1] = (secret + " ") * (max_chars // len(secret) + 2)
            if kind == "malformed":
                lines.append(row_bytes([*values, "colonne en trop"]))
                bad_id = ""
            elif kind == "undecodable":
                encoded = row_bytes(values)
                lines.append(encoded.replace(b"NIR", b"N\xffR"))
            else:
                lines.append(row_bytes(values))
            planted.append(Planted(record, bad_id, kind))
    path.write_bytes(b"".join(lines))
    return planted


def read_output(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"call_id": str, "site": str, "channel": str}, keep_default_na=False)


def assert_no_personal_data(where: str, content: str) -> None:
    for value in (*PLANTED[:-1], *PLANTED_FRAGMENTS):
        assert value not in content, f"donnée personnelle plantée retrouvée dans {where}"
