"""Candidate reasons and their domains from the sample's vectors (deterministic for a seed).

Reasons: KMeans (k-means++, fixed seed) for every k of [min_reasons, max_reasons]; the k kept is the one whose
partition has the best silhouette (cosine), measured on a fixed sub-sample so that the choice costs O(s²) whatever
the export's size. Domains: Ward linkage over the reasons' centroids (the hierarchy above the reasons), cut at the
number of domains in [min_domains, max_domains] with the best silhouette among centroids. Why KMeans and not
HDBSCAN or a Ward tree over the notes: measured in docs/DISCOVERY.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from serving.discovery.config import ClusteringSettings


@dataclass(frozen=True)
class Partition:
    """Labels of the clustered rows (0…k−1), L2-normalised centroids, and the silhouette of every k tried."""

    labels: np.ndarray
    centroids: np.ndarray
    silhouettes: dict[int, float]

    @property
    def k(self) -> int:
        return len(self.centroids)

    @property
    def silhouette(self) -> float:
        return self.silhouettes.get(self.k, float("nan"))


def _candidate_ks(n: int, settings: ClusteringSettings) -> list[int]:
    high = min(settings.max_reasons, n - 1)
    low = min(settings.min_reasons, high)
    return list(range(max(low, 2), high + 1, settings.k_step)) or [max(1, high)]


def choose_partition(vectors: np.ndarray, settings: ClusteringSettings, *, seed: int) -> Partition:
    """The KMeans partition of `vectors` (L2-normalised rows) with the best silhouette over the allowed k."""
    n = len(vectors)
    rng = np.random.default_rng(seed)
    probe = np.sort(rng.choice(n, size=min(n, settings.selection_sample), replace=False))
    silhouettes: dict[int, float] = {}
    best: tuple[float, int, np.ndarray, np.ndarray] | None = None
    for k in _candidate_ks(n, settings):
        model = KMeans(n_clusters=k, n_init=settings.n_init, random_state=seed).fit(vectors)
        labels = np.asarray(model.labels_, dtype=int)
        probe_labels = labels[probe]
        if 2 <= len(np.unique(probe_labels)) < len(probe):
            score = float(silhouette_score(vectors[probe], probe_labels, metric="cosine"))
        else:
            score = -1.0
        silhouettes[k] = round(score, 4)
        if best is None or score > best[0]:
            best = (score, k, labels, np.asarray(model.cluster_centers_))
    assert best is not None
    return Partition(labels=best[2], centroids=normalize(best[3]), silhouettes=silhouettes)


def group_domains(centroids: np.ndarray, settings: ClusteringSettings) -> np.ndarray:
    """One domain number (0…d−1) per centroid: Ward tree over the centroids, cut at the best-silhouette d."""
    k = len(centroids)
    if k < 3 or settings.max_domains < 2:
        return np.zeros(k, dtype=int)
    tree = linkage(centroids, method="ward")
    best: tuple[float, np.ndarray] | None = None
    for d in range(max(2, settings.min_domains), min(settings.max_domains, k - 1) + 1):
        labels = fcluster(tree, d, criterion="maxclust") - 1
        if len(np.unique(labels)) < 2:
            continue
        score = float(silhouette_score(centroids, labels, metric="cosine"))
        if best is None or score > best[0]:
            best = (score, labels)
    return np.zeros(k, dtype=int) if best is None else np.asarray(best[1], dtype=int)
