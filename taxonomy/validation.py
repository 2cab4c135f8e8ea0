"""Semantic checks of taxonomies, lineages of versions and site extensions.

Every check returns the full list of `ValidationIssue`s (one readable line each), never stops at the first. Checks
are pure: loading files and turning YAML/schema errors into issues is `taxonomy.yaml_io`'s job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import PurePath

from taxonomy.errors import ValidationIssue
from taxonomy.schema import AUTRE, ChangeKind, SiteExtension, Status, Taxonomy
from taxonomy.versions import version_key

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceMap:
    """Where things are in a file: a display name and the line of each YAML node, keyed by its path."""

    file: str
    lines: Mapping[Loc, int] = field(default_factory=dict)

    def line(self, *loc: str | int) -> int | None:
        """Line of the deepest known node on the path `loc` (None for objects built in memory)."""
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return None


Report = Callable[..., None]


def _reporter(issues: list[ValidationIssue], source: SourceMap) -> Report:
    def report(problem: str, expected: str = "", *, code: str | None = None, loc: Loc = ()) -> None:
        issues.append(ValidationIssue(source.file, problem, expected, code, source.line(*loc)))

    return report


def _listing(codes: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f"… ({len(codes)} au total)" if len(codes) > limit else "")


def find_cycles(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each cycle of a directed graph once, as the list of its codes starting from the smallest."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                start = cycle.index(min(cycle))
                canonical = tuple(cycle[start:] + cycle[:start])
                if canonical not in seen:
                    seen.add(canonical)
                    cycles.append(list(canonical))
            elif nxt in edges and state.get(nxt) is None:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in edges:
        if state.get(node) is None:
            visit(node, [])
    return cycles


def _by_line(issues: list[ValidationIssue]) -> list[ValidationIssue]:
    return sorted(issues, key=lambda issue: issue.line or 0)  # stable: same-line issues keep their order


def _chain(cycle: list[str]) -> str:
    return " → ".join([*cycle, cycle[0]])


# --- one taxonomy


def _report_parent_cycles(
    parents: Mapping[str, Sequence[str | None]], first: Mapping[str, int], report: Report
) -> set[str]:
    """Report each cycle among local parents once; the codes on a cycle (their other parent checks are moot)."""
    cyclic: set[str] = set()
    for cycle in find_cycles({code: [p for p in ps if p] for code, ps in parents.items()}):
        cyclic.update(cycle)
        report(
            f"cycle dans les parents : {_chain(cycle)}",
            "une chaîne de parents qui aboutit à un code national",
            code=cycle[0],
            loc=("reasons", first[cycle[0]]),
        )
    return cyclic


def check_taxonomy(taxonomy: Taxonomy, source: SourceMap) -> list[ValidationIssue]:
    """Internal consistency of one version (national, or national + one site's local reasons)."""
    issues: list[ValidationIssue] = []
    report = _reporter(issues, source)
    domain_codes = [d.code for d in taxonomy.domains]

    if taxonomy.crosswalk is not None and version_key(taxonomy.crosswalk.from_version) >= version_key(taxonomy.version):
        report(
            f"crosswalk.from vaut {taxonomy.crosswalk.from_version}, qui n'est pas antérieure à la version "
            f"{taxonomy.version}",
            "la version immédiatement précédente, inférieure à celle du fichier",
            loc=("crosswalk", "from"),
        )

    seen_domains: set[str] = set()
    for index, domain in enumerate(taxonomy.domains):
        if domain.code in seen_domains:
            report(f"domaine « {domain.code} » en double", "un code de domaine unique", loc=("domains", index))
        seen_domains.add(domain.code)

    first: dict[str, int] = {}
    for index, reason in enumerate(taxonomy.reasons):
        loc: Loc = ("reasons", index)
        if reason.code not in first:
            first[reason.code] = index
            continue
        if reason.is_local != taxonomy.reasons[first[reason.code]].is_local:
            report(
                "code local identique à un code national",
                "un code propre au site, par ex. préfixé par le nom du site",
                code=reason.code,
                loc=loc,
            )
        else:
            report("code en double", "un code unique dans la version", code=reason.code, loc=loc)
    by_code = {code: taxonomy.reasons[index] for code, index in first.items()}

    if AUTRE not in by_code:
        report(
            "motif réservé « autre » absent",
            "un motif « autre » actif, filet de sécurité de toute base de motifs",
            loc=("reasons",),
        )
    elif not by_code[AUTRE].is_active or by_code[AUTRE].replaced_by or by_code[AUTRE].is_local:
        report(
            "le motif réservé ne peut être ni retiré, ni remplacé, ni local",
            "status: active, sans replaced_by",
            code=AUTRE,
            loc=("reasons", first[AUTRE]),
        )

    for index, reason in enumerate(taxonomy.reasons):
        loc = ("reasons", index)
        if not reason.is_local and reason.parent is not None:  # local parents are checked below
            report(
                "« parent » est réservé aux motifs locaux d'un site",
                "aucun parent pour un motif national, que son domaine range",
                code=reason.code,
                loc=(*loc, "parent"),
            )
        if reason.domain is None and reason.code != AUTRE:
            report("domaine absent", f"domain: un de {_listing(domain_codes)}", code=reason.code, loc=loc)
        elif reason.domain is not None and reason.domain not in seen_domains:
            report(
                f"domaine « {reason.domain} » inconnu",
                f"un domaine déclaré : {_listing(domain_codes)}",
                code=reason.code,
                loc=(*loc, "domain"),
            )
        if reason.is_active and reason.replaced_by:
            report(
                "motif actif avec « replaced_by »",
                "status: deprecated, ou replaced_by vide",
                code=reason.code,
                loc=(*loc, "replaced_by"),
            )
        for target in reason.replaced_by:
            if target == reason.code:
                report("se remplace lui-même", "des codes de remplacement différents", code=reason.code, loc=loc)
            elif target not in by_code:
                report(
                    f"replaced_by cite le code inconnu « {target} »",
                    "un code défini dans la même version",
                    code=reason.code,
                    loc=(*loc, "replaced_by"),
                )

    replacements = {code: [t for t in r.replaced_by if t in by_code and t != code] for code, r in by_code.items()}
    for cycle in find_cycles(replacements):
        report(
            f"cycle dans replaced_by : {_chain(cycle)}",
            "une chaîne de remplacement qui aboutit à des motifs actifs",
            code=cycle[0],
            loc=("reasons", first[cycle[0]]),
        )

    _check_aliases(taxonomy, first, report)
    _check_local_parents(taxonomy, by_code, first, report)
    return _by_line(issues)


def _check_aliases(taxonomy: Taxonomy, first: Mapping[str, int], report: Report) -> None:
    """An alias names one reason only: it may not be another reason's code, label or alias (compared like data
    labels are, without accents nor case)."""
    from taxonomy.labels import label_key

    owner: dict[str, str] = {}
    for reason in taxonomy.reasons:
        for name in (reason.code, reason.label):
            owner.setdefault(label_key(name), reason.code)
    for reason in taxonomy.reasons:
        for index, alias in enumerate(reason.aliases):
            key = label_key(alias)
            holder = owner.setdefault(key, reason.code)
            if holder != reason.code:
                report(
                    f"alias « {alias[:60]} » déjà le nom du motif « {holder} »",
                    "un alias propre à un seul motif",
                    code=reason.code,
                    loc=("reasons", first[reason.code], "aliases", index),
                )


def _check_local_parents(
    taxonomy: Taxonomy, by_code: Mapping[str, object], first: Mapping[str, int], report: Report
) -> None:
    local = {r.code: r for r in taxonomy.reasons if r.is_local}
    if not local:
        return
    parents = {code: [r.parent] for code, r in local.items() if r.parent in local}
    cyclic = _report_parent_cycles(parents, first, report)
    for code, reason in local.items():
        loc: Loc = ("reasons", first[code])
        if reason.parent is None:
            report("motif local sans parent", "parent: le code national sous lequel le compter", code=code, loc=loc)
        elif reason.parent not in by_code:
            report(f"parent « {reason.parent} » inconnu", "un code national ou local existant", code=code, loc=loc)
        elif reason.parent not in local and code not in cyclic:
            parent = taxonomy.get(reason.parent)
            if not parent.is_active or parent.code == AUTRE:
                report(
                    f"parent « {reason.parent} » retiré ou réservé",
                    "un code national actif autre que « autre »",
                    code=code,
                    loc=loc,
                )


# --- two consecutive versions

_ARITY: dict[ChangeKind, tuple[Callable[[int], bool], Callable[[int], bool], str]] = {
    ChangeKind.RENAME: (lambda n: n == 1, lambda n: n == 1, "1 code dans from, 1 code dans to"),
    ChangeKind.MERGE: (lambda n: n >= 2, lambda n: n == 1, "au moins 2 codes dans from, 1 code dans to"),
    ChangeKind.SPLIT: (lambda n: n == 1, lambda n: n >= 2, "1 code dans from, au moins 2 codes dans to"),
    ChangeKind.NEW: (lambda n: n == 0, lambda n: n >= 1, "from vide, au moins 1 code dans to"),
    ChangeKind.DEPRECATED: (lambda n: n >= 1, lambda n: n == 0, "au moins 1 code dans from, to vide"),
}


def check_step(previous: Taxonomy, current: Taxonomy, source: SourceMap) -> list[ValidationIssue]:
    """`current` follows `previous`: crosswalk present and coherent, no code deleted, every change declared."""
    issues: list[ValidationIssue] = []
    report = _reporter(issues, source)
    index = {code: i for i, code in reversed(list(enumerate(r.code for r in current.reasons)))}

    def reason_loc(code: str) -> Loc:
        return ("reasons", index[code]) if code in index else ("reasons",)

    if version_key(current.version) <= version_key(previous.version):
        report(
            f"version {current.version} placée après la version {previous.version}",
            "des versions strictement croissantes",
            loc=("version",),
        )

    for code in previous.codes:
        if code not in current:
            report(
                f"code de la version {previous.version} supprimé",
                "le garder avec status: deprecated et replaced_by : un code se retire, il ne se supprime jamais",
                code=code,
                loc=("reasons",),
            )
        elif not previous.get(code).is_active and current.get(code).is_active:
            report(
                f"code retiré en {previous.version} puis réactivé",
                "un code retiré le reste ; créer un nouveau code",
                code=code,
                loc=reason_loc(code),
            )

    crosswalk = current.crosswalk
    if crosswalk is None:
        report(
            "table de correspondance (crosswalk) absente",
            f"crosswalk.from: {previous.version} et la liste des changements",
            loc=("version",),
        )
        return issues
    if crosswalk.from_version != previous.version:
        report(
            f"crosswalk.from vaut {crosswalk.from_version}",
            f"la version immédiatement précédente, {previous.version}",
            loc=("crosswalk", "from"),
        )

    origin_of: dict[str, int] = {}
    declared_targets: set[str] = set()
    for number, change in enumerate(crosswalk.changes, start=1):
        loc: Loc = ("crosswalk", "changes", number - 1)
        what = f"changement n°{number} ({change.kind.label})"
        from_ok, to_ok, arity = _ARITY[change.kind]
        if not (from_ok(len(change.from_codes)) and to_ok(len(change.to_codes))):
            report(f"{what} : nombre de codes incorrect", arity, loc=loc)
        for code in change.from_codes:
            if code not in previous:
                report(
                    f"{what} : code absent de la version {previous.version}",
                    "un code de la version précédente",
                    code=code,
                    loc=loc,
                )
                continue
            if not previous.get(code).is_active:
                report(
                    f"{what} : code déjà retiré en {previous.version}",
                    "un code actif de la version précédente",
                    code=code,
                    loc=loc,
                )
            if code in origin_of:
                report(
                    f"{what} : code déjà cité par le changement n°{origin_of[code]}",
                    "un seul changement par code d'origine",
                    code=code,
                    loc=loc,
                )
            origin_of.setdefault(code, number)
            if code not in current:
                continue  # reported as deleted
            reason = current.get(code)
            if reason.is_active and code not in change.to_codes:
                report(
                    f"{what} : code d'origine toujours actif",
                    "status: deprecated dans cette version",
                    code=code,
                    loc=reason_loc(code),
                )
            elif not reason.is_active and set(reason.replaced_by) != set(change.to_codes):
                expected = ", ".join(change.to_codes) or "vide"
                report(
                    f"replaced_by [{', '.join(reason.replaced_by)}] incohérent avec le {what}",
                    f"replaced_by: [{expected}]",
                    code=code,
                    loc=reason_loc(code),
                )
        for code in change.to_codes:
            declared_targets.add(code)
            if code not in current:
                report(
                    f"{what} : code absent de la version {current.version}",
                    "un code défini dans reasons",
                    code=code,
                    loc=loc,
                )
            elif not current.get(code).is_active:
                report(f"{what} : code cible retiré", "un code actif", code=code, loc=loc)
            if change.kind is ChangeKind.NEW and code in previous:
                report(
                    f"{what} : code déjà présent en {previous.version}",
                    "un code qui n'existait pas",
                    code=code,
                    loc=loc,
                )

    for code in current.codes:
        reason = current.get(code)
        if reason.is_local:
            continue
        if code in previous:
            if previous.get(code).is_active and not reason.is_active and code not in origin_of:
                report(
                    "code retiré sans entrée dans la table de correspondance",
                    "un changement rename, merge, split ou deprecated partant de ce code",
                    code=code,
                    loc=reason_loc(code),
                )
        elif code not in declared_targets:
            report(
                "nouveau code absent de la table de correspondance",
                "un changement new, rename, merge ou split qui le cite dans to",
                code=code,
                loc=reason_loc(code),
            )
    return _by_line(issues)


# --- a lineage of versions


def check_lineage(entries: Sequence[tuple[Taxonomy, SourceMap]]) -> list[ValidationIssue]:
    """Versions of each taxonomy id, in semver order: unique, named after their version, chained by crosswalks."""
    issues: list[ValidationIssue] = []
    by_id: dict[str, list[tuple[Taxonomy, SourceMap]]] = {}
    for taxonomy, source in entries:
        by_id.setdefault(taxonomy.id, []).append((taxonomy, source))
    for group in by_id.values():
        group.sort(key=lambda entry: version_key(entry[0].version))
        kept: list[tuple[Taxonomy, SourceMap]] = []
        for taxonomy, source in group:
            report = _reporter(issues, source)
            name = PurePath(source.file).name
            if name.startswith("v") and name.removeprefix("v").rsplit(".", 1)[0] != taxonomy.version:
                report(
                    f"fichier {name} pour la version {taxonomy.version}",
                    f"un fichier nommé v{taxonomy.version}.yaml",
                    loc=("version",),
                )
            if kept and kept[-1][0].version == taxonomy.version:
                report(
                    f"version {taxonomy.version} déjà définie par {kept[-1][1].file}",
                    "une seule version par fichier",
                    loc=("version",),
                )
                continue
            kept.append((taxonomy, source))
        first, first_source = kept[0]
        crosswalk = first.crosswalk
        if crosswalk is not None and version_key(crosswalk.from_version) < version_key(first.version):
            _reporter(issues, first_source)(
                f"première version de la lignée, mais crosswalk.from cite la version {crosswalk.from_version}",
                f"le fichier de la version {crosswalk.from_version} à côté, ou pas de crosswalk",
                loc=("crosswalk", "from"),
            )
        for (previous, _), (current, source) in pairwise(kept):
            issues.extend(check_step(previous, current, source))
    return issues


# --- a site extension


def check_site(extension: SiteExtension, nationals: Sequence[Taxonomy], source: SourceMap) -> list[ValidationIssue]:
    """Local reasons against every national version they extend: parent chain, clashes, replacements."""
    issues: list[ValidationIssue] = []
    report = _reporter(issues, source)
    for national in nationals:
        if national.id != extension.extends.taxonomy or national.version not in extension.extends.versions:
            report(
                f"l'extension ne déclare pas étendre {national.ref}",
                f"extends.taxonomy: {national.id} et {national.version} dans extends.versions",
                loc=("extends",),
            )

    first: dict[str, int] = {}
    for index, reason in enumerate(extension.reasons):
        if reason.code in first:
            report("code en double", "un code unique dans l'extension", code=reason.code, loc=("reasons", index))
        first.setdefault(reason.code, index)
    local = {code: extension.reasons[index] for code, index in first.items()}

    parent_edges = {code: [r.parent] for code, r in local.items() if r.parent in local and r.parent != code}
    cyclic = _report_parent_cycles(parent_edges, first, report)

    for code, reason in local.items():
        loc: Loc = ("reasons", first[code])
        if code == AUTRE:
            report("code réservé à la base nationale", "un code propre au site", code=code, loc=loc)
        for national in nationals:
            if code in national:
                report(
                    f"code identique à un code national de {national.ref}",
                    "un code propre au site, par ex. préfixé par le nom du site",
                    code=code,
                    loc=loc,
                )
        if reason.parent is None:
            report(
                "motif local sans parent",
                "parent: le code national, ou local, sous lequel le compter",
                code=code,
                loc=loc,
            )
        elif reason.parent == code:
            report("motif parent de lui-même", "un autre code, national ou local", code=code, loc=(*loc, "parent"))
        elif reason.parent not in local and code not in cyclic:
            for national in nationals:
                _check_national_parent(reason.parent, national, code, (*loc, "parent"), report)
        if reason.status is Status.ACTIVE and reason.replaced_by:
            report(
                "motif actif avec « replaced_by »",
                "status: deprecated, ou replaced_by vide",
                code=code,
                loc=(*loc, "replaced_by"),
            )
        for target in reason.replaced_by:
            if target not in local and not all(target in national for national in nationals):
                report(
                    f"replaced_by cite le code inconnu « {target} »",
                    "un code local ou national existant",
                    code=code,
                    loc=(*loc, "replaced_by"),
                )
    return _by_line(issues)


def _check_national_parent(parent: str, national: Taxonomy, code: str, loc: Loc, report: Report) -> None:
    if parent not in national:
        report(
            f"parent « {parent} » inconnu dans {national.ref}",
            "un code national existant ou un code local du site",
            code=code,
            loc=loc,
        )
        return
    reason = national.get(parent)
    if parent == AUTRE:
        report(
            "rattaché à « autre »",
            "un motif national précis : « autre » doit rester un signal à surveiller",
            code=code,
            loc=loc,
        )
    elif not reason.is_active:
        successors = ", ".join(national.successors(parent)) or "aucun successeur"
        report(
            f"parent « {parent} » retiré dans {national.ref} (remplacé par : {successors})",
            "un code national actif dans chaque version étendue",
            code=code,
            loc=loc,
        )
