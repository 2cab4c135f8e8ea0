"""The shared, versioned base of call reasons: data files, schema, loader, validation, crosswalks, site extensions.

Imports nothing of ours. Other packages import only the names re-exported here.
"""

from taxonomy.crosswalk import (
    AppliedChange,
    CodeMigration,
    MigrationPlan,
    MigrationResult,
    MigrationStatus,
    migrate_codes,
    plan_migration,
)
from taxonomy.diff import TaxonomyDiff, diff_taxonomies
from taxonomy.errors import (
    EmptyLabelSet,
    InvalidTaxonomyRef,
    MigrationError,
    TaxonomyError,
    TaxonomyNotFound,
    TaxonomyValidationError,
    UnknownReasonCode,
    UnsupportedExportFormat,
    ValidationIssue,
)
from taxonomy.export import export_records, export_taxonomy
from taxonomy.from_data import codes_for_labels, taxonomy_from_labels, write_taxonomy_from_labels
from taxonomy.loader import (
    NATIONAL,
    ValidationReport,
    list_sites,
    list_versions,
    load_lineage,
    load_site,
    load_taxonomy,
    validate_paths,
)
from taxonomy.schema import (
    AUTRE,
    ChangeKind,
    Crosswalk,
    CrosswalkChange,
    Domain,
    Reason,
    Segment,
    SelfService,
    SiteExtension,
    SiteReason,
    Status,
    Taxonomy,
)
from taxonomy.yaml_io import write_taxonomy

__all__ = [
    "AUTRE",
    "NATIONAL",
    "AppliedChange",
    "ChangeKind",
    "CodeMigration",
    "Crosswalk",
    "CrosswalkChange",
    "Domain",
    "EmptyLabelSet",
    "InvalidTaxonomyRef",
    "MigrationError",
    "MigrationPlan",
    "MigrationResult",
    "MigrationStatus",
    "Reason",
    "Segment",
    "SelfService",
    "SiteExtension",
    "SiteReason",
    "Status",
    "Taxonomy",
    "TaxonomyDiff",
    "TaxonomyError",
    "TaxonomyNotFound",
    "TaxonomyValidationError",
    "UnknownReasonCode",
    "UnsupportedExportFormat",
    "ValidationIssue",
    "ValidationReport",
    "codes_for_labels",
    "diff_taxonomies",
    "export_records",
    "export_taxonomy",
    "list_sites",
    "list_versions",
    "load_lineage",
    "load_site",
    "load_taxonomy",
    "migrate_codes",
    "plan_migration",
    "taxonomy_from_labels",
    "validate_paths",
    "write_taxonomy",
    "write_taxonomy_from_labels",
]
