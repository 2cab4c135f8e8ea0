"""Discovery settings: the defaults live in `defaults.yaml`; a user file and the command's options are merged over
them and validated here (one French line naming the faulty key when a value is out of range)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from serving.discovery.errors import InvalidDiscoveryConfig

DEFAULTS_PATH = Path(__file__).resolve().parent / "defaults.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RepresentationSettings(_Section):
    lemmatizer: Literal["lookup", "spacy"]
    svd_components: int = Field(ge=2, le=1000)
    char_ngrams: bool
    vector_weight: float = Field(ge=0.0, le=10.0)
    extra_stop_words: tuple[str, ...] = ()


class ClusteringSettings(_Section):
    min_reasons: int = Field(ge=2, le=500)
    max_reasons: int = Field(ge=2, le=500)
    k_step: int = Field(ge=1, le=50)
    n_init: int = Field(ge=1, le=50)
    selection_sample: int = Field(ge=100, le=50_000)
    neighbours: int = Field(ge=0, le=100)
    consensus: bool
    min_domains: int = Field(ge=1, le=50)
    max_domains: int = Field(ge=1, le=50)

    @model_validator(mode="after")
    def _ordered(self) -> ClusteringSettings:
        if self.min_reasons > self.max_reasons:
            raise ValueError("reasons_order")
        if self.min_domains > self.max_domains:
            raise ValueError("domains_order")
        return self


class AssignmentSettings(_Section):
    min_size: int = Field(ge=1)
    min_similarity: float = Field(ge=-1.0, le=1.0)


class NamingSettings(_Section):
    keywords: int = Field(ge=1, le=50)
    label_keywords: int = Field(ge=1, le=10)
    examples: int = Field(ge=1, le=20)


class DiscoveryConfig(_Section):
    """Every setting of `discover` (see `defaults.yaml`)."""

    version: Literal[1]
    seed: int = Field(ge=0, le=2**32 - 1)
    sample_size: int = Field(ge=10, le=200_000)
    chunk_size: int = Field(ge=100, le=100_000)
    representation: RepresentationSettings
    clustering: ClusteringSettings
    assignment: AssignmentSettings
    naming: NamingSettings

    def with_overrides(self, overrides: Mapping[str, Any]) -> DiscoveryConfig:
        """A copy with `overrides` (same nested shape as the YAML) merged over these values."""
        return _validate(_merge(self.model_dump(mode="python"), overrides), "options")


def _merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_REASONS = {
    "extra_forbidden": "clé inconnue",
    "missing": "valeur manquante",
    "literal_error": "valeur non autorisée",
    "greater_than": "valeur trop petite",
    "greater_than_equal": "valeur trop petite",
    "less_than": "valeur trop grande",
    "less_than_equal": "valeur trop grande",
    "int_parsing": "nombre entier attendu",
    "float_parsing": "nombre attendu",
}
_ORDER = {
    "reasons_order": "clustering : min_reasons dépasse max_reasons",
    "domains_order": "clustering : min_domains dépasse max_domains",
}


def _validate(data: Mapping[str, Any], source: str) -> DiscoveryConfig:
    try:
        return DiscoveryConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            message = str(error.get("ctx", {}).get("error", ""))
            if message in _ORDER:
                problems.append(_ORDER[message])
                continue
            where = ".".join(str(part) for part in error["loc"]) or "(racine)"
            kind = error["type"]
            problems.append(f"{where} : {_REASONS.get(kind, f'valeur invalide ({kind})')}")
        raise InvalidDiscoveryConfig(f"réglages de découverte invalides ({source}) : {'; '.join(problems)}") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidDiscoveryConfig(f"{path.name} : fichier de réglages illisible ({exc.strerror})") from None
    except yaml.YAMLError:
        raise InvalidDiscoveryConfig(f"{path.name} : YAML invalide (attendu : un document YAML)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidDiscoveryConfig(f"{path.name} : attendu un dictionnaire YAML, reçu {type(data).__name__}")
    return data


def load_config(path: str | Path | None = None) -> DiscoveryConfig:
    """The shipped defaults, with the YAML file at `path` merged over them (only the values it sets change)."""
    config = _validate(_read_yaml(DEFAULTS_PATH), DEFAULTS_PATH.name)
    if path is None:
        return config
    path = Path(path)
    return _validate(_merge(config.model_dump(mode="python"), _read_yaml(path)), path.name)
