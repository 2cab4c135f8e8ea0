"""Phrase banks of the demo corpus, loaded from the YAML files of this package, with precomputed noisy variants."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from training.demo.noise import Noise

_HERE = Path(__file__).parent
FAMILIES = ("A", "B")
SLOT = re.compile(r"\{([a-z_0-9]+)\}")

Variants = list[str]  # one phrase and its noisy versions
Phrases = list[Variants]  # every phrase of one bank


@cache
def load_yaml(name: str) -> Any:
    """One data file of this package (cached: the files never change while running)."""
    return yaml.safe_load((_HERE / name).read_text(encoding="utf-8"))


def params() -> dict[str, Any]:
    return dict(load_yaml("params.yaml"))


@dataclass(frozen=True)
class FamilyBank:
    notes: Phrases
    spoken: Phrases
    details: Phrases


@dataclass(frozen=True)
class PhraseBank:
    """Every phrase the generator can use, each as a list of variants."""

    reasons: dict[str, dict[str, FamilyBank]]  # reason code or scenario name → family → phrases
    openings: dict[str, Phrases]
    separators: list[str]
    contexts: Phrases
    closings: Phrases
    greetings: Phrases
    agent_prompts: Phrases
    agent_answers: Phrases
    fillers: Phrases
    transcript_closings: Phrases
    explanation_prefixes: Variants
    pii_note: dict[str, Phrases]
    pii_spoken: dict[str, Phrases]
    slots: dict[str, Any]


def raw_reason_banks() -> dict[str, dict[str, dict[str, list[str]]]]:
    """The reason phrasings as written (no noise): reason code → family → notes/spoken/details."""
    return dict(load_yaml("phrases_reasons.yaml"))


def raw_scenario_banks() -> dict[str, dict[str, dict[str, list[str]]]]:
    return dict(load_yaml("phrases_scenarios.yaml"))


def build_bank(seed: int) -> PhraseBank:
    """Load the banks and precompute the noisy variants of every phrase (deterministic for a seed)."""
    settings = params()["noise"]
    common = load_yaml("phrases_common.yaml")
    transcript = common["transcript"]
    noise = Noise(
        abbreviations=common["abbreviations"],
        determiners=common["determiners"],
        filler_words=transcript["filler_words"],
        abbreviate=settings["abbreviate"],
        typo=settings["typo"],
        drop_determiner=settings["drop_determiner"],
        filler=settings["filler"],
    )
    r = random.Random(f"demo-bank-{seed}")
    count = int(settings["variants"])

    def written(phrases: list[str]) -> Phrases:
        return [noise.written_variants(p, r, count) if p else [p] for p in phrases]

    def spoken(phrases: list[str]) -> Phrases:
        return [noise.spoken_variants(p, r, count) for p in phrases]

    reasons: dict[str, dict[str, FamilyBank]] = {}
    for key, families in {**raw_reason_banks(), **raw_scenario_banks()}.items():
        reasons[key] = {
            family: FamilyBank(
                notes=written(families[family]["notes"]),
                spoken=spoken(families[family]["spoken"]),
                details=written(families[family]["details"]),
            )
            for family in FAMILIES
        }
    return PhraseBank(
        reasons=reasons,
        openings={kind: written(phrases) for kind, phrases in common["openings"].items()},
        separators=list(common["separators"]),
        contexts=written(common["contexts"]),
        closings=written(common["closings"]),
        greetings=spoken(transcript["greetings"]),
        agent_prompts=spoken(transcript["agent_prompts"]),
        agent_answers=spoken(transcript["agent_answers"]),
        fillers=spoken(transcript["fillers"]),
        transcript_closings=spoken(transcript["closings"]),
        explanation_prefixes=[f"{prefix} " for prefix in transcript["explanation_prefixes"]],
        pii_note={kind: written(phrases) for kind, phrases in common["pii"]["note"].items()},
        pii_spoken={kind: spoken(phrases) for kind, phrases in common["pii"]["spoken"].items()},
        slots=dict(common["slots"]),
    )


def all_phrases() -> list[str]:
    """Every phrase of every bank, as written (used to check slots)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for item in node.values():
                walk(item)

    walk(raw_reason_banks())
    walk(raw_scenario_banks())
    common = load_yaml("phrases_common.yaml")
    walk({k: v for k, v in common.items() if k in ("openings", "contexts", "closings", "transcript", "pii")})
    return found
