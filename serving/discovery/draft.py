"""Candidate reasons → a draft taxonomy of our schema (`taxonomy.Taxonomy`, validated on construction).

A draft is a version without a `released:` date (`taxonomy.loader.is_draft`): version 1.0.0 of a new taxonomy id,
published once an analyst has curated it (`serving.discovery.curation`). Codes are slugs of each candidate's first
two keywords (`taxonomy.from_data.slugify`), made unique with `_2`, `_3`…; domains likewise, prefixed `domaine_`.
Each reason has a label (its keywords), a definition « Inclut : … » naming the keywords and the size, and up to
`examples` redacted representative notes. « autre » is added last: the notes that fit nowhere.
"""

from __future__ import annotations

import re
from typing import Any

from serving.discovery.discover import AUTRE_LABEL, Candidate, Discovery
from taxonomy import AUTRE, Taxonomy
from taxonomy.from_data import AUTRE_DEFINITION, slugify
from taxonomy.from_data import AUTRE_LABEL as AUTRE_REASON_LABEL
from taxonomy.validation import SourceMap
from taxonomy.yaml_io import validate_model

DRAFT_VERSION = "1.0.0"
HEADER = (
    "# Brouillon de base de motifs proposé par motifs discover à partir de notes non étiquetées ({ref}).\n"
    "# Pas de « released: » : à relire (renommer, fusionner, écarter) avant publication. Voir docs/DISCOVERY.md.\n"
)


def unique_code(base: str, taken: set[str]) -> str:
    base = base[:56].rstrip("_") or "motif"
    code, number = base, 1
    while code in taken or code == AUTRE:
        number += 1
        code = f"{base}_{number}"
    taken.add(code)
    return code


def candidate_codes(discovery: Discovery) -> dict[int, str]:
    """Candidate number → reason code (deterministic for a given discovery); −1 → « autre »."""
    taken: set[str] = set()
    codes = {AUTRE_LABEL: AUTRE}
    for candidate in discovery.candidates:
        words = candidate.keywords[:2] or (f"motif {candidate.number + 1}",)
        codes[candidate.number] = unique_code(slugify(" ".join(words)), taken)
    return codes


def domain_codes(discovery: Discovery) -> dict[int, str]:
    taken: set[str] = set()
    return {
        domain.number: unique_code(
            "domaine_" + slugify(" ".join(domain.keywords[:2] or (str(domain.number + 1),))), taken
        )
        for domain in discovery.domains
    }


def definition(candidate: Candidate) -> str:
    words = ", ".join(f"« {word} »" for word in candidate.keywords) or "(aucun mot-clé)"
    return (
        f"Inclut : les appels dont la note parle de {words}. Motif candidat proposé automatiquement à partir de "
        f"{candidate.size} notes non étiquetées : définition à reprendre par un analyste."
    )


_KEYWORDS = re.compile(r"^Inclut : les appels dont la note parle de (?P<words>.+?)\. Motif candidat proposé")


def keywords_of(text: str) -> tuple[str, ...]:
    """The keywords a `definition` written by discover (or a split) names; () once an analyst rewrote it."""
    found = _KEYWORDS.match(text)
    return tuple(re.findall(r"« ([^»]+) »", found["words"])) if found else ()


def draft_taxonomy(
    discovery: Discovery, *, taxonomy_id: str, version: str = DRAFT_VERSION, label: str | None = None
) -> Taxonomy:
    """The draft taxonomy of `discovery` (no release date), validated against the schema."""
    codes = candidate_codes(discovery)
    domains = domain_codes(discovery)
    reasons: list[dict[str, Any]] = []
    for domain in discovery.domains:
        for number in domain.candidates:
            candidate = discovery.candidates[number]
            reason: dict[str, Any] = {
                "code": codes[number],
                "label": candidate.label[:200],
                "domain": domains[domain.number],
                "definition": definition(candidate),
            }
            if candidate.examples:
                reason["examples"] = list(candidate.examples)
            reasons.append(reason)
    reasons.append({"code": AUTRE, "label": AUTRE_REASON_LABEL, "definition": AUTRE_DEFINITION})
    data = {
        "taxonomy": taxonomy_id,
        "version": version,
        "label": label or f"Motifs découverts « {taxonomy_id[:64]} »",
        "description": (
            f"Brouillon proposé par motifs discover : {len(discovery.candidates)} motifs candidats en "
            f"{len(discovery.domains)} domaines, couverture {discovery.quality.coverage:.0%} des notes."
        ),
        "domains": [{"code": domains[domain.number], "label": domain.label[:200]} for domain in discovery.domains]
        or [{"code": "domaine_general", "label": "Général"}],
        "reasons": reasons,
    }
    return validate_model(Taxonomy, data, SourceMap(file="discover"))
