"""Grouping the notes of one pool (deterministic: same input order → same labels).

`hdbscan` (default): scikit-learn's HDBSCAN on the L2-normalised vectors (Euclidean distance, a monotone function of
cosine), noise = −1. `agglomerative`: average-linkage on cosine distance cut at `distance_threshold`, groups smaller
than `min_cluster_size` become noise. Labels are renumbered 0, 1, … by decreasing size, ties by first member.
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
        labels = AgglomerativeClustering(
            n_clusters=None, distance_threshold=settings.distance_threshold, metric="cosine", linkage="average"
        ).fit_predict(vectors)
        sizes = np.bincount(labels)
        labels = np.where(sizes[labels] >= settings.min_cluster_size, labels, -1)
    return _renumber(np.asarray(labels, dtype=int))


def _renumber(labels: np.ndarray) -> np.ndarray:
    found = [label for label in np.unique(labels) if label >= 0]
    order = sorted(found, key=lambda label: (-int((labels == label).sum()), int(np.argmax(labels == label))))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(int(label), -1) for label in labels], dtype=int)
