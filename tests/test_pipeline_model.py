"""The reason model end to end on a 20-line French fixture (loads spaCy's lookup lemmatizer and word vectors)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.base import clone

from pipeline.errors import InvalidConfig, InvalidText, UnknownReason
from pipeline.model import AUTRE, Prediction, ReasonModel

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reason_model")]


@pytest.fixture(scope="module")
def fixture_notes(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "pipeline" / "notes.csv")


@pytest.fixture(scope="module")
def reason_texts(data_dir: Path) -> dict[str, list[str]]:
    loaded: dict[str, list[str]] = yaml.safe_load((data_dir / "pipeline" / "reason_texts.yaml").read_text("utf-8"))
    return loaded


@pytest.fixture(scope="module")
def model(fixture_notes: pd.DataFrame, reason_texts: dict[str, list[str]]) -> ReasonModel:
    return ReasonModel().fit(list(fixture_notes.text), list(fixture_notes.reason), reason_texts=reason_texts)


def test_overfits_the_fixture(model: ReasonModel, fixture_notes: pd.DataFrame) -> None:
    proba = model.predict_proba(list(fixture_notes.text))
    assert list(model.classes_[proba.argmax(axis=1)]) == list(fixture_notes.reason)


def test_classes_include_a_reason_known_only_from_the_taxonomy(model: ReasonModel) -> None:
    assert set(model.classes_) == {
        "dossier_etat",
        "paiement_non_recu",
        "rdv_prise",
        "numerique_connexion",
        "attestation",
    }


def test_a_new_reason_with_only_taxonomy_texts_is_suggested(model: ReasonModel) -> None:
    (prediction,) = model.suggest(["L'usager voudrait une attestation de paiement pour sa caisse de retraite"], k=3)
    assert prediction.top_k[0].code == "attestation"


def test_unseen_phrasings_get_the_right_reason(model: ReasonModel) -> None:
    notes = [
        "appel pr connaître l'avancement de son dossier",
        "la personne n'a rien touché ce mois, versement pas arrivé",
        "voudrait un rdv avec un conseiller",
    ]
    top = [p.top_k[0].code for p in model.suggest(notes)]
    assert top == ["dossier_etat", "paiement_non_recu", "rdv_prise"]


def test_probabilities_sum_to_one_and_follow_classes(model: ReasonModel, fixture_notes: pd.DataFrame) -> None:
    proba = model.predict_proba(list(fixture_notes.text))
    assert proba.shape == (20, len(model.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    assert ((proba >= 0) & (proba <= 1)).all()


def test_batch_prediction_equals_one_by_one(model: ReasonModel, fixture_notes: pd.DataFrame) -> None:
    notes = [*fixture_notes.text[:8], "", "texte sans rapport avec quoi que ce soit"]
    batch = model.suggest(notes)
    single = [model.suggest([note])[0] for note in notes]
    for one, other in zip(batch, single, strict=True):
        assert one.code == other.code
        assert one.confidence == pytest.approx(other.confidence, abs=1e-9)
        assert [s.code for s in one.top_k] == [s.code for s in other.top_k]
    np.testing.assert_allclose(model.novelty_scores(notes), [model.novelty_scores([n])[0] for n in notes], atol=1e-9)


def test_suggest_returns_k_suggestions_sorted(model: ReasonModel) -> None:
    (prediction,) = model.suggest(["Compte bloqué, mdp oublié"], k=4)
    assert isinstance(prediction, Prediction)
    assert len(prediction.top_k) == 4
    confidences = [s.confidence for s in prediction.top_k]
    assert confidences == sorted(confidences, reverse=True)
    assert prediction.code == "numerique_connexion" and not prediction.autre
    assert prediction.confidence == confidences[0]
    assert len(model.suggest(["x"], k=50)[0].top_k) == len(model.classes_)


@pytest.mark.parametrize(
    "note",
    ["", "   \n\t ", "0612345678 0612345678", "12/03/2024 45 €", "?!... ---"],
    ids=["empty", "whitespace", "digits", "digits-and-symbols", "punctuation"],
)
def test_notes_without_words_go_to_autre(model: ReasonModel, note: str) -> None:
    (prediction,) = model.suggest([note])
    assert prediction.code == AUTRE and prediction.autre
    assert len(prediction.top_k) == 3  # suggestions are still given
    assert model.predict([note])[0] == AUTRE


def test_out_of_scope_notes_are_more_novel_than_in_scope_ones(model: ReasonModel, fixture_notes: pd.DataFrame) -> None:
    foreign = ["The weather in London is lovely today", "Der Hund spielt im Garten mit dem Ball", "ok merci au revoir"]
    in_scope = model.novelty_scores(list(fixture_notes.text))
    assert model.novelty_scores(foreign).min() > np.median(in_scope)


def test_notes_in_another_language_go_to_autre_even_without_a_threshold(model: ReasonModel) -> None:
    permissive = copy.copy(model)
    permissive.threshold_ = 0.999  # keep everything the novelty score would keep
    foreign = [
        "The weather in London is lovely today",
        "Der Hund spielt im Garten mit dem großen Ball",
        "Привет, как дела?",
        "你好，我的包裹",
    ]
    assert list(permissive.predict(foreign)) == [AUTRE] * 4
    # French notes full of acronyms, or too short to judge, are still classified
    kept = permissive.predict(["appel pr rsa caf apl dossier en cours", "mdp oublié"])
    assert AUTRE not in kept


def test_one_megabyte_note_is_handled(model: ReasonModel) -> None:
    note = "Paiement non reçu, virement pas arrivé. " * 26_000  # ≈ 1 MB, above spaCy's 1,000,000-character limit
    assert len(note) > 1_000_000
    (prediction,) = model.suggest([note])
    assert prediction.top_k[0].code == "paiement_non_recu"


def test_single_string_and_missing_values_are_rejected(model: ReasonModel) -> None:
    with pytest.raises(InvalidText, match="une seule chaîne"):
        model.predict("Paiement non reçu")
    with pytest.raises(InvalidText, match=r"ligne 1 .*valeur manquante"):
        model.suggest(["Paiement non reçu", None])  # type: ignore[list-item]
    with pytest.raises(InvalidText, match="ligne 0"):
        model.predict_proba([42])  # type: ignore[list-item]
    with pytest.raises(InvalidText, match="k doit"):
        model.suggest(["ok"], k=0)


def test_errors_never_echo_the_note() -> None:
    secret = "Madame Dupont 0612345678"
    with pytest.raises(InvalidText) as caught:
        ReasonModel().fit([secret], [None])  # type: ignore[list-item]
    assert "Dupont" not in str(caught.value)


def test_fit_rejects_bad_training_data(fixture_notes: pd.DataFrame) -> None:
    texts = list(fixture_notes.text)
    with pytest.raises(InvalidText, match="étiquette"):
        ReasonModel().fit(texts, list(fixture_notes.reason)[:-1])
    with pytest.raises(UnknownReason, match="au moins 2 motifs"):
        ReasonModel().fit(texts[:3], ["autre", "dossier_etat", "dossier_etat"])
    with pytest.raises(InvalidConfig, match=r"clé de configuration inconnue : « features\.char\.poids »"):
        ReasonModel(config={"features": {"char": {"poids": 2}}}).fit(texts, list(fixture_notes.reason))


def test_autre_labels_are_not_a_class(fixture_notes: pd.DataFrame) -> None:
    texts = [*fixture_notes.text, "Appel sans objet précis"]
    labels = [*fixture_notes.reason, AUTRE]
    fitted = ReasonModel().fit(texts, labels)
    assert AUTRE not in fitted.classes_
    assert fitted.n_autre_ignored_ == 1


def test_clone_keeps_parameters_only(model: ReasonModel) -> None:
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "classifier_")


def test_redacted_flag_skips_the_redaction_step(fixture_notes: pd.DataFrame) -> None:
    class Upper:
        """Stand-in redactor: a visible, deterministic transformation."""

        def fit(self, texts: list[str], y: object = None) -> Upper:
            return self

        def transform(self, texts: list[str]) -> list[str]:
            return ["[PERSONNE] " + text for text in texts]

        def get_params(self, deep: bool = True) -> dict[str, object]:
            return {}

        def set_params(self, **params: object) -> Upper:
            return self

    fitted = ReasonModel(redactor=Upper()).fit(list(fixture_notes.text), list(fixture_notes.reason))
    assert "[pe" in fitted.features_["features"].transformer_list[0][1].vectorizer_.vocabulary_
    note = ["Paiement non reçu ce mois"]
    assert fitted.suggest(note)[0].top_k == fitted.suggest(["[PERSONNE] " + note[0]], redacted=True)[0].top_k


def test_pickle_round_trip_gives_identical_predictions_and_holds_no_spacy_object(
    model: ReasonModel, fixture_notes: pd.DataFrame
) -> None:
    import pickle

    notes = [*fixture_notes.text, "texte inconnu", ""]
    model.predict(notes)  # fills the per-word n-gram cache, which must not be saved
    blob = pickle.dumps(model)
    assert b"spacy" not in blob
    assert b"_word_cache" not in blob
    restored = pickle.loads(blob)
    np.testing.assert_array_equal(restored.predict_proba(notes), model.predict_proba(notes))
    assert list(restored.predict(notes)) == list(model.predict(notes))


def test_unknown_component_versions_are_refused_before_fitting() -> None:
    with pytest.raises(InvalidConfig, match=r"classifier\.calibration"):
        ReasonModel(config={"classifier": {"calibration": "isotonic.v9"}}).fit(["a", "b"], ["x", "y"])
    with pytest.raises(InvalidConfig, match="classifieur inconnu"):
        ReasonModel(config={"classifier": {"name": "forest.v1"}}).fit(["une note", "autre note"], ["x", "y"])


def test_three_outcomes_follow_the_gates(model: ReasonModel) -> None:
    notes = ["voudrait un rdv avec un conseiller", ""]
    fitted = copy.copy(model)
    fitted.threshold_, fitted.confident_threshold_, fitted.set_threshold_ = 0.99, 0.0, 0.0  # sets of one code
    sure, empty = fitted.suggest(notes)
    assert (sure.decision, sure.prediction_set, sure.autre) == ("confident", (sure.code,), False)
    assert (empty.decision, empty.code, empty.autre) == ("autre", AUTRE, True)  # no word: always outside the base
    fitted.set_threshold_ = 1.0  # every reason enters the 1 − p set; the confident gate alone decides
    fitted.set_score_ = {"name": "probability.v1", "penalty": 0.0, "penalty_from_rank": 1}
    (large, _) = fitted.suggest(notes)
    assert large.decision == "confident" and len(large.prediction_set) == len(model.classes_)
    assert large.prediction_set[0] == large.code == sure.code
    fitted.confident_threshold_ = 1.01  # no probability reaches the confident gate: the model « hesitates »
    (hesitant, _) = fitted.suggest(notes)
    assert hesitant.decision == "to_confirm" and hesitant.prediction_set == large.prediction_set
    fitted.set_threshold_ = 0.0
    assert fitted.suggest(notes)[0].decision == "to_confirm"
    fitted.threshold_ = 0.0  # every note with words is novel
    (novel, _) = fitted.suggest(notes)
    assert (novel.decision, novel.code) == ("autre", AUTRE)
    assert novel.novelty is not None and novel.novelty > novel.novelty_threshold == 0.0


def test_a_model_saved_before_the_three_outcomes_keeps_its_old_behaviour(model: ReasonModel) -> None:
    old = copy.copy(model)
    del old.confident_threshold_, old.set_threshold_  # what a pickle of that time holds
    kept, empty = old.suggest(["voudrait un rdv avec un conseiller", ""])
    assert (kept.decision, kept.prediction_set) == ("confident", (kept.code,))
    assert empty.decision == "autre"
