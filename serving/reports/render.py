"""`ReportContent` → one self-contained HTML page (Jinja2 templates of this package, CSS and SVG inlined).

Nothing in the page is fetched: no script at all, no web font, no image file, no stylesheet link. The only URLs
are the optional links to the review UI (given by the caller). Autoescaping is on: every text (keywords, examples,
messages, site names) is escaped; the SVG charts are built by `charts.py`, which escapes its own texts.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from serving.reports import formatting as fmt
from serving.reports.charts import Series, bar_chart, line_chart, sparkline
from serving.reports.content import ALL_SITES, MAX_AUTRE_LINES, ReportContent

TEMPLATE = "report.html"
STYLESHEET = "report.css"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("serving.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        count=fmt.count,
        pct=fmt.pct,
        decimal=fmt.decimal,
        ratio=fmt.ratio,
        points=fmt.points,
        date_fr=fmt.date_fr,
    )
    return env


def _charts(content: ReportContent) -> dict[str, Any]:
    labels = [p.short for p in content.periods]
    overall = [s for s in content.autre_series if s.group == ALL_SITES]
    sites = sorted((s for s in content.autre_series if s.group != ALL_SITES), key=lambda s: (-s.total_share, s.group))[
        :MAX_AUTRE_LINES
    ]
    drawn = [*overall, *sorted(sites, key=lambda s: s.group)]
    unit = fmt.unit(content.coverage.granularity)
    autre = line_chart(
        labels,
        [Series(s.group, s.shares) for s in drawn],
        title="Part des appels classés « autre » par " + unit,
        description=(
            f"Une ligne pour l'ensemble des appels et une par site ({', '.join(s.group for s in drawn[1:])}) ; "
            f"ligne horizontale : la cible de {fmt.pct(content.autre_target)}. Les valeurs sont dans le tableau "
            "qui suit."
        ),
        ident="graphique-autre",
        value_format=_axis_pct,
        target=content.autre_target,
        target_label=f"cible {fmt.pct(content.autre_target, 0)}",
        y_cap=1.0,  # a share: the axis stops at 100 %
    )
    reasons = bar_chart(
        [(f"{r.label}", float(r.calls)) for r in content.reasons],
        title="Appels par motif sur la période",
        description="Une barre par motif, du plus fréquent au moins fréquent ; les valeurs sont dans le tableau.",
        ident="graphique-motifs",
        value_format=fmt.count,
        highlight=[r.label for r in content.reasons if r.code == "autre"],
    )
    domains = bar_chart(
        [(d.label, float(d.calls)) for d in content.domains],
        title="Appels par domaine sur la période",
        description="Une barre par domaine de la base de motifs ; les valeurs sont dans le tableau.",
        ident="graphique-domaines",
        value_format=fmt.count,
        label_width=260,
    )
    first_unit = unit
    reason_sparks = {
        r.code: sparkline(
            [float(v) for v in r.per_period],
            label=f"Appels par {first_unit} : " + ", ".join(fmt.count(v) for v in r.per_period),
        )
        for r in content.reasons
    }
    cluster_sparks = {
        c.id: sparkline(
            [float(n) for _, n in c.trend],
            label=f"Appels du groupe par {first_unit} : " + ", ".join(fmt.count(n) for _, n in c.trend),
        )
        for c in (*content.clusters, *content.more_clusters)
    }
    return {
        "autre": autre,
        "reasons": reasons,
        "domains": domains,
        "reason_sparks": reason_sparks,
        "cluster_sparks": cluster_sparks,
        "forecasts": _forecast_charts(content),
    }


def _forecast_charts(content: ReportContent) -> dict[str, Markup]:
    """Per series: the last weeks observed, then the forecast and its 95 % band (lines; the table has the numbers)."""
    section = content.forecasts
    if section is None:
        return {}
    charts = {}
    for reason in section.reasons:
        past, future = len(reason.history), len(reason.rows)
        labels = [f"{start:%d/%m}" for start, _ in reason.history] + [f"{row.start:%d/%m}" for row in reason.rows]
        # the forecast lines start at the last observed week, so they join the history
        joint = [float(reason.history[-1][1])] if reason.history else []
        lead: list[float | None] = [None] * (past - len(joint))
        series = [
            Series("observé", [float(n) for _, n in reason.history] + [None] * future),
            Series("prévision", [*lead, *joint, *(row.forecast for row in reason.rows)]),
            Series("haut 95 %", [*lead, *joint, *(row.hi95 for row in reason.rows)]),
            Series("bas 95 %", [*lead, *joint, *(row.lo95 for row in reason.rows)]),
        ]
        charts[reason.code] = line_chart(
            labels,
            series,
            title=f"{reason.label} : appels par semaine et prévision",
            description=(
                f"{past} semaines observées puis {future} semaines prévues, avec les bornes de l'intervalle à 95 % ; "
                "les valeurs sont dans le tableau."
            ),
            ident=f"graphique-prevision-{reason.code}",
            value_format=fmt.count,
            height=240,
        )
    return charts


def _axis_pct(value: float) -> str:
    """Axis tick: « 5 % », « 2,5 % »."""
    whole = abs(value * 100 - round(value * 100)) < 1e-6
    return fmt.pct(value, 0 if whole else 1)


def render_report(content: ReportContent, *, version: str = "") -> str:
    """The report as one HTML document (UTF-8 text)."""
    env = _environment()
    css = resources.files("serving.reports").joinpath("templates", STYLESHEET).read_text(encoding="utf-8")
    return env.get_template(TEMPLATE).render(
        c=content,
        charts=_charts(content),
        css=Markup(css),
        version=version,
        fmt=fmt,
    )
