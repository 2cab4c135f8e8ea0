"""Prediction-set scores (pipeline.sets): a set is a prefix of the note's ranking and always holds the top reason."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pipeline.errors import InvalidConfig
from pipeline.sets import score_config, set_scores, set_size

RAPS = {"name": "raps.v1", "penalty": 0.5, "penalty_from_rank": 1}
LAC = {"name": "probability.v1", "penalty": 0.0, "penalty_from_rank": 1}


@given(
    arrays(np.float64, (4, 6), elements=st.floats(0.001, 1.0)),
    st.sampled_from([RAPS, LAC, {"name": "raps.v1", "penalty": 0.0, "penalty_from_rank": 0}]),
    st.floats(0.0, 4.0),
)
def test_a_set_is_a_prefix_of_the_ranking(raw: np.ndarray, score: dict, threshold: float) -> None:
    proba = raw / raw.sum(axis=1, keepdims=True)
    scores = set_scores(proba, score)
    for row, values in zip(proba, scores, strict=True):
        order = np.argsort(-row, kind="stable")
        assert np.all(np.diff(values[order]) >= -1e-12)  # the score grows along the ranking
        size = set_size(values[order], threshold)
        assert size >= 1 and set(order[:size]) >= set(np.flatnonzero(values <= threshold))


def test_raps_is_the_cumulated_mass_plus_a_penalty_per_rank() -> None:
    proba = np.array([[0.1, 0.6, 0.3]])
    np.testing.assert_allclose(set_scores(proba, RAPS), [[1.0 + 1.0, 0.6, 0.9 + 0.5]])
    np.testing.assert_allclose(set_scores(proba, LAC), 1.0 - proba)
    np.testing.assert_allclose(set_scores(proba, None), 1.0 - proba)  # models saved before the choice


def test_unknown_set_score_is_refused() -> None:
    with pytest.raises(InvalidConfig, match="set_score"):
        score_config({"set_score": "aps.v9", "set_penalty": 0.1, "set_penalty_from_rank": 1})
    with pytest.raises(InvalidConfig, match="set_score"):
        set_scores(np.ones((1, 2)) / 2, {"name": "aps.v9", "penalty": 0.1, "penalty_from_rank": 1})
