"""Redacted notes → candidate reasons grouped in domains, and one assignment per note (pure: no file, no print).

Steps (settings in `defaults.yaml`, reasons in docs/DISCOVERY.md):
1. a deterministic sample (seeded) of at most `sample_size` notes is lemmatised and represented
   (`embedding.NoteEmbedder`, fitted on it), smoothed with each note's nearest sample notes (`clustering.smooth`;
   notes outside the sample are smoothed with their nearest sample notes too), then clustered
   (`clustering.choose_partition`: k by silhouette, consensus partition);
2. candidates whose estimated size over all notes is below `min_size` are dissolved before assignment;
3. every note, chunk by chunk (memory bounded by `chunk_size`, not by the export's size), goes to the candidate whose
   centroid is the most similar (cosine), or stays « autre » (label −1) when that similarity is below
   `min_similarity` or the note has no content word; a candidate left with fewer than `min_size` notes is dissolved
   (its notes stay « autre »);
4. candidates are renumbered by decreasing size, grouped in domains (`clustering.group_domains`), and named from
   the sample's notes (`naming`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from serving.discovery.clustering import choose_partition, group_domains, smooth
from serving.discovery.config import DiscoveryConfig
from serving.discovery.embedding import NoteEmbedder
from serving.discovery.errors import InvalidNotes
from serving.discovery.lemmas import NoteLemmatizer
from serving.discovery.naming import class_keywords, label_from_keywords, representative_rows

AUTRE_LABEL = -1
Lemmatize = Callable[[Sequence[str]], list[tuple[str, ...]]]


@dataclass(frozen=True)
class Candidate:
    """A candidate reason: its notes' count, keywords, label, domain number and redacted representative notes."""

    number: int
    size: int
    keywords: tuple[str, ...]
    label: str
    domain: int
    examples: tuple[str, ...]
    mean_confidence: float


@dataclass(frozen=True)
class DomainGroup:
    number: int
    keywords: tuple[str, ...]
    label: str
    candidates: tuple[int, ...]


@dataclass(frozen=True)
class Quality:
    """Coverage and cluster-quality figures printed at the end of `motifs discover`."""

    notes: int
    covered: int
    sample_size: int
    k: int
    silhouette: float
    silhouettes: dict[int, float] = field(default_factory=dict)
    empty_notes: int = 0
    dissolved: int = 0

    @property
    def coverage(self) -> float:
        return self.covered / self.notes if self.notes else 0.0


@dataclass(frozen=True)
class Discovery:
    """Labels (−1 = « autre ») and confidences (cosine to the candidate's centroid) in the notes' order."""

    labels: np.ndarray
    confidence: np.ndarray
    candidates: tuple[Candidate, ...]
    domains: tuple[DomainGroup, ...]
    quality: Quality


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def _nearest(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not len(centroids) or not len(vectors):
        return np.full(len(vectors), AUTRE_LABEL), np.zeros(len(vectors), dtype=np.float32)
    similarities = vectors @ centroids.T
    best = np.argmax(similarities, axis=1)
    return best, similarities[np.arange(len(vectors)), best].astype(np.float32)


# One BLAS thread: on a shared machine the many small KMeans fits are 10× slower oversubscribed (measured:
# 8.9 s instead of 90–135 s for 1,243 notes on 2 busy cores).
@threadpool_limits.wrap(limits=1)
def discover_reasons(texts: Sequence[str], config: DiscoveryConfig, *, lemmatize: Lemmatize | None = None) -> Discovery:
    """Candidate reasons for `texts` (already redacted) — see the module docstring."""
    if isinstance(texts, str):
        raise TypeError("attendu une liste de notes, reçu une seule chaîne")
    n = len(texts)
    settings = config.clustering
    lemmatize = lemmatize or NoteLemmatizer(
        kind=config.representation.lemmatizer, extra_stop_words=config.representation.extra_stop_words
    )
    sample = _sample(n, config.sample_size, config.seed)
    sample_lemmas = lemmatize([texts[row] for row in sample])
    content = np.array([bool(lemmas) for lemmas in sample_lemmas], dtype=bool)
    needed = max(3, 2 * config.assignment.min_size)
    if int(content.sum()) < needed:
        raise InvalidNotes(
            f"{int(content.sum())} note(s) avec des mots de contenu dans l'échantillon (attendu : au moins {needed} "
            "pour proposer des motifs)"
        )
    rows = sample[content]
    docs = [lemmas for lemmas, kept in zip(sample_lemmas, content, strict=True) if kept]
    representation = config.representation
    embedder = NoteEmbedder(
        svd_components=representation.svd_components,
        char_ngrams=representation.char_ngrams,
        vector_weight=representation.vector_weight,
        seed=config.seed,
    ).fit(docs)
    raw = embedder.transform(docs)
    neighbours = settings.neighbours
    vectors = smooth(raw, raw, neighbours, same=True)
    partition = choose_partition(vectors, settings, seed=config.seed)

    # Dissolve before assigning what the sample says will stay too small over all notes.
    sample_best, sample_similarity = _nearest(vectors, partition.centroids)
    fitting = sample_similarity >= config.assignment.min_similarity
    estimated = np.bincount(sample_best[fitting], minlength=partition.k) * (n / len(sample))
    kept = np.flatnonzero(estimated >= config.assignment.min_size)
    centroids = partition.centroids[kept]

    labels = np.full(n, AUTRE_LABEL, dtype=np.int32)
    confidence = np.zeros(n, dtype=np.float32)
    best, similarity = _nearest(vectors, centroids)
    labels[rows], confidence[rows] = best, similarity
    in_sample = np.zeros(n, dtype=bool)
    in_sample[sample] = True
    rest = np.flatnonzero(~in_sample)
    empty = int((~content).sum())
    for start in range(0, len(rest), config.chunk_size):
        chunk = rest[start : start + config.chunk_size]
        chunk_lemmas = lemmatize([texts[row] for row in chunk])
        has_content = np.array([bool(lemmas) for lemmas in chunk_lemmas], dtype=bool)
        empty += int((~has_content).sum())
        chunk_rows = chunk[has_content]
        if not len(chunk_rows):
            continue
        chunk_vectors = embedder.transform([lemmas for lemmas in chunk_lemmas if lemmas])
        best, similarity = _nearest(smooth(chunk_vectors, raw, neighbours, same=False), centroids)
        labels[chunk_rows], confidence[chunk_rows] = best, similarity
    labels[(labels >= 0) & (confidence < config.assignment.min_similarity)] = AUTRE_LABEL

    sizes = np.bincount(labels[labels >= 0], minlength=len(kept))
    order = sorted((c for c in range(len(kept)) if sizes[c] >= config.assignment.min_size), key=lambda c: -sizes[c])
    renumber = np.full(len(kept) + 1, AUTRE_LABEL, dtype=np.int32)  # last slot maps « autre » to itself
    for new, old in enumerate(order):
        renumber[old] = new
    labels = renumber[labels]
    final_centroids = centroids[order] if order else centroids[:0]
    dissolved = partition.k - len(order)
    return _named(
        texts,
        labels,
        confidence,
        final_centroids,
        sample=sample,
        sample_lemmas=sample_lemmas,
        config=config,
        quality=Quality(
            notes=n,
            covered=int((labels >= 0).sum()),
            sample_size=len(sample),
            k=partition.k,
            silhouette=partition.silhouette,
            silhouettes=partition.silhouettes,
            empty_notes=empty,
            dissolved=dissolved,
        ),
    )


def _named(
    texts: Sequence[str],
    labels: np.ndarray,
    confidence: np.ndarray,
    centroids: np.ndarray,
    *,
    sample: np.ndarray,
    sample_lemmas: list[tuple[str, ...]],
    config: DiscoveryConfig,
    quality: Quality,
) -> Discovery:
    naming = config.naming
    sample_labels = labels[sample]
    keywords = class_keywords(sample_lemmas, sample_labels, top=naming.keywords)
    domain_of = group_domains(centroids, config.clustering) if len(centroids) else np.zeros(0, dtype=int)
    sample_domains = np.where(sample_labels >= 0, domain_of[np.maximum(sample_labels, 0)], AUTRE_LABEL)
    domain_keywords = class_keywords(sample_lemmas, sample_domains, top=naming.keywords)
    sample_texts = [texts[row] for row in sample]
    sample_confidence = confidence[sample]
    candidates = []
    for number in range(len(centroids)):
        members = np.flatnonzero(sample_labels == number)
        words = tuple(keywords.get(number, ()))
        chosen = representative_rows(sample_confidence, members, sample_texts, count=naming.examples)
        candidates.append(
            Candidate(
                number=number,
                size=int((labels == number).sum()),
                keywords=words,
                label=label_from_keywords(words, count=naming.label_keywords, fallback=f"Motif candidat {number + 1}"),
                domain=int(domain_of[number]),
                examples=tuple(" ".join(sample_texts[row].split())[:500] for row in chosen),
                mean_confidence=round(float(confidence[labels == number].mean()), 4),
            )
        )
    domains = tuple(
        DomainGroup(
            number=domain,
            keywords=tuple(domain_keywords.get(domain, ())),
            label=label_from_keywords(
                domain_keywords.get(domain, ()), count=naming.label_keywords, fallback=f"Domaine {domain + 1}"
            ),
            candidates=tuple(c.number for c in candidates if c.domain == domain),
        )
        for domain in sorted({c.domain for c in candidates})
    )
    return Discovery(
        labels=labels,
        confidence=np.round(confidence, 4),
        candidates=tuple(candidates),
        domains=domains,
        quality=quality,
    )
