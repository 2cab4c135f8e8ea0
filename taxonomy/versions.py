"""Semantic versions (MAJOR.MINOR.PATCH) of taxonomy files and site extensions."""

from __future__ import annotations

import re

SEMVER_PATTERN = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
_SEMVER = re.compile(f"^{SEMVER_PATTERN}$")
SEMVER_EXPECTED = "MAJEUR.MINEUR.CORRECTIF, par ex. 1.1.0"


def is_semver(value: str) -> bool:
    return bool(_SEMVER.match(value))


def version_key(value: str) -> tuple[int, int, int]:
    """Sort key of a valid version: `version_key("1.10.0") > version_key("1.9.3")`."""
    match = _SEMVER.match(value)
    if match is None:
        raise ValueError(f"version « {value[:20]} » invalide (attendu : {SEMVER_EXPECTED})")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def sort_versions(values: list[str]) -> list[str]:
    return sorted(values, key=version_key)
