"""`Redactor` follows scikit-learn's estimator contract and validates its settings with readable French errors."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import SkipTestWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

from pipeline.errors import PipelineError, RedactionConfigError, RedactionInputError
from pipeline.redaction import Redactor, load_config

NOTES = [
    "Mme Dupont n'a pas reçu son RSA, rappeler au 06 12 34 56 78",
    "M. Martin demande une attestation de paiement",
    "Versement APL non reçu depuis mars",
    "Mme Rose conteste le montant de sa prime d'activité",
]


# scikit-learn's generic checks feed numeric 2-D arrays; for an estimator whose input tags say « strings, not 2-D »
# they are skipped (with a SkipTestWarning, silenced here), except those that need no data (cloning). The contract
# is tested by hand below.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", SkipTestWarning)
    _APPLICABLE_CHECKS = parametrize_with_checks([Redactor()])


@_APPLICABLE_CHECKS
def test_sklearn_checks_that_apply(estimator: Redactor, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


def test_init_only_stores_parameters_and_clone_keeps_them() -> None:
    redactor = Redactor(types=["NOM", "TEL"], use_ner="off", site="exemple_caf", extra_patterns=[("NIR", "x")])
    assert redactor.get_params() == {
        "types": ["NOM", "TEL"],
        "use_ner": "off",
        "site": "exemple_caf",
        "extra_patterns": [("NIR", "x")],
        "config": None,
    }
    copy = clone(redactor)
    assert copy.get_params() == redactor.get_params() and copy is not redactor
    # invalid values are only reported when used, as scikit-learn wants (__init__ does no work)
    Redactor(types=["NOPE"])


def test_fit_returns_self_and_sets_fitted_state() -> None:
    redactor = Redactor()
    assert redactor.fit(NOTES) is redactor
    check_is_fitted(redactor)
    assert redactor.types_ == tuple(sorted(load_config().types))
    assert redactor.use_ner_ == load_config().use_ner


def test_stateless_transform_works_without_fit_and_equals_fit_transform() -> None:
    out = Redactor().transform(NOTES)
    assert isinstance(out, list) and len(out) == len(NOTES)
    assert out == Redactor().fit_transform(NOTES)
    assert out[0] == "Mme <NOM> n'a pas reçu son RSA, rappeler au <TEL>"
    assert out[2] == NOTES[2]


@pytest.mark.parametrize("container", [list, tuple, np.array, pd.Series, iter])
def test_accepts_any_iterable_of_strings(container) -> None:  # type: ignore[no-untyped-def]
    assert Redactor().transform(container(NOTES)) == Redactor().transform(NOTES)


def test_a_single_string_is_refused_like_countvectorizer() -> None:
    with pytest.raises(RedactionInputError, match="liste de textes"):
        Redactor().transform("Mme Dupont")
    with pytest.raises(ValueError):  # also a ValueError, as scikit-learn users expect
        Redactor().transform("Mme Dupont")


def test_non_text_items_are_refused_by_position_and_none_is_empty() -> None:
    assert Redactor().transform(["a", None]) == ["a", ""]
    with pytest.raises(RedactionInputError, match="élément n° 2") as raised:
        Redactor().transform(["Mme Dupont", 42])
    assert "Dupont" not in str(raised.value)


def test_first_step_of_a_pipeline_and_picklable() -> None:
    labels = ["paiement", "attestation", "paiement", "paiement"]
    model = make_pipeline(Redactor(), CountVectorizer(), LogisticRegression())
    model.fit(NOTES, labels)
    vocabulary = model.named_steps["countvectorizer"].vocabulary_
    assert "dupont" not in vocabulary and "martin" not in vocabulary and "rsa" in vocabulary
    restored = pickle.loads(pickle.dumps(model))
    assert list(restored.predict(NOTES)) == list(model.predict(NOTES))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"types": ["NOM", "PHONE"]}, "PHONE"),
        ({"types": "NOM"}, "liste"),
        ({"use_ner": "parfois"}, "use_ner"),
        ({"site": "inconnu"}, "site « inconnu »"),
        ({"extra_patterns": [("NUM_DOSSIER", "(")]}, "extra_patterns\\[0\\]"),
        ({"extra_patterns": [{"type": "SECRET", "regex": "x"}]}, "SECRET"),
    ],
)
def test_invalid_settings_are_clear_errors(params: dict[str, object], message: str) -> None:
    with pytest.raises(RedactionConfigError, match=message):
        Redactor(**params).fit()  # type: ignore[arg-type]


def test_use_ner_accepts_booleans() -> None:
    assert Redactor(use_ner=False).fit().use_ner_ == "off"
    assert Redactor(use_ner=True).fit().use_ner_ == "always"


def test_config_file_is_validated(tmp_path: Path) -> None:
    broken = tmp_path / "occultation.yaml"
    broken.write_text("version: redaction.v1\ntypes: [NOM, SECRET]\n", encoding="utf-8")
    with pytest.raises(RedactionConfigError, match=r"occultation\.yaml") as raised:
        Redactor(config=broken).fit()
    assert isinstance(raised.value, PipelineError)
    (tmp_path / "bad.yaml").write_text("version: [", encoding="utf-8")
    with pytest.raises(RedactionConfigError, match="YAML invalide"):
        Redactor(config=tmp_path / "bad.yaml").fit()


def test_a_site_config_file_can_replace_the_default(tmp_path: Path) -> None:
    default = Path(load_config.__code__.co_filename).with_name("default.yaml").read_text(encoding="utf-8")
    custom = tmp_path / "site.yaml"
    custom.write_text(default.replace("types: [NOM, TEL, NIR", "types: [TEL, NIR"), encoding="utf-8")
    assert Redactor(config=custom).redact("Mme Dupont, 06 12 34 56 78") == "Mme Dupont, <TEL>"
