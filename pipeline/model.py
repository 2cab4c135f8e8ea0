"""The reason model: French notes → calibrated probabilities over the taxonomy's reasons, top-k suggestions, and
abstention to « autre » when a note is out of scope or the model is not confident.

Internally, `features_` is a scikit-learn `Pipeline`:

    redactor (pipeline.redaction.Redactor, or "passthrough") → FrenchNormaliser → FrenchAnalyser
        → FeatureUnion(char n-gram TF-IDF, lemma n-gram TF-IDF, static word vectors)

followed by `classifier_` (a linear model with temperature-scaled probabilities). The redactor comes first so that
neither the fitted vocabularies nor the stored exemplars ever hold personal data; `suggest(..., redacted=True)`
skips it when the caller has already redacted the notes.

Training signal from the taxonomy: `fit(..., reason_texts={code: [label, definition, examples…]})` adds those texts
as training notes of their reason, so a reason with no labelled note yet can already be suggested.

Novelty (`novelty_scores`): 1 − (w · max probability + (1 − w) · cosine similarity to the nearest training note).
A note unlike anything seen in training scores high even when the classifier is (wrongly) sure of itself. Notes
without any word (empty, digits only) always go to « autre ». `threshold_` is set by `training.calibrate` from
validation data; `fit` alone uses the config's default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import normalize
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2
from sklearn.utils.validation import check_is_fitted

from pipeline.classifier import TemperatureCalibratedLinear
from pipeline.errors import InvalidConfig, InvalidText, UnknownReason
from pipeline.features import AnalysedText, FrenchAnalyser, NgramTfidf, StaticVectors, _tfidf
from pipeline.inputs import check_texts
from pipeline.members import SHARED_BLOCKS, FoldMember, FusedMembers
from pipeline.predictions import Decision, Prediction, Suggestion
from pipeline.sets import score_config, set_scores, set_size
from pipeline.settings import resolve_config
from pipeline.similarity import ExemplarIndex
from pipeline.text import FrenchNormaliser
from taxonomy import AUTRE

_COMPONENTS = {
    ("model",): {"reason_model.v1"},
    ("preprocessing", "normaliser"): {"french_normaliser.v1"},
    ("classifier", "calibration"): {"temperature.v1"},
    ("abstention", "novelty"): {"max_prob_exemplar.v1"},
    ("decision", "version"): {"three_outcomes.v1"},
    ("decision", "set_score"): {"probability.v1", "raps.v1"},
    ("decision", "set_folds"): {"forward", "cross"},
    ("decision", "probabilities"): {"full.v1", "fold_mean.v1"},
}


def _check_components(cfg: Mapping[str, Any]) -> None:
    """Refuse unknown versioned component names before any work is done."""
    for path, known in _COMPONENTS.items():
        value: Any = cfg
        for key in path:
            value = value[key]
        if value not in known:
            raise InvalidConfig(
                f"« {'.'.join(path)} » : composant inconnu {value!r} (attendu : {', '.join(sorted(known))})"
            )


def _check_labels(labels: Any) -> list[str]:
    if labels is None or isinstance(labels, str | bytes):
        raise InvalidText("une liste d'étiquettes (codes de motif) est attendue")
    out = []
    for number, label in enumerate(labels):
        if label is None or (isinstance(label, float) and label != label) or not str(label).strip():
            raise InvalidText(f"ligne {number} : étiquette manquante")
        out.append(str(label))
    return out


@dataclass(frozen=True)
class ScoreParts:
    proba: np.ndarray  # calibrated probabilities over classes_
    similarity: np.ndarray  # cosine similarity of each note to its nearest training note (feature space)
    has_words: np.ndarray  # False for notes without any (French) word (empty, digits, other language): « autre »
    top: np.ndarray | None = None  # max-probability part of the novelty score (None: the max of `proba`)


class ReasonModel(ClassifierMixin, BaseEstimator):
    """French call notes → reason codes of a taxonomy, with calibrated probabilities and abstention to « autre »."""

    # Metadata set by training (not hyper-parameters): the taxonomy the codes belong to and the registered version.
    taxonomy_ref: str | None = None
    model_version: str | None = None

    def __init__(self, *, config: Mapping[str, Any] | None = None, redactor: Any = None) -> None:
        self.config = config
        self.redactor = redactor

    # ------------------------------------------------------------------ building
    def _build_features(self, cfg: Mapping[str, Any]) -> Pipeline:
        pre, feats = cfg["preprocessing"], cfg["features"]
        parts: list[tuple[str, Any]] = []
        weights: dict[str, float] = {}
        for name in ("char", "lemma"):
            if float(feats[name]["weight"]) > 0:
                spec = feats[name]
                parts.append(
                    (
                        name,
                        NgramTfidf(
                            kind=name,
                            ngram_range=tuple(spec["ngram_range"]),
                            min_df=int(spec["min_df"]),
                            max_features=spec["max_features"],
                        ),
                    )
                )
                weights[name] = float(spec["weight"])
        if float(feats["vectors"]["weight"]) > 0:
            parts.append(("vectors", StaticVectors(use_lemmas=bool(feats["vectors"]["use_lemmas"]))))
            weights["vectors"] = float(feats["vectors"]["weight"])
        if not parts:
            raise InvalidConfig("aucune famille de variables n'a un poids positif dans « features »")
        return Pipeline(
            [
                ("redactor", "passthrough" if self.redactor is None else clone(self.redactor)),
                ("normalise", FrenchNormaliser(max_chars=int(pre["max_chars"]))),
                ("analyse", FrenchAnalyser(lemmatizer=pre["lemmatizer"], batch_size=int(pre["batch_size"]))),
                ("features", FeatureUnion(parts, transformer_weights=weights)),
            ]
        )

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        reason_texts: Mapping[str, Sequence[str]] | None = None,
    ) -> Self:
        cfg = resolve_config(self.config)
        _check_components(cfg)
        texts = check_texts(texts)
        labels = _check_labels(labels)
        if len(labels) != len(texts):
            raise InvalidText(f"{len(texts)} textes mais {len(labels)} étiquettes : il faut une étiquette par texte")
        keep = [index for index, label in enumerate(labels) if label != AUTRE]
        self.n_autre_ignored_ = len(labels) - len(keep)
        train_texts = [texts[index] for index in keep]
        train_labels = [labels[index] for index in keep]
        weights = [1.0] * len(train_texts)
        extra_weight = float(cfg["reason_texts"]["weight"])
        for code, code_texts in (reason_texts or {}).items():
            if code == AUTRE:
                continue
            for text in check_texts(list(code_texts)):
                if text.strip():
                    train_texts.append(text)
                    train_labels.append(str(code))
                    weights.append(extra_weight)
        classes = sorted(set(train_labels))
        if len(classes) < 2:
            raise UnknownReason(
                f"au moins 2 motifs (hors « {AUTRE} ») sont nécessaires pour entraîner (reçu : {len(classes)})"
            )
        features = self._build_features(cfg)
        X = sparse.csr_matrix(features.fit_transform(train_texts))
        clf_cfg = cfg["classifier"]
        classifier = TemperatureCalibratedLinear(
            kind=clf_cfg["name"],
            C=float(clf_cfg["C"]),
            class_weight=clf_cfg["class_weight"],
            cv=int(clf_cfg["cv"]),
            random_state=int(cfg["random_state"]),
        )
        classifier.fit(X, np.asarray(train_labels), sample_weight=np.asarray(weights))
        self.config_ = cfg
        self.features_ = features
        self.classifier_ = classifier
        self.classes_ = classifier.classes_
        self._fit_exemplars(X, np.asarray(train_labels), cfg)
        abstention = cfg["abstention"]
        self.max_prob_weight_ = float(abstention["max_prob_weight"])
        self.threshold_ = float(abstention["threshold"])
        self.confident_threshold_ = float(cfg["decision"]["confident_threshold"])
        self.set_threshold_ = float(cfg["decision"]["set_threshold"])
        self.set_score_ = score_config(cfg["decision"])
        self.members_: (
            tuple[FoldMember, ...] | FusedMembers
        ) = ()  # fold models serving the probabilities (set by training.fit)
        return self

    def _fit_exemplars(self, X: sparse.csr_matrix, labels: np.ndarray, cfg: Mapping[str, Any]) -> None:
        """Keep (normalised feature rows of) at most `max_exemplars_per_class` training notes per reason."""
        cap = int(cfg["abstention"]["max_exemplars_per_class"])
        rng = np.random.default_rng(int(cfg["random_state"]))
        chosen: list[np.ndarray] = []
        for code in self.classes_:
            rows = np.flatnonzero(labels == code)
            if len(rows) > cap:
                rows = np.sort(rng.choice(rows, size=cap, replace=False))
            chosen.append(rows)
        index = np.concatenate(chosen)
        # Stored transposed (features × exemplars, CSR): transposing at every prediction cost ~80 % of a request.
        self.exemplars_t_ = normalize(X[index]).astype(np.float32).T.tocsr()
        self.exemplar_labels_ = labels[index]

    # ------------------------------------------------------------------ scoring
    def _transform(self, texts: Any, *, redacted: bool = False) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Feature matrix and, per note, whether it holds at least one word."""
        X, has_words, _, _, _ = self._analyse(texts, redacted=redacted)
        return X, has_words

    def _analyse(
        self, texts: Any, *, redacted: bool = False
    ) -> tuple[sparse.csr_matrix, np.ndarray, list[AnalysedText], dict[str, sparse.csr_matrix], Any]:
        """Feature matrix, whether each note holds a word, the analysed notes, the weighted blocks by name and, with
        fused fold members, the sublinear character counts they read (else None)."""
        check_is_fitted(self, "classifier_")
        texts = check_texts(texts)
        # The fitted steps are called directly: Pipeline/FeatureUnion.transform add ~2 ms of bookkeeping per call
        # (output wrappers, joblib dispatch), which is most of the latency of one short note.
        steps = self.features_.steps[1:] if redacted else self.features_.steps
        data: Any = texts
        for _, step in steps[:-1]:
            if step is not None and step != "passthrough":
                data = step.transform(data)
        docs: list[AnalysedText] = data
        union: FeatureUnion = steps[-1][1]
        weights = union.transformer_weights or {}
        members = getattr(self, "members_", ())
        fused_char = members.char_name if isinstance(members, FusedMembers) else None
        blocks: dict[str, sparse.csr_matrix] = {}
        tf = None
        for name, transformer in union.transformer_list:
            if transformer == "drop":
                continue
            if name == fused_char:  # counted once: the full model's block and the members' counts
                counts = transformer._char_counts([doc.text for doc in docs])
                tf = counts.copy()
                np.log(tf.data, tf.data)
                tf.data += 1.0
                raw = _tfidf(transformer.vectorizer_._tfidf, counts)
            else:
                raw = transformer.transform(docs)
            blocks[name] = _weighted_csr(raw, float(weights.get(name, 1.0)))
        has_words = np.array([self._usable(doc) for doc in docs], dtype=bool)
        return _hstack_csr(list(blocks.values())), has_words, docs, blocks, tf

    def _proba(
        self, X: sparse.csr_matrix, docs: Sequence[AnalysedText], blocks: dict[str, sparse.csr_matrix], tf: Any
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Served probabilities and the max-probability part of novelty (None: the max of the probabilities).

        With fold members (`decision.probabilities: fold_mean.v1`, set by `training.fit`), the mean of the fold
        models' probabilities (`pipeline.members`); the novelty keeps the full model's maximum, as before (measured:
        the members' own maxima send more ordinary notes to « autre », docs/CLASSIFIER.md)."""
        full = self.classifier_.predict_proba_unchecked(X)
        members: tuple[FoldMember, ...] | FusedMembers = getattr(self, "members_", ())
        if isinstance(members, FusedMembers):
            return members.proba(tf, blocks, len(self.classes_)), full.max(axis=1)
        if not members:
            return full, None
        shared = {name: block for name, block in blocks.items() if name in SHARED_BLOCKS}
        probas = []
        for member in members:
            parts = [
                shared[name] if name in shared else _weighted_csr(transformer.transform(docs), weight)
                for name, transformer, weight in member.blocks
            ]
            probas.append(member.proba(_hstack_csr(parts), len(self.classes_)))
        return np.mean(probas, axis=0), full.max(axis=1)

    def _usable(self, doc: AnalysedText) -> bool:
        """False for notes the model must not classify: no word at all (empty, digits, symbols), mostly non-Latin
        letters (Cyrillic, Arabic, CJK…), or — from
        `min_words_for_language_check` words on — too few French words (another language, gibberish)."""
        if not doc.has_words or doc.latin_share() < 0.5:
            return False
        settings = self.config_["abstention"]
        if doc.n_alphabetic() < int(settings["min_words_for_language_check"]):
            return True
        return doc.french_share() >= float(settings["min_french_share"])

    def score_parts(
        self, texts: Sequence[str], *, redacted: bool = False, always_similarity: bool = False
    ) -> ScoreParts:
        """What the decision is made of, from one pass over the notes (used by training to calibrate abstention)."""
        check_is_fitted(self, "classifier_")
        texts = check_texts(texts)
        if len(texts) == 0:
            return ScoreParts(np.zeros((0, len(self.classes_))), np.zeros(0), np.zeros(0, dtype=bool))
        X, has_words, docs, blocks, tf = self._analyse(texts, redacted=redacted)
        proba, top = self._proba(X, docs, blocks, tf)
        # The similarity is only computed when the novelty score uses it (training may set its weight to 0).
        if self.max_prob_weight_ < 1.0 or always_similarity:
            similarity = self._nearest_similarity(X)
        else:
            similarity = np.zeros(X.shape[0])
        return ScoreParts(proba, similarity, has_words, top)

    def novelty_from_parts(self, parts: ScoreParts, weight: float | None = None) -> np.ndarray:
        """1 − (w · max probability + (1 − w) · nearest-note similarity) in [0, 1]; 1 for notes without words."""
        w = self.max_prob_weight_ if weight is None else weight
        if len(parts.proba) == 0:
            return np.zeros(0)
        top = parts.proba.max(axis=1) if parts.top is None else parts.top
        novelty = 1.0 - (w * top + (1.0 - w) * parts.similarity)
        return np.where(parts.has_words, np.clip(novelty, 0.0, 1.0), 1.0)

    def _scores(self, texts: Any, *, redacted: bool = False) -> tuple[np.ndarray, np.ndarray]:
        parts = self.score_parts(texts, redacted=redacted)
        return parts.proba, self.novelty_from_parts(parts)

    def _nearest_similarity(self, X: sparse.csr_matrix) -> np.ndarray:
        """Cosine similarity of each row of `X` to its nearest exemplar, in [0, 1]."""
        return self._exemplar_index().max_similarity(_l2_normalised(X))

    def _exemplar_index(self) -> ExemplarIndex:
        """Built from `exemplars_t_` on first use (~0.3 s) and kept with the fitted model, never pickled: the
        artifact format does not change, and a model saved before it existed gets the same index."""
        index = self.__dict__.get("_index")
        if index is None:
            index = self.__dict__["_index"] = ExemplarIndex(self.exemplars_t_, self.exemplar_labels_)
        return index

    def _decisions(self, texts: Any, *, redacted: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Probabilities, novelty scores and codes, the same as `decide(proba, novelty)` on `score_parts`, with the
        similarity computed only where it can change the code.

        Novelty falls as the similarity rises, and « autre » is decided by novelty above a threshold: a note that
        is « autre » even with similarity 1, or kept even with similarity 0, is decided by its probabilities alone
        (most notes). For the others, the nearest exemplar of the predicted reason gives a lower bound of the
        similarity; when that bound already keeps the note, so would the true value. Only the notes still left
        are compared with every exemplar. Same codes as the full computation, up to float32 rounding (~1e-6) of
        similarities at the threshold itself. The novelty returned is the one the decision used: exact when the
        similarity has no weight (the default on the measured data sets), an upper bound for notes decided
        without their exact similarity."""
        check_is_fitted(self, "classifier_")
        texts = check_texts(texts)
        if len(texts) == 0:
            return np.zeros((0, len(self.classes_))), np.zeros(0), np.array([], dtype=object)
        X, has_words, docs, blocks, tf = self._analyse(texts, redacted=redacted)
        proba, top = self._proba(X, docs, blocks, tf)
        similarity = np.zeros(X.shape[0])

        def novelty_with(values: np.ndarray) -> np.ndarray:
            return self.novelty_from_parts(ScoreParts(proba, values, has_words, top))

        def codes_with(values: np.ndarray) -> np.ndarray:
            return self.decide(proba, novelty_with(values))

        if self.max_prob_weight_ < 1.0:  # else the similarity has no weight (score_parts does not compute it either)
            kept_if_close = codes_with(np.ones(X.shape[0]))
            undecided = np.flatnonzero(kept_if_close != codes_with(similarity))
            if len(undecided):
                index = self._exemplar_index()
                rows = _l2_normalised(X if len(undecided) == X.shape[0] else X[undecided])
                similarity[undecided] = index.class_max_similarity(rows, kept_if_close[undecided])
                left = np.flatnonzero(codes_with(similarity)[undecided] == AUTRE)
                if len(left):
                    similarity[undecided[left]] = index.max_similarity(rows[left])
        novelty = novelty_with(similarity)
        return proba, novelty, self.decide(proba, novelty)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities over `classes_` (rows sum to 1)."""
        return self.score_parts(texts).proba

    def novelty_scores(self, texts: Sequence[str], *, redacted: bool = False) -> np.ndarray:
        """In [0, 1]; higher = more likely out of the taxonomy's scope. Notes with no word score 1."""
        return self._scores(texts, redacted=redacted)[1]

    def decide(self, proba: np.ndarray, novelty: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """Codes from probabilities and novelty scores: « autre » where novelty exceeds the threshold."""
        check_is_fitted(self, "classifier_")
        limit = self.threshold_ if threshold is None else threshold
        codes = self.classes_[np.argmax(proba, axis=1)] if len(proba) else np.array([], dtype=self.classes_.dtype)
        return np.where((novelty > limit) | (novelty >= 1.0), AUTRE, codes).astype(object)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """One code per note: the most probable reason, or « autre » where the note is outside the base."""
        return self._decisions(texts)[2]

    def suggest(self, texts: Sequence[str], k: int = 3, *, redacted: bool = False) -> list[Prediction]:
        """Top-`k` reasons per note with calibrated probabilities, the decision (confident / to_confirm / autre),
        the prediction set and the novelty score with its threshold."""
        if not isinstance(k, int | np.integer) or k < 1:
            raise InvalidText(f"k doit être un entier ≥ 1 (reçu : {k!r})")
        proba, novelty, codes = self._decisions(texts, redacted=redacted)
        k = min(int(k), len(self.classes_))
        # Models saved before the three outcomes have no set/confident gates: what they keep is auto-coded as before.
        confident_at = getattr(self, "confident_threshold_", None)
        set_at = getattr(self, "set_threshold_", None)
        # Models saved before the set score was a choice used 1 − p (`probability.v1`).
        members_scores = None if set_at is None else set_scores(proba, getattr(self, "set_score_", None))
        out = []
        for index, (row, score, code) in enumerate(zip(proba, novelty, codes, strict=True)):
            order = np.argsort(-row, kind="stable")
            top = tuple(Suggestion(str(self.classes_[i]), float(row[i])) for i in order[:k])
            # A reason enters the set when its score ≤ threshold (a prefix of `order`); the top reason is always in.
            members = (
                order[:1]
                if members_scores is None or set_at is None
                else order[: set_size(members_scores[index], set_at)]
            )
            decision: Decision
            if code == AUTRE:
                decision = "autre"
            elif confident_at is None or row[order[0]] >= confident_at:
                # the confident gate alone decides (its precision was calibrated without the set); the set is
                # still returned, for the agent who wants to change the code
                decision = "confident"
            else:
                decision = "to_confirm"
            out.append(
                Prediction(
                    code=str(code),
                    confidence=top[0].confidence,
                    autre=code == AUTRE,
                    top_k=top,
                    decision=decision,
                    prediction_set=tuple(str(self.classes_[i]) for i in members),
                    novelty=float(score),
                    novelty_threshold=float(self.threshold_),
                )
            )
        return out

    def warm_up(self) -> None:
        """Load spaCy's tokenizer, the lemma table and the word vectors now (a few seconds), not on the first
        request: call it where the model is loaded (e.g. the API's lifespan)."""
        self.suggest(["Préchauffage du modèle : appel pour un rendez-vous."])
        self._exemplar_index()

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_index", None)  # rebuilt from exemplars_t_ on first use
        return state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


# The helpers below do what scipy.sparse.hstack, `csr_matrix(block) * weight` and sklearn's `normalize` do, without
# their input checks: on one short note those checks cost more than the arithmetic (same values, same order).
def _weighted_csr(block: Any, weight: float) -> sparse.csr_matrix:
    """`csr_matrix(block) * weight` (the zeros of a dense block are not stored)."""
    if sparse.issparse(block):
        matrix = sparse.csr_matrix(block)
    else:
        dense = np.asarray(block)
        rows, columns = np.nonzero(dense)
        indptr = np.zeros(dense.shape[0] + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=dense.shape[0]), out=indptr[1:])
        matrix = sparse.csr_matrix((dense[rows, columns], columns.astype(np.int32), indptr), shape=dense.shape)
    return matrix if weight == 1.0 else matrix * weight


def _hstack_csr(blocks: Sequence[sparse.csr_matrix]) -> sparse.csr_matrix:
    """`sparse.hstack(blocks, format="csr")`: each row holds the first block's entries, then the second's…"""
    if len(blocks) == 1:
        return blocks[0]
    n_rows = blocks[0].shape[0]
    offsets = np.cumsum([0] + [block.shape[1] for block in blocks])
    rows = np.concatenate([np.repeat(np.arange(n_rows), np.diff(block.indptr)) for block in blocks])
    order = np.argsort(rows, kind="stable")
    indices = np.concatenate([block.indices + offset for block, offset in zip(blocks, offsets, strict=False)])
    data = np.concatenate([block.data for block in blocks])
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    index_type = np.int32 if offsets[-1] < 2**31 and len(data) < 2**31 else np.int64
    return sparse.csr_matrix(
        (data[order], indices[order].astype(index_type), indptr.astype(index_type)), shape=(n_rows, offsets[-1])
    )


def _l2_normalised(X: sparse.csr_matrix) -> sparse.csr_matrix:
    """A copy of `X` with rows of unit L2 norm (sklearn's `normalize`, same in-place routine)."""
    out = sparse.csr_matrix(X, dtype=X.dtype, copy=True)
    inplace_csr_row_normalize_l2(out)
    return out
