"""Review of emerging clusters, and the monitoring job that feeds it (`motifs emerging`).

- `emerging`: read calls + predictions (files or store), run `serving.monitoring` from the stored cluster registry,
  save the registry, per-period snapshots and the run;
"""

from serving.review.emerging import (
    EmergingInput,
    EmergingOutcome,
    calls_from_files,
    calls_from_store,
    monitor_emerging,
    registry_from_records,
    run_emerging,
)

__all__ = [
    "EmergingInput",
    "EmergingOutcome",
    "calls_from_files",
    "calls_from_store",
    "monitor_emerging",
    "registry_from_records",
    "run_emerging",
]
