"""Charts as inline SVG, drawn here (no JavaScript, no library, no font or file from outside).

Each chart is an `<svg role="img">` with a `<title>` and a `<desc>` (what a screen reader says) and is always shown
next to a table with the same numbers (the accessible alternative, and what gets copied into a note). Colours are
the Okabe–Ito palette (readable by colour-blind readers); series are also told apart by their dash pattern and a
label at the end of each line, never by colour alone. Text is dark grey on white (contrast ≥ 7:1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

TEXT = "#1b1b1b"
GRID = "#d0d0d0"
AXIS = "#595959"
TARGET = "#a1192b"  # target line: dark red, dashed, labelled
# Okabe–Ito, darkened where needed for ≥ 3:1 against white; the first series (all calls) is black.
PALETTE = ("#000000", "#0a6cab", "#b35806", "#007a5e", "#a64d79", "#6a5acd", "#7a6a00", "#4d4d4d")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 2 1 2", "3 3")
END_LABEL_CHAR_PX = 7.5  # widest average advance of a bold 12 px sans-serif character, capitals included
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per x label; None = no data for that period


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 12, weight: str = "normal") -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}" font-weight="{weight}" '
        f'fill="{TEXT}">{escape(content)}</text>'
    )


def shorten(label: str, most: int) -> str:
    """`label` cut to `most` characters with « … » (the full text stays in the table next to every chart)."""
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def nice_ticks(value: float, *, most: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least `value`: steps of 1, 2, 2.5 or 5 × 10^k, at most `most` intervals."""
    if value <= 0:
        return [0.0, 1.0]
    raw = value / most
    exponent = math.floor(math.log10(raw))
    step = next(m * 10**exponent for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * 10**exponent >= raw * 0.999)
    count = max(1, math.ceil(value / step - 1e-9))
    return [step * k for k in range(count + 1)]


def _open(width: int, height: int, title: str, description: str, ident: str) -> list[str]:
    return [
        f'<svg role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" aria-labelledby="{ident}-t {ident}-d" font-family="{escape(FONT)}">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    ident: str,
    value_format: Callable[[float], str],
    target: float | None = None,
    target_label: str = "cible",
    width: int = 760,
    height: int = 320,
    y_cap: float | None = None,
) -> Markup:
    """Lines over periods (x = `labels`), an optional horizontal target line, end-of-line labels. `y_cap`: the
    axis never goes beyond it (1.0 for shares: an axis up to 125 % would suggest values that cannot exist)."""
    left, right, top, bottom = 56, 150, 16, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    ticks = nice_ticks(max([*values, target or 0.0, 1e-9]) * 1.05)
    if y_cap is not None and ticks[-1] > y_cap >= max([*values, target or 0.0]):
        ticks = [t for t in ticks if t < y_cap] + [y_cap]
    y_max = ticks[-1]
    n = max(len(labels), 1)

    def x_of(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y_of(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    parts = _open(width, height, title, description, ident)
    for v in ticks:  # horizontal grid and y ticks
        y = y_of(v)
        parts.append(f'<line x1="{left}" y1="{_num(y)}" x2="{left + plot_w}" y2="{_num(y)}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y + 4, value_format(v), anchor="end", size=11))
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    step = max(1, math.ceil(len(labels) / 12))  # at most ~12 x labels
    for i, label in enumerate(labels):
        if i % step and i != len(labels) - 1:
            continue
        x, y = x_of(i), top + plot_h + 14
        parts.append(
            f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="end" font-size="11" fill="{TEXT}" '
            f'transform="rotate(-35 {_num(x)} {_num(y)})">{escape(label)}</text>'
        )
    if target is not None:
        y = y_of(target)
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{left + plot_w}" y2="{_num(y)}" stroke="{TARGET}" '
            'stroke-width="2" stroke-dasharray="10 5"/>'
        )
        parts.append(
            f'<text x="{left + 4}" y="{_num(y - 5)}" font-size="11" fill="{TARGET}" font-weight="bold">'
            f"{escape(target_label)}</text>"
        )
    ends: list[tuple[float, str, str]] = []
    for index, item in enumerate(series):
        colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
        width_px = 3 if index == 0 else 2
        points = [(x_of(i), y_of(v)) for i, v in enumerate(item.values) if v is not None]
        if not points:
            continue
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width_px}"'
            f'{dash_attr} stroke-linejoin="round"/>'
        )
        for x, y in points:
            parts.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="2.5" fill="{colour}"/>')
        ends.append((points[-1][1], item.name, colour))
    # End labels, pushed apart so they never overlap (≥ 13 px between baselines).
    ends.sort()
    placed: list[float] = []
    for y, _, _ in ends:
        placed.append(max(y + 4, placed[-1] + 13) if placed else y + 4)
    overflow = (placed[-1] - (top + plot_h + 4)) if placed else 0
    if overflow > 0:
        placed = [p - overflow for p in placed]
    most = int((right - 12) / END_LABEL_CHAR_PX)  # what fits in the right margin: beyond, the SVG cuts the text
    for (_, name, colour), y in zip(ends, placed, strict=True):
        fill = TEXT if colour == PALETTE[0] else colour
        parts.append(
            f'<text x="{left + plot_w + 8}" y="{_num(y)}" font-size="12" fill="{fill}" font-weight="bold">'
            f"<title>{escape(name)}</title>{escape(shorten(name, most))}</text>"
        )
    parts.append("</svg>")
    return Markup("\n".join(parts))


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    description: str,
    ident: str,
    value_format: Callable[[float], str],
    highlight: Sequence[str] = (),
    width: int = 760,
    label_width: int = 330,
) -> Markup:
    """Horizontal bars, one per (label, value), in the given order; `highlight` labels drawn in the accent colour."""
    bar_h, gap, top = 16, 6, 8
    height = top * 2 + len(items) * (bar_h + gap)
    plot_w = width - label_width - 70
    v_max = max([v for _, v in items] + [1e-9])
    parts = _open(width, max(height, 40), title, description, ident)
    for index, (label, value) in enumerate(items):
        y = top + index * (bar_h + gap)
        parts.append(_text(label_width - 8, y + bar_h - 4, shorten(label, 52), anchor="end", size=12))
        length = plot_w * value / v_max
        colour = PALETTE[2] if label in highlight else PALETTE[1]
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{_num(max(length, 1))}" height="{bar_h}" fill="{colour}"/>'
        )
        parts.append(_text(label_width + length + 6, y + bar_h - 4, value_format(value), size=12))
    parts.append("</svg>")
    return Markup("\n".join(parts))


def sparkline(values: Sequence[float], *, label: str, width: int = 120, height: int = 28) -> Markup:
    """A tiny trend line (periods left to right) with its last point marked; `label` is what a screen reader says."""
    parts = [
        f'<svg role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" class="spark"><title>{escape(label)}</title>'
    ]
    if values:
        v_max = max(max(values), 1e-9)
        n = len(values)
        xs = [2 + (width - 4) * (i / max(n - 1, 1)) for i in range(n)]
        ys = [height - 3 - (height - 6) * (v / v_max) for v in values]
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y in zip(xs, ys, strict=True))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[1]}" stroke-width="1.6"/>')
        parts.append(f'<circle cx="{_num(xs[-1])}" cy="{_num(ys[-1])}" r="2.2" fill="{PALETTE[2]}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
