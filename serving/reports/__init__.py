"""Reports for service directors: one self-contained HTML file in French (charts as inline SVG, no network).

    from serving.reports import ReportRequest, ReportSources, run_report

    request = ReportRequest(start=date(2026, 1, 5), end=date(2026, 4, 26), out=Path("rapport.html"))
    result = run_report(request, ReportSources(database_url="sqlite:///motifs-data/motifs.db"))

`generate` loads the calls and runs the monitoring exactly as `motifs emerging` does (`serving.review.emerging`:
same loaders, the store's cluster registry, saved back), `content` decides what the report says (pure), `render` +
`templates/` draw it, `charts` draws the SVG. See docs/REPORTS.md.
"""

from serving.reports.calibration import (
    AutreCalibration,
    calibration_from_manifest,
    read_calibration,
    stored_calibration,
)
from serving.reports.content import ClusterView, Coverage, Fact, ReportContent, build_report, review_link, synthesis
from serving.reports.errors import InvalidReportInput, InvalidReportOptions, NoCallsInRange, ReportError
from serving.reports.generate import (
    ReportRequest,
    ReportResult,
    ReportSources,
    first_day_read,
    make_report,
    report_taxonomy,
    run_report,
)
from serving.reports.render import render_report

__all__ = [
    "AutreCalibration",
    "ClusterView",
    "Coverage",
    "Fact",
    "InvalidReportInput",
    "InvalidReportOptions",
    "NoCallsInRange",
    "ReportContent",
    "ReportError",
    "ReportRequest",
    "ReportResult",
    "ReportSources",
    "build_report",
    "calibration_from_manifest",
    "first_day_read",
    "make_report",
    "read_calibration",
    "render_report",
    "report_taxonomy",
    "review_link",
    "run_report",
    "stored_calibration",
    "synthesis",
]
