"""The cross-fitting folds' models, kept to score new notes (« fold_mean.v1 »): what the served probabilities are.

The gates of the three outcomes are calibrated on out-of-fold scores: each training note scored by the model of
the folds it was not in (`training.fit.cross_fit`). A model refitted on all the notes is sharper than those fold
models (more data, the same regularisation): served with their thresholds, its sets covered 89 % for 90 % promised
and its « sûr » notes were right 88.6 % of the time for 90 % aimed (`covid19_faq_admin`, 8 random splits). A new note
is, for each fold model, exactly what its held-out notes were — a note it never saw — so the served probabilities are
the mean of the fold models' probabilities (the « aggregate » variant of cross-conformal prediction, Vovk 2015;
Barber et al. 2021, CV+). The novelty score keeps the full model's maximum probability: with the members' own
maxima the « autre » gate became exact (α on average) instead of conservative, and the demo corpus's worst ordinary
week went from 6.0 % to 6.9 % « autre » (target ≤ 6 %).

A member keeps only what scoring needs: its fitted feature union (its own vocabulary) and its classifier. The text
analysis (redaction, normalisation, spaCy tokens and lemmas) is shared with the full model, and so are the blocks
that learnt nothing from the notes (static word vectors): only each member's n-gram TF-IDF and linear layer run
again per note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from pipeline.errors import InvalidConfig

SHARED_BLOCKS = ("vectors",)  # feature blocks fitted on nothing (same output in every member)


@dataclass(frozen=True)
class FoldMember:
    """One fold's model, reduced to scoring: feature blocks (name, fitted transformer, weight), classifier, and the
    column of the full model's classes each of its classes maps to."""

    blocks: tuple[tuple[str, Any, float], ...]
    classifier: Any
    columns: np.ndarray

    def proba(self, X: sparse.csr_matrix, n_classes: int) -> np.ndarray:
        """Probabilities over the full model's classes (0 for a reason this fold's model never saw), from the
        member's own feature matrix `X` (built by `ReasonModel` from `blocks`)."""
        own = self.classifier.predict_proba_unchecked(X)
        out = np.zeros((own.shape[0], n_classes))
        out[:, self.columns] = own
        return out


def member_from(model: Any, classes: np.ndarray) -> FoldMember:
    """A fitted `ReasonModel` (one fold's) reduced to a `FoldMember` scoring over `classes`."""
    union = model.features_.steps[-1][1]
    weights = union.transformer_weights or {}
    blocks = tuple(
        (name, transformer, float(weights.get(name, 1.0)))
        for name, transformer in union.transformer_list
        if transformer != "drop"
    )
    column = {str(code): index for index, code in enumerate(classes)}
    missing = [str(code) for code in model.classes_ if str(code) not in column]
    if missing:
        raise InvalidConfig(f"un modèle de pli connaît {len(missing)} motif(s) absent(s) du modèle complet")
    columns = np.asarray([column[str(code)] for code in model.classes_], dtype=np.intp)
    return FoldMember(blocks=blocks, classifier=model.classifier_, columns=columns)


@dataclass(frozen=True)
class FusedMembers:
    """All members' linear layers written in the full model's feature space, so that one product per note scores
    them all (the per-member path costs ~4 ms of scipy bookkeeping per note; this one a fraction of a millisecond).

    Exact rewriting, not an approximation: a member's character TF-IDF of a note is `(1 + log count) · idf_m` over its
    own vocabulary, L2-normalised over that vocabulary. Each member's vocabulary is a subset of the full model's (its
    notes are a subset), so from the sublinear counts `tf` in the full vocabulary: member scores
    = w · (tf @ A_m) / ‖tf ∘ idf_m‖ + shared blocks @ V_m + b_m, where A_m holds `idf_m · coef_m` on the full
    vocabulary's rows (0 where the member never saw the n-gram) and ‖·‖² = tf² @ idf_m². Float32 products
    (probabilities within ~1e-6 of the per-member path, tested)."""

    char_name: str
    char_weight: float
    char_coef: np.ndarray  # full char vocabulary × Σ members' classes: idf_m · coef_m (float32)
    char_idf2: np.ndarray  # full char vocabulary × members: idf_m² (0 outside member m's vocabulary)
    shared: tuple[tuple[str, np.ndarray], ...]  # (block name, block width × Σ classes) for shared blocks
    intercept: np.ndarray  # Σ classes
    temperature: np.ndarray  # per member
    offsets: np.ndarray  # members' column ranges in the Σ-classes axis (len = members + 1)
    columns: tuple[np.ndarray, ...]  # each member's classes → full classes

    def __len__(self) -> int:
        return len(self.columns)

    def proba(self, tf: sparse.csr_matrix, blocks: dict[str, sparse.csr_matrix], n_classes: int) -> np.ndarray:
        """Mean probabilities over the full model's classes, from sublinear char counts `tf` (full vocabulary) and
        the full model's weighted shared blocks."""
        char = np.asarray(tf @ self.char_coef, dtype=np.float64)
        squared = tf.copy()
        squared.data **= 2
        norms = np.sqrt(np.asarray(squared @ self.char_idf2, dtype=np.float64))
        scale = np.divide(self.char_weight, norms, out=np.zeros_like(norms), where=norms > 0)
        width = np.diff(self.offsets)
        scores = char * np.repeat(scale, width, axis=1) + self.intercept
        for name, coef in self.shared:
            scores += np.asarray(blocks[name] @ coef, dtype=np.float64)
        out = np.zeros((tf.shape[0], n_classes))
        for member, columns in enumerate(self.columns):
            logits = scores[:, self.offsets[member] : self.offsets[member + 1]] / self.temperature[member]
            logits -= logits.max(axis=1, keepdims=True)
            member_proba = np.exp(logits)
            member_proba /= member_proba.sum(axis=1, keepdims=True)
            out[:, columns] += member_proba
        return out / len(self.columns)


def fuse(full_union: Any, members: tuple[FoldMember, ...]) -> FusedMembers | None:
    """The members as one `FusedMembers`, or None when they cannot be rewritten exactly (a block other than the
    character n-grams and shared ones, a member n-gram missing from the full vocabulary, two-class models)."""
    full = {name: transformer for name, transformer in full_union.transformer_list if transformer != "drop"}
    char_names = [name for name, t in full.items() if getattr(t, "kind", None) == "char"]
    if len(char_names) != 1 or any(name not in SHARED_BLOCKS for name in full if name != char_names[0]):
        return None
    char_name = char_names[0]
    full_char = full[char_name]
    if getattr(full_char, "vectorizer_", None) is None or not full_char.sublinear_tf:
        return None
    full_weights = {name: float((full_union.transformer_weights or {}).get(name, 1.0)) for name in full}
    vocabulary = full_char.vectorizer_.vocabulary_
    n_full = len(vocabulary)
    total = sum(len(member.columns) for member in members)
    char_coef = np.zeros((n_full, total), dtype=np.float32)
    char_idf2 = np.zeros((n_full, len(members)), dtype=np.float32)
    shared_coef: dict[str, list[np.ndarray]] = {}
    intercepts, temperatures, offsets = [], [], [0]
    char_weight = None
    for index, member in enumerate(members):
        names = [name for name, _, _ in member.blocks]
        if sorted(names) != sorted(full) or member.classifier.estimator_.coef_.shape[0] != len(member.columns):
            return None
        coef = np.asarray(member.classifier.estimator_.coef_, dtype=np.float64)
        start, low, high = 0, offsets[-1], offsets[-1] + len(member.columns)
        for name, transformer, weight in member.blocks:
            if weight != full_weights[name]:
                return None
            if name == char_name:
                if transformer.vectorizer_ is None:
                    return None
                own = transformer.vectorizer_.vocabulary_
                rows = np.empty(len(own), dtype=np.intp)
                for gram, column in own.items():
                    found = vocabulary.get(gram)
                    if found is None:
                        return None
                    rows[column] = found
                idf = np.asarray(transformer.vectorizer_.idf_, dtype=np.float64)
                char_coef[rows, low:high] = (coef[:, start : start + len(own)] * idf[None, :]).T
                char_idf2[rows, index] = idf**2
                char_weight = weight
                start += len(own)
            else:
                width = int(transformer.n_features_out_)
                shared_coef.setdefault(name, []).append(coef[:, start : start + width].T)
                start += width
        if start != coef.shape[1]:
            return None
        intercepts.append(np.asarray(member.classifier.estimator_.intercept_, dtype=np.float64))
        temperatures.append(float(member.classifier.temperature_))
        offsets.append(high)
    return FusedMembers(
        char_name=char_name,
        char_weight=float(char_weight or 1.0),
        char_coef=char_coef,
        char_idf2=char_idf2,
        shared=tuple((name, np.hstack(parts)) for name, parts in shared_coef.items()),
        intercept=np.concatenate(intercepts),
        temperature=np.asarray(temperatures),
        offsets=np.asarray(offsets),
        columns=tuple(member.columns for member in members),
    )
