"""The capped agglomerative pool (issue 17): a large pool clustered on a sample finds the groups of the whole pool."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import normalize

from serving.monitoring import default_config
from serving.monitoring.clustering import cluster_vectors

SETTINGS = default_config().emerging.clustering


def _pool(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Four themes of 300, 200, 60 and 12 notes around random directions, and 100 scattered notes."""
    rng = np.random.default_rng(seed)
    sizes = [300, 200, 60, 12]
    centres = rng.normal(size=(len(sizes), 50))
    rows = [centre + 0.25 * rng.normal(size=(size, 50)) for centre, size in zip(centres, sizes, strict=True)]
    truth = np.repeat(np.arange(len(sizes)), sizes)
    vectors = np.vstack([*rows, rng.normal(size=(100, 50))])
    order = rng.permutation(len(vectors))
    return normalize(vectors)[order].astype(np.float32), np.concatenate([truth, np.full(100, -1)])[order]


def test_a_pool_above_the_cap_finds_the_same_themes_as_the_whole_pool() -> None:
    vectors, truth = _pool(0)
    whole = cluster_vectors(vectors, SETTINGS.model_copy(update={"max_pool": None}))
    capped = cluster_vectors(vectors, SETTINGS.model_copy(update={"max_pool": 300}))
    themes = truth >= 0
    assert adjusted_rand_score(truth[themes], whole[themes]) == 1.0  # the fixture is clear for the plain linkage
    assert adjusted_rand_score(whole[themes], capped[themes]) == 1.0  # every theme, the 12-note one included
    assert (capped[~themes] == -1).mean() >= 0.95  # scattered notes near no theme stay noise
    assert capped.tolist() == cluster_vectors(vectors, SETTINGS.model_copy(update={"max_pool": 300})).tolist()


def test_the_cap_changes_nothing_below_it() -> None:
    vectors, _ = _pool(1)
    whole = cluster_vectors(vectors, SETTINGS.model_copy(update={"max_pool": None}))
    assert cluster_vectors(vectors, SETTINGS.model_copy(update={"max_pool": len(vectors)})).tolist() == whole.tolist()
