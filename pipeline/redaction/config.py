"""The redaction settings: `default.yaml` (or a site's own file) read into a validated, immutable model."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import RedactionConfigError
from pipeline.redaction.spans import PII_TYPES

DEFAULT_CONFIG = Path(__file__).with_name("default.yaml")
NerMode = Literal["off", "gated", "always"]
NER_MODES: tuple[str, ...] = ("off", "gated", "always")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternConfig(_Strict):
    """A site's own pattern: the whole match (or its group `value`) is redacted as `type`."""

    type: str
    regex: str

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return _check_type(value)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"expression régulière invalide ({exc.msg}, position {exc.pos})") from None
        return value


class SiteConfig(_Strict):
    patterns: tuple[PatternConfig, ...] = ()


class Triggers(_Strict):
    nir: tuple[str, ...]
    iban: tuple[str, ...]
    phone: tuple[str, ...]
    dossier: tuple[str, ...]
    vehicle: tuple[str, ...]
    address: tuple[str, ...]


class StreetTypes(_Strict):
    numbered: tuple[str, ...]
    numbered_capitalised: tuple[str, ...]
    standalone: tuple[str, ...]
    unit: tuple[str, ...]


class NameConfig(_Strict):
    civility_abbreviations: tuple[str, ...]
    civility_words: tuple[str, ...]
    role_words: tuple[str, ...]
    introductions: tuple[str, ...]
    weak_introductions: tuple[str, ...]
    particles: tuple[str, ...]


class RedactionConfig(_Strict):
    version: Literal["redaction.v1"]
    types: tuple[str, ...] = PII_TYPES
    use_ner: NerMode = "off"
    long_number_min_digits: int = Field(default=9, ge=6, le=30)
    untriggered_birth_year_max: int | None = 1999
    triggers: Triggers
    street_types: StreetTypes
    names: NameConfig
    sites: dict[str, SiteConfig] = Field(default_factory=dict)

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_type(v) for v in value)


def _check_type(value: str) -> str:
    if value not in PII_TYPES:
        raise ValueError(f"type « {value} » inconnu (attendu : {', '.join(PII_TYPES)})")
    return value


def load_config(path: str | Path | None = None) -> RedactionConfig:
    """Read and validate a redaction YAML file (`None`: the shipped `default.yaml`)."""
    return _cached(str(Path(path).resolve()) if path is not None else None)


@lru_cache(maxsize=16)
def _cached(path: str | None) -> RedactionConfig:
    """Read once per process: edit a configuration file, then restart the process that uses it."""
    return _read(DEFAULT_CONFIG if path is None else Path(path))


def _read(path: Path) -> RedactionConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        raise RedactionConfigError(f"{path.name} : fichier de configuration d'occultation illisible") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise RedactionConfigError(f"{path.name} : YAML invalide{where}") from None
    if not isinstance(raw, dict):
        raise RedactionConfigError(f"{path.name} : un dictionnaire YAML était attendu")
    try:
        return RedactionConfig.model_validate(raw)
    except ValidationError as exc:
        raise RedactionConfigError(f"{path.name} : {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem of a pydantic error, as « champ : message » (French, no input value echoed)."""
    first = exc.errors(include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "(racine)"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where} : {message}"
