"""Raw labels of a data file → reason codes of a taxonomy, through each reason's code, label and aliases.

Exports carry labels as people typed them (« Professions de santé », « professions de sante », the code
`professions_de_sante`): they are compared after dropping accents and case and turning every run of other
characters into one space, so all of these name the same reason. A label that names no reason maps to `None`;
callers refuse it or, when told so explicitly, count it as « autre » — never guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from taxonomy.schema import Taxonomy

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def label_key(label: str) -> str:
    """`" Professions de Santé "`, `"professions_de_sante"` → `"professions de sante"` (comparison key)."""
    text = unicodedata.normalize("NFKD", str(label).translate(_LIGATURES)).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub(" ", text.lower()).strip()


def label_keys(taxonomy: Taxonomy) -> dict[str, str]:
    """Comparison key → code, for every reason's code, label and aliases. A code wins over another reason's label
    or alias with the same key (codes are what a file written by motifs holds); validation refuses alias clashes."""
    index: dict[str, str] = {}
    for reason in taxonomy.reasons:
        index.setdefault(label_key(reason.code), reason.code)
    for reason in taxonomy.reasons:
        for name in (reason.label, *reason.aliases):
            index.setdefault(label_key(name), reason.code)
    return index


@dataclass(frozen=True)
class LabelMapping:
    """How a file's distinct labels map onto a taxonomy: `codes` for those that name a reason, `unknown` (label →
    rows) for the others. Labels are category names, never notes: they may be shown in messages."""

    taxonomy_ref: str
    codes: dict[str, str]
    unknown: Counter[str] = field(default_factory=Counter)

    def code_of(self, label: str) -> str | None:
        return self.codes.get(label)

    @property
    def unknown_rows(self) -> int:
        return sum(self.unknown.values())

    def describe_unknown(self, limit: int = 10) -> str:
        """« 3 étiquette(s) sur 12 ligne(s) : « x » (7), « y » (4) … » for messages."""
        shown = ", ".join(f"« {label[:60]} » ({n})" for label, n in self.unknown.most_common(limit))
        more = " …" if len(self.unknown) > limit else ""
        return f"{len(self.unknown)} étiquette(s) sur {self.unknown_rows} ligne(s) : {shown}{more}"


def map_labels(taxonomy: Taxonomy, labels: Iterable[str]) -> LabelMapping:
    """Map every distinct label of `labels` (one entry per row) onto `taxonomy` (see the module docstring)."""
    index = label_keys(taxonomy)
    counts = Counter(str(label) for label in labels)
    codes: dict[str, str] = {}
    unknown: Counter[str] = Counter()
    for label, n in counts.items():
        code = index.get(label_key(label))
        if code is None:
            unknown[label] = n
        else:
            codes[label] = code
    return LabelMapping(taxonomy.ref, codes, unknown)
