"""French number formatting and scope wording shared by the alert messages."""

from __future__ import annotations

from collections.abc import Mapping


def pct(share: float, digits: int = 1) -> str:
    """0.1423 → « 14,2 % »."""
    return f"{share * 100:.{digits}f}".replace(".", ",") + " %"


def points(delta: float) -> str:
    """0.061 → « +6,1 points »."""
    return f"{delta * 100:+.1f}".replace(".", ",") + " points"


def number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def scope_phrase(scope: Mapping[str, str]) -> str:
    """{"site": "Lyon"} → « sur le site Lyon »; {} → « sur l'ensemble des appels »."""
    if not scope:
        return "sur l'ensemble des appels"
    words = {"site": "le site", "channel": "le canal", "code": "le motif"}
    return "sur " + " et ".join(f"{words.get(key, key)} {value}" for key, value in scope.items())
