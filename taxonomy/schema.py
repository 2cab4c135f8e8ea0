"""The taxonomy's data model: domains, reasons, crosswalks, site extensions (immutable pydantic models).

A `Taxonomy` is always consistent: building one runs the semantic checks of `taxonomy.validation` and raises
`TaxonomyValidationError` with every issue found. Lists are tuples so that no one mutates a shared taxonomy.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from taxonomy.errors import TaxonomyValidationError, UnknownReasonCode
from taxonomy.versions import SEMVER_PATTERN

AUTRE = "autre"
"""The reserved catch-all code, present in every taxonomy."""

CODE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
CODE_EXPECTED = "minuscules, chiffres et « _ », commençant par une lettre, 64 caractères au plus"


def _number_as_text(value: Any) -> Any:
    # `version: 1.0` is a float in YAML; turn it back into text so the semver check can say what is wrong.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Version = Annotated[str, BeforeValidator(_number_as_text), StringConstraints(pattern=f"^{SEMVER_PATTERN}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Example = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s]+$", max_length=500)]


class Segment(StrEnum):
    """Segments of the DITP guide's call segmentation: what the caller is after."""

    INFORMATION = "information"
    DEMARCHE = "demarche"
    SUIVI_DOSSIER = "suivi_dossier"
    REASSURANCE = "reassurance"
    RECLAMATION = "reclamation"
    URGENCE = "urgence"
    ACCOMPAGNEMENT = "accompagnement"

    @property
    def label(self) -> str:
        return SEGMENT_LABELS[self]


SEGMENT_LABELS: dict[Segment, str] = {
    Segment.INFORMATION: "Information",
    Segment.DEMARCHE: "Démarche",
    Segment.SUIVI_DOSSIER: "Suivi de dossier",
    Segment.REASSURANCE: "Réassurance",
    Segment.RECLAMATION: "Réclamation",
    Segment.URGENCE: "Urgence",
    Segment.ACCOMPAGNEMENT: "Accompagnement",
}


class Status(StrEnum):
    ACTIVE = "active"
    DEPRECATED = "deprecated"


class ChangeKind(StrEnum):
    """Kinds of change a crosswalk declares between two consecutive versions."""

    RENAME = "rename"  # 1 → 1
    MERGE = "merge"  # n → 1
    SPLIT = "split"  # 1 → n
    NEW = "new"  # ∅ → 1..n
    DEPRECATED = "deprecated"  # 1..n → ∅ (retired without successor)

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self]


CHANGE_LABELS: dict[ChangeKind, str] = {
    ChangeKind.RENAME: "renommage",
    ChangeKind.MERGE: "fusion",
    ChangeKind.SPLIT: "scission",
    ChangeKind.NEW: "création",
    ChangeKind.DEPRECATED: "retrait",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Domain(_Frozen):
    """A parent domain grouping reasons (e.g. « Paiements et versements »)."""

    code: Code
    label: Label
    description: Text | None = None


class SelfService(_Frozen):
    """Where an agent can send the caller to do it alone next time."""

    hint: Text
    url: HttpsUrl | None = None


class Reason(_Frozen):
    """One call reason. National reasons have a `domain`; site-local ones a `parent` and a `site`."""

    code: Code
    label: Label
    domain: Code | None = None
    definition: Text
    segments: tuple[Segment, ...] = ()
    examples: tuple[Example, ...] = ()
    # Other names of this reason in data files (raw export labels, folded rare labels): `taxonomy.labels` maps
    # them, like the code and the label, to this code.
    aliases: tuple[Label, ...] = ()
    self_service: SelfService | None = None
    status: Status = Status.ACTIVE
    replaced_by: tuple[Code, ...] = ()
    parent: Code | None = None
    site: Code | None = None

    @property
    def is_active(self) -> bool:
        return self.status is Status.ACTIVE

    @property
    def is_local(self) -> bool:
        return self.site is not None


class CrosswalkChange(_Frozen):
    """One named change: `from` codes of the previous version become `to` codes of this one."""

    kind: ChangeKind
    from_codes: tuple[Code, ...] = Field(default=(), alias="from")
    to_codes: tuple[Code, ...] = Field(default=(), alias="to")
    note: Text | None = None


class Crosswalk(_Frozen):
    """Correspondence table from the immediately previous version (`from`) to the version holding it."""

    from_version: Version = Field(alias="from")
    changes: tuple[CrosswalkChange, ...] = ()


class SiteRef(_Frozen):
    """Which site extension a taxonomy was extended with."""

    id: Code
    version: Version


class SiteReason(_Frozen):
    """A reason added by one site, nested under a national code or another local code (`parent`)."""

    code: Code
    label: Label
    parent: Code | None = None  # required; checked by validation to give a readable error
    definition: Text
    segments: tuple[Segment, ...] = ()
    examples: tuple[Example, ...] = ()
    self_service: SelfService | None = None
    status: Status = Status.ACTIVE
    replaced_by: tuple[Code, ...] = ()


class Extends(_Frozen):
    taxonomy: Code
    versions: tuple[Version, ...] = Field(min_length=1)


class SiteExtension(_Frozen):
    """A site's local reasons and the national versions they extend (`taxonomy/data/sites/<site>.yaml`)."""

    id: Code = Field(alias="site")
    version: Version
    label: Label
    description: Text | None = None
    extends: Extends
    reasons: tuple[SiteReason, ...] = ()

    _source: Any = PrivateAttr(default=None)  # SourceMap of the file it was read from, for readable errors
    _origin: Path | None = PrivateAttr(default=None)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


class Taxonomy(_Frozen):
    """One version of a taxonomy (optionally extended with one site's local reasons)."""

    id: Code = Field(alias="taxonomy")
    version: Version
    label: Label
    description: Text | None = None
    released: date | None = None
    domains: tuple[Domain, ...]
    reasons: tuple[Reason, ...]
    crosswalk: Crosswalk | None = None
    site: SiteRef | None = None

    _by_code: dict[str, Reason] = PrivateAttr(default_factory=dict)
    _domains: dict[str, Domain] = PrivateAttr(default_factory=dict)
    _origin: Path | None = PrivateAttr(default=None)  # folder it was loaded from: its lineage lives there

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        # Imported here: validation works on these models, so it imports this module.
        from taxonomy.validation import SourceMap, check_taxonomy

        context = info.context or {}
        source = context.get("source") or SourceMap(file=self.ref)
        issues = check_taxonomy(self, source)
        if issues:
            raise TaxonomyValidationError(issues)
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._by_code = {}
        for reason in self.reasons:
            self._by_code.setdefault(reason.code, reason)
        self._domains = {domain.code: domain for domain in self.domains}

    def __repr__(self) -> str:
        return f"Taxonomy(ref={self.ref!r}, reasons={len(self.reasons)}, active={len(self.active_codes)})"

    __str__ = __repr__

    # --- identity
    @property
    def national_ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def ref(self) -> str:
        """`national@1.1.0`, or `national@1.1.0+metropole_lyon@1.0.0` when extended with a site."""
        return self.national_ref if self.site is None else f"{self.national_ref}+{self.site.id}@{self.site.version}"

    @property
    def origin(self) -> Path | None:
        """Folder the file was loaded from (None when built in memory); migrations find the lineage there."""
        return self._origin

    # --- lookups
    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Reason:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownReasonCode(
                f"code « {code[:64]} » absent de {self.ref} (attendu : un des {len(self._by_code)} codes de la base)"
            ) from None

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code, deprecated ones included, in file order."""
        return tuple(self._by_code)

    @property
    def active_codes(self) -> tuple[str, ...]:
        """Codes an agent or a model may assign today (« autre » included)."""
        return tuple(code for code, reason in self._by_code.items() if reason.is_active)

    @property
    def active_reasons(self) -> tuple[Reason, ...]:
        """Active reasons with label, definition and examples: what a classifier trains and describes with."""
        return tuple(reason for reason in self._by_code.values() if reason.is_active)

    @property
    def labels(self) -> dict[str, str]:
        """Label of every code (a new dict each call)."""
        return {code: reason.label for code, reason in self._by_code.items()}

    def domain(self, code: str) -> Domain:
        """The domain of a domain code."""
        try:
            return self._domains[code]
        except KeyError:
            raise UnknownReasonCode(f"domaine « {code[:64]} » absent de {self.ref}") from None

    def domain_of(self, code: str) -> Domain | None:
        """Domain of a reason (site-local reasons inherit their national parent's); None for « autre »."""
        domain = self.get(code).domain
        return self._domains[domain] if domain is not None else None

    def reasons_in(self, domain: str) -> tuple[Reason, ...]:
        return tuple(reason for reason in self._by_code.values() if reason.domain == domain)

    # --- hierarchy and succession
    def roll_up(self, code: str) -> str:
        """National code a code counts under: itself for a national code, its national ancestor for a local one."""
        reason = self.get(code)
        while reason.parent is not None:  # validation guarantees the chain is acyclic and ends nationally
            reason = self.get(reason.parent)
        return reason.code

    def successors(self, code: str) -> tuple[str, ...]:
        """Active codes that replace `code` in this version (following `replaced_by` chains); () if retired."""
        found: list[str] = []
        pending = [code]
        seen: set[str] = set()
        while pending:
            current = pending.pop(0)
            if current in seen:
                continue
            seen.add(current)
            reason = self.get(current)
            if reason.is_active:
                if current not in found:
                    found.append(current)
            else:
                pending.extend(reason.replaced_by)
        return tuple(found)

    def with_site(self, extension: SiteExtension) -> Taxonomy:
        """This version plus a site's local reasons (validated); national codes are untouched."""
        from taxonomy.sites import extend_with_site

        return extend_with_site(self, extension)
