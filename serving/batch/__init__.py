"""Batch reclassification of historical calls, locally or on Spark, resumable and with a quarantine of bad rows.

`reclassify(ReclassifyOptions(...))` is the whole job (`motifs reclassify` is a thin layer over it). See
`serving.batch.run` for the steps, `serving.batch.journal` for what makes it crash-safe, `serving.batch.records` for
the output's columns and `serving.batch.scoring` for why the same note gives the same answer as the API.
"""

from serving.batch.inputs import BATCH_ERROR_LABELS, DEFAULT_MAX_CHARS
from serving.batch.records import OUTPUT_COLUMNS, QUARANTINE_COLUMNS, RESCORE_COLUMNS, TEXT_COLUMN
from serving.batch.run import DEFAULT_CHUNK_ROWS, ProgressHook, ReclassifyOptions, ReclassifySummary, reclassify

__all__ = [
    "BATCH_ERROR_LABELS",
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_MAX_CHARS",
    "OUTPUT_COLUMNS",
    "QUARANTINE_COLUMNS",
    "RESCORE_COLUMNS",
    "TEXT_COLUMN",
    "ProgressHook",
    "ReclassifyOptions",
    "ReclassifySummary",
    "reclassify",
]
