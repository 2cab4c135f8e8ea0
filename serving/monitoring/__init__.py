"""Demand monitoring: « autre » share and alerts, « à confirmer » share (model quality), volume alerts on known
reasons, emerging reasons with stable ids.

Pure library code on pandas DataFrames (a CSV of predictions or the store's calls): see `calls` for the input
contract, `defaults.yaml` for every threshold, `results` for the JSON output, `docs/MONITORING.md` for the method.
"""

from serving.monitoring.autre import autre_alerts, autre_share_table, to_confirm_alerts
from serving.monitoring.calls import AUTRE, Granularity, prepare_calls
from serving.monitoring.config import MonitoringConfig, default_config, load_config
from serving.monitoring.emerging import detect_emerging, grade
from serving.monitoring.errors import InvalidCallsFrame, InvalidMonitoringConfig, InvalidRegistry, MonitoringError
from serving.monitoring.monitor import MonitoringRun, emerging_alerts, run_monitoring
from serving.monitoring.registry import ClusterRegistry, RegistryEntry
from serving.monitoring.results import Alert, EmergingCluster, MonitoringReport, PeriodReport, TrendPoint
from serving.monitoring.sources import calls_from_predictions, known_reasons, reason_labels
from serving.monitoring.text import (
    CachedLemmatizer,
    Lemmatizer,
    LookupLemmatizer,
    SimpleLemmatizer,
    SpacyLemmatizer,
    Tokens,
)
from serving.monitoring.volume import volume_alerts, volume_table

__all__ = [
    "AUTRE",
    "Alert",
    "CachedLemmatizer",
    "ClusterRegistry",
    "EmergingCluster",
    "Granularity",
    "InvalidCallsFrame",
    "InvalidMonitoringConfig",
    "InvalidRegistry",
    "Lemmatizer",
    "LookupLemmatizer",
    "MonitoringConfig",
    "MonitoringError",
    "MonitoringReport",
    "MonitoringRun",
    "PeriodReport",
    "RegistryEntry",
    "SimpleLemmatizer",
    "SpacyLemmatizer",
    "Tokens",
    "TrendPoint",
    "autre_alerts",
    "autre_share_table",
    "calls_from_predictions",
    "default_config",
    "detect_emerging",
    "emerging_alerts",
    "grade",
    "known_reasons",
    "load_config",
    "prepare_calls",
    "reason_labels",
    "run_monitoring",
    "to_confirm_alerts",
    "volume_alerts",
    "volume_table",
]
