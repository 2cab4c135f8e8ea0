"""`Redactor`: the redaction step as a scikit-learn transformer, usable alone or first in a `Pipeline`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from pipeline.errors import RedactionConfigError, RedactionInputError
from pipeline.redaction.config import NER_MODES, PatternConfig, describe_validation_error, load_config
from pipeline.redaction.engine import Engine, EngineKey, cached_engine
from pipeline.redaction.spans import PII_TYPES, Span, apply

PatternSpec = Mapping[str, str] | tuple[str, str]


class Redactor(TransformerMixin, BaseEstimator):
    """Replace French personal data in texts by tags (`<NOM>`, `<TEL>`, `<NIR>`, `<IBAN>`, `<CARTE>`, `<EMAIL>`,
    `<ADRESSE>`, `<DATE_NAISSANCE>`, `<NUM_DOSSIER>`, `<IMMAT>`).

    Parameters (all optional; `None` takes the value of the YAML configuration):
    - `types`: the types to redact, e.g. `["NIR", "IBAN", "TEL"]`.
    - `use_ner`: `"off"`, `"gated"` (spaCy NER only on notes holding an unexplained capitalised word) or `"always"`;
      `True`/`False` mean `"always"`/`"off"`.
    - `site`: name of a site block of the configuration whose extra patterns apply.
    - `extra_patterns`: more patterns, each `{"type": "NUM_DOSSIER", "regex": "..."}` or `(type, regex)`.
    - `config`: path of a YAML file replacing the shipped `default.yaml`.

    Stateless: it is usable without `fit` (`fit` only validates the parameters). `transform` takes a list (or any
    iterable) of strings, never a single string, and returns a list of strings. Redaction is idempotent.
    """

    def __init__(
        self,
        *,
        types: Sequence[str] | None = None,
        use_ner: str | bool | None = None,
        site: str | None = None,
        extra_patterns: Sequence[PatternSpec] | None = None,
        config: str | Path | None = None,
    ) -> None:
        self.types = types
        self.use_ner = use_ner
        self.site = site
        self.extra_patterns = extra_patterns
        self.config = config

    # ------------------------------------------------------------------ scikit-learn contract
    def fit(self, X: Iterable[str] | None = None, y: object = None) -> Redactor:
        key = self._key()
        self.types_ = key.types
        self.use_ner_ = key.use_ner
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        check_is_fitted(self)
        return self._engine().redact_many(_as_texts(X))

    def __sklearn_is_fitted__(self) -> bool:
        return True  # nothing is learnt: the parameters are the whole state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    # ------------------------------------------------------------------ direct use
    def redact(self, text: str) -> str:
        """One text, redacted."""
        return self._engine().redact_many([_as_text(text)])[0]

    def find_spans(self, text: str) -> list[Span]:
        """The personal data found in `text` (sorted, non-overlapping), in the text's own coordinates."""
        return self._engine().find_spans_many([_as_text(text)])[0]

    def find_spans_many(self, texts: Iterable[str]) -> list[list[Span]]:
        return self._engine().find_spans_many(_as_texts(texts))

    def redact_with_counts(self, texts: Iterable[str]) -> tuple[list[str], Counter[str]]:
        """Redacted texts and how many spans of each type were replaced (counts only, never the text)."""
        values = _as_texts(texts)
        spans = self._engine().find_spans_many(values)
        counts: Counter[str] = Counter(span.type for found in spans for span in found)
        return [apply(text, found) for text, found in zip(values, spans, strict=True)], counts

    # ------------------------------------------------------------------ parameters
    def _engine(self) -> Engine:
        return cached_engine(self._key())

    def _key(self) -> EngineKey:
        config_path = None if self.config is None else str(self.config)
        config = load_config(config_path)
        if self.types is None:
            types = config.types
        else:
            if isinstance(self.types, str):
                raise RedactionConfigError("types : une liste de types était attendue, pas une chaîne")
            unknown = sorted(set(self.types) - set(PII_TYPES))
            if unknown:
                raise RedactionConfigError(
                    f"types : type(s) inconnu(s) {', '.join(map(str, unknown))} (attendu : {', '.join(PII_TYPES)})"
                )
            types = tuple(self.types)
        use_ner = _ner_mode(self.use_ner, config.use_ner)
        if self.site is not None and self.site not in config.sites:
            known = ", ".join(sorted(config.sites)) or "aucun"
            raise RedactionConfigError(f"site « {self.site} » absent de la configuration (sites connus : {known})")
        return EngineKey(
            config_path=config_path,
            types=tuple(sorted(set(types))),
            use_ner=use_ner,
            site=self.site,
            extra_patterns=tuple(_pattern(p, k) for k, p in enumerate(self.extra_patterns or ())),
        )


def _ner_mode(value: str | bool | None, default: str) -> Any:
    if value is None:
        return default
    if value is True:
        return "always"
    if value is False:
        return "off"
    if value not in NER_MODES:
        raise RedactionConfigError(f"use_ner : « {value} » reçu, attendu : {', '.join(NER_MODES)}, True ou False")
    return value


def _pattern(spec: PatternSpec, index: int) -> tuple[str, str]:
    raw = {"type": spec[0], "regex": spec[1]} if isinstance(spec, tuple) else dict(spec)
    try:
        pattern = PatternConfig.model_validate(raw)
    except ValidationError as exc:
        raise RedactionConfigError(f"extra_patterns[{index}] : {describe_validation_error(exc)}") from None
    return pattern.type, pattern.regex


def _as_text(value: object) -> str:
    if not isinstance(value, str):
        raise RedactionInputError(f"un texte (str) était attendu, reçu : {type(value).__name__}")
    return value


def _as_texts(values: Iterable[str]) -> list[str]:
    """The texts of `values`; a single string is refused (it would be redacted character by character)."""
    if isinstance(values, str | bytes):
        raise RedactionInputError("une liste de textes était attendue, une seule chaîne a été reçue")
    texts: list[str] = []
    for number, value in enumerate(values, start=1):
        if value is None:
            texts.append("")
        elif isinstance(value, str):
            texts.append(value)
        else:
            kind = type(value).__name__
            raise RedactionInputError(f"élément n° {number} : un texte (str) était attendu, reçu : {kind}")
    return texts
