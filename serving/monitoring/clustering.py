"""Grouping the notes of one pool (deterministic: same input order → same labels).

`hdbscan` (default): scikit-learn's HDBSCAN on the L2-normalised vectors (Euclidean distance, a monotone function of
cosine), noise = −1. `agglomerative`: average-linkage on cosine distance cut at `distance_threshold`, groups smaller
than `min_cluster_size` become noise; above `max_pool` notes, the average linkage runs on a fixed-seed sample of
`max_pool` of them and each other note joins the group it is on average closest to when that mean cosine distance is
below `distance_threshold` (the rule average linkage itself merges by), else noise.
Labels are renumbered 0, 1, … by decreasing size, ties by first member.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import HDBSCAN, AgglomerativeClustering

from serving.monitoring.config import ClusteringConfig


def cluster_vectors(vectors: np.ndarray, settings: ClusteringConfig) -> np.ndarray:
    """One label per row of `vectors` (−1 = noise), renumbered by decreasing cluster size."""
    n = len(vectors)
    if n < max(settings.min_cluster_size, 2):
        return np.full(n, -1, dtype=int)
    if settings.algorithm == "hdbscan":
        labels = HDBSCAN(
            min_cluster_size=settings.min_cluster_size,
            min_samples=min(settings.min_samples, n - 1),
            metric="euclidean",
            copy=True,
        ).fit_predict(vectors)
    else:
        labels = _average_linkage(vectors, settings)
        sizes = np.bincount(labels[labels >= 0], minlength=1)
        labels = np.where((labels >= 0) & (sizes[np.maximum(labels, 0)] >= settings.min_cluster_size), labels, -1)
    return _renumber(np.asarray(labels, dtype=int))


def _average_linkage(vectors: np.ndarray, settings: ClusteringConfig) -> np.ndarray:
    """Average-linkage groups cut at `distance_threshold` (−1: a note of the rest near no group, see the module
    docstring). Vectors are L2-normalised: a note's mean cosine similarity to a group is its dot product with the
    group's mean vector."""
    n = len(vectors)
    cap = settings.max_pool
    sample = (
        np.arange(n) if cap is None or n <= cap else np.sort(np.random.default_rng(0).choice(n, cap, replace=False))
    )
    found = AgglomerativeClustering(
        n_clusters=None, distance_threshold=settings.distance_threshold, metric="cosine", linkage="average"
    ).fit_predict(vectors[sample])
    if len(sample) == n:
        return np.asarray(found, dtype=int)
    labels = np.full(n, -1, dtype=int)
    labels[sample] = found
    rest = np.setdiff1d(np.arange(n), sample)
    means = np.vstack([vectors[sample[found == label]].mean(axis=0) for label in range(int(found.max()) + 1)])
    similarity = vectors[rest] @ means.T
    best = similarity.argmax(axis=1)
    close = 1.0 - similarity[np.arange(len(rest)), best] < settings.distance_threshold
    labels[rest[close]] = best[close]
    return labels


def _renumber(labels: np.ndarray) -> np.ndarray:
    found = [label for label in np.unique(labels) if label >= 0]
    order = sorted(found, key=lambda label: (-int((labels == label).sum()), int(np.argmax(labels == label))))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(int(label), -1) for label in labels], dtype=int)
