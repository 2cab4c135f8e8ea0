"""Site extensions: a site adds local reasons under national codes; national figures roll them up to the parent.

A local reason's `parent` is a national code or another local code of the same site; following parents always ends
at an active national code (never « autre »), checked for every national version the site declares it extends.
A local reason inherits the domain of its national ancestor.
"""

from __future__ import annotations

from taxonomy.errors import TaxonomyValidationError, ValidationIssue
from taxonomy.schema import Reason, SiteExtension, SiteRef, Taxonomy
from taxonomy.validation import SourceMap, check_site


def extend_with_site(taxonomy: Taxonomy, extension: SiteExtension) -> Taxonomy:
    """`taxonomy` plus the site's local reasons; raises `TaxonomyValidationError` listing every problem."""
    source = extension._source if isinstance(extension._source, SourceMap) else SourceMap(file=extension.ref)
    if taxonomy.site is not None:
        issue = ValidationIssue(source.file, f"{taxonomy.ref} est déjà étendue par un site", "une base nationale")
        raise TaxonomyValidationError([issue])
    issues = check_site(extension, [taxonomy], source)
    if issues:
        raise TaxonomyValidationError(issues)

    local = {reason.code: reason for reason in extension.reasons}

    def national_ancestor(code: str) -> str:
        while code in local and local[code].parent is not None:
            code = str(local[code].parent)
        return code

    added = tuple(
        Reason(
            code=reason.code,
            label=reason.label,
            domain=taxonomy.get(national_ancestor(reason.code)).domain,
            definition=reason.definition,
            segments=reason.segments,
            examples=reason.examples,
            self_service=reason.self_service,
            status=reason.status,
            replaced_by=reason.replaced_by,
            parent=reason.parent,
            site=extension.id,
        )
        for reason in extension.reasons
    )
    data = dict(taxonomy)  # field name → value (already validated models)
    data.update(reasons=taxonomy.reasons + added, site=SiteRef(id=extension.id, version=extension.version))
    extended = Taxonomy.model_validate(data, context={"source": SourceMap(file=source.file)})
    extended._origin = taxonomy.origin
    return extended
