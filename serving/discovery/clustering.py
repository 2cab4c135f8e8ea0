"""Candidate reasons and their domains from the sample's vectors (deterministic for a seed).

Vectors are first smoothed (`smooth`): each note's vector plus the mean of its `neighbours` nearest sample notes'
(short notes share few words; their neighbourhood says more). Reasons: KMeans (k-means++, fixed seed) for every k
of [min_reasons, max_reasons]; the k kept is the one whose partition has the best silhouette (cosine), measured on
a fixed probe sub-sample so that the choice costs O(s²) whatever the export's size. With `consensus`, the final
partition is not that one KMeans run but the consensus of all of them (evidence accumulation): on the probe, how
often the runs of every k put two notes together, an average-linkage tree over 1 − that frequency, cut at the chosen
k; centroids = the means of the probe's groups, and every sample note goes to the nearest one.
Domains: Ward linkage over the reasons' centroids (the hierarchy above the reasons), cut at the
number of domains in [min_domains, max_domains] with the best silhouette among centroids. Why KMeans and not
HDBSCAN or a Ward tree over the notes: measured in docs/DISCOVERY.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
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


def smooth(vectors: np.ndarray, reference: np.ndarray, neighbours: int, *, same: bool, block: int = 500) -> np.ndarray:
    """Each row of `vectors` + the mean of its `neighbours` most similar rows of `reference`, L2-normalised.

    `same`: `vectors` is `reference` (a row is not its own neighbour). Blocks of `block` rows bound memory to
    block × len(reference) similarities (and as many int64 indices from argpartition).
    """
    m = min(neighbours, len(reference) - (1 if same else 0))
    if m <= 0 or not len(vectors):
        return vectors
    out = np.empty_like(vectors)
    for start in range(0, len(vectors), block):
        rows = vectors[start : start + block]
        similarities = rows @ reference.T
        if same:
            similarities[np.arange(len(rows)), np.arange(start, start + len(rows))] = -np.inf
        nearest = np.argpartition(-similarities, m - 1, axis=1)[:, :m]
        out[start : start + block] = rows + reference[nearest].mean(axis=1)
    return normalize(out).astype(vectors.dtype)


def _consensus(vectors: np.ndarray, probe: np.ndarray, runs: list[np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centroids of the evidence-accumulation consensus of `runs` (probe labels), cut at k groups."""
    together = np.zeros((len(probe), len(probe)), dtype=np.float32)
    for labels in runs:
        together += labels[:, None] == labels[None, :]
    together *= -1.0 / len(runs)
    together += 1.0  # in place: 1 − share of runs, the probe² matrix is held once
    np.fill_diagonal(together, 0.0)
    tree = linkage(squareform(together, checks=False), method="average")
    groups = fcluster(tree, k, criterion="maxclust") - 1
    centroids = normalize(np.vstack([vectors[probe][groups == g].mean(axis=0) for g in np.unique(groups)]))
    labels = np.argmax(vectors @ centroids.T, axis=1)
    return np.asarray(labels, dtype=int), centroids


def choose_partition(vectors: np.ndarray, settings: ClusteringSettings, *, seed: int) -> Partition:
    """The partition of `vectors` (L2-normalised rows) at the best-silhouette k (consensus or KMeans, see above)."""
    n = len(vectors)
    rng = np.random.default_rng(seed)
    probe = np.sort(rng.choice(n, size=min(n, settings.selection_sample), replace=False))
    silhouettes: dict[int, float] = {}
    best: tuple[float, int, np.ndarray, np.ndarray] | None = None
    runs: list[np.ndarray] = []
    for k in _candidate_ks(n, settings):
        model = KMeans(n_clusters=k, n_init=settings.n_init, random_state=seed).fit(vectors)
        labels = np.asarray(model.labels_, dtype=int)
        probe_labels = labels[probe]
        runs.append(probe_labels)
        if 2 <= len(np.unique(probe_labels)) < len(probe):
            score = float(silhouette_score(vectors[probe], probe_labels, metric="cosine"))
        else:
            score = -1.0
        silhouettes[k] = round(score, 4)
        if best is None or score > best[0]:
            best = (score, k, labels, np.asarray(model.cluster_centers_))
    assert best is not None
    if settings.consensus and len(runs) > 1:
        labels, centroids = _consensus(vectors, probe, runs, best[1])
        return Partition(labels=labels, centroids=centroids, silhouettes=silhouettes)
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
