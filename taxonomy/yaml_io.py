"""Reading and writing taxonomy YAML: line numbers for every node, duplicate keys refused, schema errors in French.

`validate_model` turns pydantic's errors into `ValidationIssue`s (file, line, code, field, what was expected), so a
broken file yields one readable line per problem instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from taxonomy.errors import TaxonomyValidationError, ValidationIssue
from taxonomy.schema import CODE_EXPECTED, ChangeKind, Segment, Status, Taxonomy
from taxonomy.validation import Loc, SourceMap
from taxonomy.versions import SEMVER_EXPECTED

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class ParsedYaml:
    data: Any
    source: SourceMap


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(key)
        self.key = key
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: yaml.SafeLoader, node: MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str | int) and key in seen:
            raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
        seen.add(key)
    return loader.construct_mapping(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def display_name(path: Path) -> str:
    """Path shown in messages: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> ParsedYaml:
    """Parse one YAML file; unreadable files and syntax errors raise `TaxonomyValidationError` with the line."""
    name = display_name(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise TaxonomyValidationError([ValidationIssue(name, "fichier introuvable", "un fichier YAML")]) from None
    except UnicodeDecodeError:
        raise TaxonomyValidationError(
            [ValidationIssue(name, "fichier non lisible en UTF-8", "du YAML en UTF-8")]
        ) from None
    except OSError as exc:
        issue = ValidationIssue(name, f"lecture impossible ({type(exc).__name__})", "un fichier lisible")
        raise TaxonomyValidationError([issue]) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _DuplicateKey as exc:
        issue = ValidationIssue(name, f"clé « {exc.key[:40]} » en double", "chaque clé une seule fois", line=exc.line)
        raise TaxonomyValidationError([issue]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = f"syntaxe YAML invalide (colonne {mark.column + 1})" if mark else "syntaxe YAML invalide"
        expected = "du YAML valide ; un texte contenant « : » ou commençant par « [ » se met entre guillemets"
        issue = ValidationIssue(name, problem, expected, line=mark.line + 1 if mark else None)
        raise TaxonomyValidationError([issue]) from None
    except yaml.YAMLError:
        raise TaxonomyValidationError([ValidationIssue(name, "syntaxe YAML invalide", "du YAML valide")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        issue = ValidationIssue(name, "le document n'est pas un bloc clé: valeur", "taxonomy:, version:, reasons: …")
        raise TaxonomyValidationError([issue])
    lines: dict[Loc, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return ParsedYaml(data, SourceMap(file=name, lines=lines))


def _collect_lines(node: Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                child = (*loc, key_node.value)
                lines[child] = key_node.start_mark.line + 1
                _collect_lines(value_node, child, lines)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*loc, index), lines)


# --- schema errors in French

_TYPE_NAMES: dict[type, str] = {
    str: "du texte",
    int: "un nombre",
    float: "un nombre",
    bool: "un booléen",
    list: "une liste",
    dict: "un bloc clé: valeur",
    date: "une date",
    type(None): "une valeur vide",
}
_ENUMS: dict[str, type[StrEnum]] = {"segments": Segment, "status": Status, "kind": ChangeKind}
_VERSION_FIELDS = {"version", "versions", "from"}


def _received(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), "une autre valeur")


def _last_name(loc: tuple[Any, ...]) -> str:
    return next((part for part in reversed(loc) if isinstance(part, str)), "")


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(document)"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _translate(error: Any) -> tuple[str, str]:
    """(problem, expected) for one pydantic error."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    name = _last_name(error["loc"])
    if kind == "missing":
        return "champ obligatoire absent", "ce champ renseigné"
    if kind == "extra_forbidden":
        return "champ inconnu", "un champ du format décrit dans taxonomy/README.md"
    if kind == "enum":
        enum = _ENUMS.get(name)
        allowed = ", ".join(enum) if enum else str(ctx.get("expected", "")).replace(" or ", " ou ")
        return f"valeur « {_short(value)} » non autorisée", f"une de : {allowed}"
    if kind == "string_pattern_mismatch":
        if name in _VERSION_FIELDS:
            return f"version « {_short(value)} » invalide", SEMVER_EXPECTED
        if name == "url":
            return "adresse invalide", "une adresse en https://…"
        return f"code « {_short(value)} » invalide", CODE_EXPECTED
    if kind == "string_too_short":
        return "texte vide", "un texte non vide"
    if kind == "string_too_long":
        return "texte trop long", f"au plus {ctx.get('max_length')} caractères"
    if kind == "too_short":
        return "liste trop courte", f"au moins {ctx.get('min_length')} élément(s)"
    if kind == "string_type":
        return f"type incorrect (reçu : {_received(value)})", "du texte"
    if kind in {"tuple_type", "list_type"}:
        return f"type incorrect (reçu : {_received(value)})", "une liste"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return f"type incorrect (reçu : {_received(value)})", "un bloc clé: valeur"
    if kind.startswith("date"):
        return f"date invalide (reçu : {_received(value)})", "une date AAAA-MM-JJ"
    if kind == "value_error":
        return str(ctx.get("error", "valeur invalide")), ""
    return f"valeur invalide ({kind})", "une valeur conforme au format"


def schema_issues(error: ValidationError, data: Any, source: SourceMap) -> list[ValidationIssue]:
    issues = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        code = None
        if len(loc) >= 2 and loc[0] == "reasons" and isinstance(loc[1], int) and isinstance(data, dict):
            reasons = data.get("reasons")
            entry = reasons[loc[1]] if isinstance(reasons, list) and loc[1] < len(reasons) else None
            candidate = entry.get("code") if isinstance(entry, dict) else None
            code = candidate if isinstance(candidate, str) and len(candidate) <= 64 else None
        shown = _field_path(loc[2:]) if code and len(loc) > 2 else _field_path(loc)
        problem, expected = _translate(item)
        issues.append(ValidationIssue(source.file, f"champ « {shown} » : {problem}", expected, code, source.line(*loc)))
    return issues


def validate_model(model: type[Model], data: Any, source: SourceMap) -> Model:
    """Build `model` from `data`; schema and semantic problems raise one `TaxonomyValidationError` listing all."""
    try:
        return model.model_validate(data, context={"source": source})
    except ValidationError as exc:
        raise TaxonomyValidationError(schema_issues(exc, data, source)) from None


# --- writing


def dump_taxonomy(taxonomy: Taxonomy) -> str:
    """YAML text of a taxonomy in the file format `read_yaml` + `validate_model` read back."""
    data = taxonomy.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)


def write_taxonomy(taxonomy: Taxonomy, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_taxonomy(taxonomy), encoding="utf-8")
    return path
