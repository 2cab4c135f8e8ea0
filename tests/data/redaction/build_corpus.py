"""Turn corpus.src.txt (readable markup) into corpus.jsonl (text + gold spans with character offsets).

Run from the repository root: `python tests/data/redaction/build_corpus.py`. `tests/test_redaction_corpus.py`
checks that the committed corpus.jsonl is what this script produces from the source.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from stdnum import iban, luhn
from stdnum.fr import nir

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "corpus.src.txt"
TARGET = HERE / "corpus.jsonl"
_MARK = re.compile(r"\[\[([A-Z_]+)\|(.*?)\]\]")
_ESCAPES = {"{nbsp}": "\u00a0", "{nnbsp}": "\u202f", "\\n": "\n"}
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


def _unescape(text: str) -> str:
    for escape, char in _ESCAPES.items():
        text = text.replace(escape, char)
    return text


def _fill_check_digits(kind: str, value: str) -> str:
    """Replace the `??` / final `?` placeholders by valid check digits, keeping the separators as written."""
    if "?" not in value:
        return value
    digits_only = re.sub(r"[^0-9A-Za-z?]", "", value)
    if kind == "NIR":
        return value.replace("??", nir.calc_check_digits(digits_only.replace("?", "")[:13]))
    if kind == "IBAN" and digits_only.upper().startswith("FR??"):
        return value.replace("??", iban.calc_check_digits("FR00" + digits_only[4:]), 1)
    if kind == "IBAN":  # RIB: bank (5) branch (5) account (11) key (2)
        body = digits_only.replace("?", "").upper().translate(_RIB_LETTERS)
        key = 97 - (89 * int(body[:5]) + 15 * int(body[5:10]) + 3 * int(body[10:21])) % 97
        return value.replace("??", f"{key:02d}")
    if kind == "CARTE":
        return value[:-1] + luhn.calc_check_digit(digits_only[:-1])
    raise ValueError(f"placeholder in a {kind} span")


def parse_line(line: str) -> tuple[str, list[dict[str, object]]]:
    text_parts: list[str] = []
    spans: list[dict[str, object]] = []
    position = 0
    cursor = 0
    for match in _MARK.finditer(line):
        before = _unescape(line[cursor : match.start()])
        text_parts.append(before)
        position += len(before)
        kind = match.group(1)
        value = _fill_check_digits(kind, _unescape(match.group(2)))
        spans.append({"start": position, "end": position + len(value), "type": kind})
        text_parts.append(value)
        position += len(value)
        cursor = match.end()
    text_parts.append(_unescape(line[cursor:]))
    text = "".join(text_parts)
    if "[[" in text or "]]" in text:
        raise ValueError(f"unbalanced markup: {line[:40]}")
    return text, spans


def build() -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    split = ""
    counters: dict[str, int] = {}
    for raw in SOURCE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@split "):
            split = line.split()[1]
            continue
        if not split:
            raise ValueError("note before any @split line")
        counters[split] = counters.get(split, 0) + 1
        text, spans = parse_line(line)
        records.append({"id": f"{split}-{counters[split]:03d}", "split": split, "text": text, "spans": spans})
    return records


def render(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


if __name__ == "__main__":
    records = build()
    TARGET.write_text(render(records), encoding="utf-8")
    print(f"{len(records)} notes -> {TARGET}", file=sys.stderr)
