"""A cluster's trend as an inline SVG bar chart, built server-side (no JavaScript library, no network).

Accessible: `role="img"` with a title and a description giving every value; the page shows the same values in a
table. Colours come from SVG presentation attributes (no inline style: the pages' CSP forbids it) and reach a 4.5:1
contrast on white.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR = "#1f4e8c"  # 8.2:1 on white
LAST = "#a33d00"  # the latest period, 6.1:1 on white
TEXT = "#1a1a1a"
AXIS = "#595959"


def trend_svg(
    points: Sequence[tuple[str, int]], *, title: str, chart_id: str, width: int = 520, height: int = 170
) -> str:
    """Bars of `points` (period label, calls), oldest left; first, middle and last labels under the axis."""
    left, right, top, bottom = 36, 8, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((value for _, value in points), default=0)
    scale = max(peak, 1)
    n = max(len(points), 1)
    step = plot_w / n
    bar_w = max(step * 0.7, 1.0)
    described = ", ".join(f"{label} : {value}" for label, value in points) or "aucune donnée"
    parts = [
        f'<svg class="trend" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-t '
        f'{escape(chart_id)}-d" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg" focusable="false">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">Appels par période : {escape(described)}.</desc>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{AXIS}" '
        'stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="{TEXT}">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11" fill="{TEXT}">0</text>',
    ]
    for index, (label, value) in enumerate(points):
        h = plot_h * value / scale
        x = left + index * step + (step - bar_w) / 2
        colour = LAST if index == len(points) - 1 else BAR
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{escape(label)} : {value}</title></rect>"
        )
    shown = sorted({0, len(points) // 2, len(points) - 1}) if points else []
    if len(shown) == 3:  # the middle label only when it does not run into the first or the last one
        label_w = 6.5 * max(len(label) for label, _ in points)  # 11 px text: about 6.5 px a character
        middle = left + shown[1] * step + step / 2
        if middle - label_w / 2 < left + label_w + 4 or middle + label_w / 2 > width - right - label_w - 4:
            shown = [shown[0], shown[2]]
    for index in shown:
        label = points[index][0]
        x = left + index * step + step / 2
        # The first and last labels align on the plot's edges, so that they are never cut on a narrow chart.
        anchor = "start" if index == 0 else "end" if index == len(points) - 1 else "middle"
        x = left if anchor == "start" else width - right if anchor == "end" else x
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="{anchor}" font-size="11" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
