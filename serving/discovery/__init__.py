"""Reason discovery (« cartographie des motifs »): unlabelled notes → a draft taxonomy and per-note assignments.

`run_discovery` (behind `motifs discover`) reads and redacts an export, `discover_reasons` clusters the notes into
candidate reasons grouped in domains and names them, `draft_taxonomy` writes them as a taxonomy version of our schema
without a release date. Design and measurements: docs/DISCOVERY.md.
"""

from serving.discovery.config import DiscoveryConfig, load_config
from serving.discovery.discover import Candidate, Discovery, DomainGroup, Quality, discover_reasons
from serving.discovery.draft import candidate_codes, draft_taxonomy
from serving.discovery.errors import DiscoveryError, InvalidCuration, InvalidDiscoveryConfig, InvalidNotes
from serving.discovery.notes import NotesRead, read_notes
from serving.discovery.run import DiscoverOptions, DiscoverOutcome, run_discovery

__all__ = [
    "Candidate",
    "DiscoverOptions",
    "DiscoverOutcome",
    "Discovery",
    "DiscoveryConfig",
    "DiscoveryError",
    "DomainGroup",
    "InvalidCuration",
    "InvalidDiscoveryConfig",
    "InvalidNotes",
    "NotesRead",
    "Quality",
    "candidate_codes",
    "discover_reasons",
    "draft_taxonomy",
    "load_config",
    "read_notes",
    "run_discovery",
]
