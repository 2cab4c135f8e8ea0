"""The reason model's configuration: `config/default.yaml` deep-merged with a user mapping or YAML file."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import InvalidConfig

DEFAULT_CONFIG_FILE = "default.yaml"


@lru_cache(maxsize=1)
def _default() -> dict[str, Any]:
    text = resources.files("pipeline").joinpath("config", DEFAULT_CONFIG_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def default_config() -> dict[str, Any]:
    """A fresh copy of the shipped defaults."""
    return copy.deepcopy(_default())


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A user YAML config file as a mapping (not merged)."""
    path = Path(path)
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidConfig(f"{path.name} : fichier de configuration illisible ({type(error).__name__})") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InvalidConfig(f"{path.name} : un dictionnaire YAML est attendu (reçu : {type(loaded).__name__})")
    return loaded


def resolve_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults deep-merged with `overrides`; an unknown key is an `InvalidConfig` naming its path."""
    merged = default_config()
    if overrides:
        _merge(merged, overrides, "")
    return merged


def _merge(base: dict[str, Any], overrides: Mapping[str, Any], prefix: str) -> None:
    for key, value in overrides.items():
        path = f"{prefix}{key}"
        if key not in base:
            raise InvalidConfig(f"clé de configuration inconnue : « {path} » (attendu : {', '.join(sorted(base))})")
        if isinstance(base[key], dict):
            if not isinstance(value, Mapping):
                raise InvalidConfig(f"« {path} » : un dictionnaire est attendu (reçu : {type(value).__name__})")
            _merge(base[key], value, f"{path}.")
        else:
            base[key] = copy.deepcopy(value)
