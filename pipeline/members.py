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
