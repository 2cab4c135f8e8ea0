"""Demo corpus generator: realistic French call notes of a public service, labelled with the national taxonomy.

`motifs demo-data --rows N --seed S --out FILE [--start 2026-01-05] [--weeks 16]` writes N calls spread over the
period, in time order. Everything is deterministic for a seed (same seed → byte-identical file) and generated day by
day in bounded memory. Phrase banks and parameters are data files of this package: `phrases_reasons.yaml`,
`phrases_scenarios.yaml`, `phrases_common.yaml`, `names.yaml`, `params.yaml`.

Columns (`DEMO_COLUMNS`): the call-data contract `call_id, text, timestamp, site, channel, reason` (readable by
`pipeline.calls.read_calls` with no rejected row), then
- `scenario`: `normal`, `autre_vrai`, `emergent_reforme`, `pic_connexion` or `sous_theme_attestation` (below);
- `template_family`: `A` before the hold-out week (train slice, weeks 1–10 by default), `B` from it (test slice,
  weeks 11–16): each reason's core phrasings are split into two disjoint families, so a classifier trained on the
  first weeks is tested on phrasings it never saw;
- `true_reason`: what a careful analyst would file (the taxonomy code; `autre` for true « autre »; empty for the
  emerging reason, which has no code) — `reason` is what the agent filed, with realistic mistakes (about 2 % filed
  under a neighbouring reason, 1.5 % under « autre » out of haste);
- `text_kind`: `note` (agent's telegraphic note) or `transcription` (about 15 %, speech-to-text-like, 60–200 words,
  telephone and rappel channels only);
- `pii_types`: the kinds of fake personal data planted in the text, `;`-separated (`nom`, `telephone`,
  `telephone_oral`, `email`, `nir`, `iban`, `carte`, `adresse`, `date_naissance`, `numero_dossier`, `plaque`);
- `week`: 1-based week of the period.

Sites: `lyon`, `lille`, `nantes`, `toulouse`, `ajaccio`. Channels: `telephone` (≈ 78 %), `rappel` (call-back,
7 %), `courriel` (7 %), `chat` (5 %), `accueil` (front desk, 3 %); weekends and public holidays only get courriel
and chat. Monday is the busiest day; calls follow opening hours with a lunch dip.

Scenarios (weeks for the default 16-week period; scaled proportionally for another `--weeks`):
a) `emergent_reforme` — a reason in **no** taxonomy version: calls about the « solidarité à la source » reform
   (resources pre-filled in the quarterly declaration: amounts not understood, to be corrected, « why are my
   resources already there »). From week 9 at 1 % of calls, growing linearly to 8 % in week 16. Agents file them
   under `autre` (70 %), `paiement_montant` (15 %) or `situation_ressources` (15 %).
b) `pic_connexion` — outage of the personal account in week 12: `numerique_connexion` volume × 4 that week (the
   extra calls talk about the outage; ordinary connection calls continue).
c) `sous_theme_attestation` — from week 10, « Pass Sport / pass rentrée » attestation requests (1.5 % → 3 % of
   calls), filed correctly under `attestation`: a new sub-theme hidden inside an existing reason.
d) `autre_vrai` — 4 % of calls belong to no reason (wrong number, other administration, silent call, canvassing…),
   filed `autre`.
Scenario calls come on top of ordinary calls, whose absolute weekly volume stays the same (apart from seasonality).
"""

from training.demo.generator import (
    DEMO_COLUMNS,
    PII_TYPES,
    DemoGenerator,
    DemoResult,
    DemoSettings,
    generate_demo_calls,
    write_demo_calls,
)
from training.demo.schedule import SCENARIOS

__all__ = [
    "DEMO_COLUMNS",
    "PII_TYPES",
    "SCENARIOS",
    "DemoGenerator",
    "DemoResult",
    "DemoSettings",
    "generate_demo_calls",
    "write_demo_calls",
]
