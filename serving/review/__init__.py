"""Review of emerging clusters, and the monitoring job that feeds it.

- `emerging`: `motifs emerging` as a library — read calls + predictions (files or the store), run
  `serving.monitoring` from the stored cluster registry, save the registry, per-period snapshots and the run;
- `workflow`: list / show clusters, and the analyst's decisions — create a reason (draft taxonomy version), attach
  to a reason (reviewed training examples), dismiss — stored with who and when;
- `charts`: a cluster's trend as inline SVG for the review pages (the HTML report has its own `reports.charts`).
"""

from serving.review.charts import trend_svg
from serving.review.emerging import (
    EmergingInput,
    EmergingOutcome,
    calls_from_files,
    calls_from_store,
    monitor_emerging,
    registry_from_records,
    run_emerging,
)
from serving.review.workflow import (
    ClusterList,
    ClusterView,
    DecisionOutcome,
    TaxonomyContext,
    TrendPoint,
    attach_cluster,
    check_reviewer,
    create_reason,
    dismiss_cluster,
    list_clusters,
    resolve_scope,
    show_cluster,
    taxonomy_context,
)

__all__ = [
    "ClusterList",
    "ClusterView",
    "DecisionOutcome",
    "EmergingInput",
    "EmergingOutcome",
    "TaxonomyContext",
    "TrendPoint",
    "attach_cluster",
    "calls_from_files",
    "calls_from_store",
    "check_reviewer",
    "create_reason",
    "dismiss_cluster",
    "list_clusters",
    "monitor_emerging",
    "registry_from_records",
    "resolve_scope",
    "run_emerging",
    "show_cluster",
    "taxonomy_context",
    "trend_svg",
]
