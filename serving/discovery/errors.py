"""Errors of reason discovery. Messages name files, columns, row numbers and settings — never a note's text."""

from __future__ import annotations

from serving.errors import ServingError


class DiscoveryError(ServingError):
    """Base class of the discovery errors."""


class InvalidDiscoveryConfig(DiscoveryError):
    """The discovery settings (YAML or command options) are unreadable or out of range."""


class InvalidNotes(DiscoveryError):
    """The notes file cannot be used: missing column, no usable note, too few notes to cluster."""


class InvalidCuration(DiscoveryError):
    """A curation step does not fit the draft: unknown candidate, code clash, nothing left to publish…"""


class UnknownDraft(DiscoveryError):
    """No discovery draft of that name in the drafts folder (`MOTIFS_DISCOVERY_DIR`)."""


class StaleDraft(InvalidCuration):
    """The draft changed since the form was shown (another analyst, another tab): the step is refused."""


class DraftAlreadyPublished(InvalidCuration):
    """The draft was published: it is no longer curated (a new discovery starts a new draft)."""
