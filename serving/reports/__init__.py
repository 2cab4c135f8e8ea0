"""Reports for service directors: one self-contained HTML file in French (charts as inline SVG, no network).

    from serving.reports import ReportRequest, from_store, history_start, make_report

    request = ReportRequest(start=date(2026, 1, 5), end=date(2026, 4, 26), out=Path("rapport.html"))
    data = from_store(db, history_start=history_start(request.start, "week", config), end=request.end)
    result = make_report(request, data, config=config, registry=registry)   # result.run.registry: keep it

`sources` loads the calls (store, or a calls export + its reclassification output), `generate` runs the monitoring
and writes the file, `content` decides what the report says (pure), `render` + `templates/` draw it, `charts` draws
the SVG. See docs/REPORTS.md.
"""

from serving.reports.content import ClusterView, Coverage, Fact, ReportContent, build_report, review_link, synthesis
from serving.reports.errors import InvalidReportInput, InvalidReportOptions, NoCallsInRange, ReportError
from serving.reports.generate import (
    ReportRequest,
    ReportResult,
    ReportSources,
    history_start,
    make_report,
    report_taxonomy,
    run_report,
)
from serving.reports.render import render_report
from serving.reports.sources import MonitoringInput, choose_model_version, from_files, from_store, local_bounds

__all__ = [
    "ClusterView",
    "Coverage",
    "Fact",
    "InvalidReportInput",
    "InvalidReportOptions",
    "MonitoringInput",
    "NoCallsInRange",
    "ReportContent",
    "ReportError",
    "ReportRequest",
    "ReportResult",
    "ReportSources",
    "build_report",
    "choose_model_version",
    "from_files",
    "from_store",
    "history_start",
    "local_bounds",
    "make_report",
    "render_report",
    "report_taxonomy",
    "review_link",
    "run_report",
    "synthesis",
]
