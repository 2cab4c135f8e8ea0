"""Cosine similarity of notes to a model's stored training notes (exemplars), computed fast and exactly.

The feature rows of a note hold a few hundred sparse character n-grams and 300 dense static-vector columns. Multiplied
as one sparse × sparse product (scipy), the dense columns and the n-grams that most exemplars share (« de », « le »…)
cost almost all the time: the product visits every exemplar holding each of them. `ExemplarIndex` keeps those
columns apart as a dense block multiplied with BLAS, and only the rest as sparse: the same product, several times
faster.

Sums are in float64 (the stored values are float32, whose products are exact in float64): a note's similarity then
does not depend on the other notes of the batch nor on how the product is cut (BLAS sums in another order for one
row than for many), so one note through the API and the same note in a batch get the same novelty (to ~1e-15).
The plain float32 sparse product it replaces differs from it by float32 rounding (~1e-6).

Exemplars are kept sorted by reason, so `class_max_similarity` (the exemplars of one reason only, ~1/30 of them: a
lower bound of the similarity, see `ReasonModel._decisions`) works on slices, with no second copy.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

# A column goes to the dense block when more than this share of the exemplars hold it. Measured on the default model
# trained on 16 000 demo notes (5 332 exemplars, 30 906 columns; one core, 3 000 sixty-word notes): 11.7 s with the
# plain sparse product; 1.8–2.0 s with 5–20 % (1 568–810 dense columns), 3.5 s with 50 %; for a single note 20 %
# is fastest (2.3 ms, 3.8 ms with 10 %).
DENSE_SHARE = 0.2
_BLOCK_ROWS = 512  # notes per product: bounds the dense (notes × exemplars) result at ~22 MB


class ExemplarIndex:
    """Maximum cosine similarity of L2-normalised feature rows to the exemplars (given normalised, transposed:
    features × exemplars, with one label per exemplar)."""

    def __init__(self, exemplars_t: sparse.spmatrix, labels: np.ndarray, *, dense_share: float = DENSE_SHARE):
        labels = np.asarray(labels).astype(str)
        order = np.argsort(labels, kind="stable")
        codes, starts = np.unique(labels[order], return_index=True)
        ends = [*starts[1:], len(order)]
        self._ranges = {str(code): (int(a), int(b)) for code, a, b in zip(codes, starts, ends, strict=True)}
        by_feature = sparse.csr_matrix(exemplars_t, dtype=np.float64)[:, order].tocsr()
        n_features, self.n_exemplars = by_feature.shape
        holders = np.diff(by_feature.indptr)
        self._is_dense = holders > dense_share * self.n_exemplars
        self._dense_columns = np.flatnonzero(self._is_dense)
        self._position = np.full(n_features, -1, dtype=np.int32)
        self._position[self._dense_columns] = np.arange(len(self._dense_columns), dtype=np.int32)
        # exemplars × dense features: the exemplars of one reason are a block of rows (no copy when sliced)
        self._dense_t = np.ascontiguousarray(by_feature[self._dense_columns].toarray().T)
        keep = np.repeat(~self._is_dense, holders)
        rest = sparse.csr_matrix(
            (
                by_feature.data[keep],
                by_feature.indices[keep],
                np.concatenate([[0], np.cumsum(holders * ~self._is_dense)]),
            ),
            shape=by_feature.shape,
        )
        # The sparse rest in both layouts: features × exemplars for products with every exemplar (the work follows
        # the note's few features), exemplars × features for the exemplars of one reason (a slice of rows).
        self._rest = rest
        self._rest_t = sparse.csr_matrix(rest.T)
        self._rest_t.sort_indices()

    def max_similarity(self, rows: sparse.spmatrix) -> np.ndarray:
        """Per row, the largest dot product with an exemplar (rows normalised: the cosine similarity), in [0, 1]."""
        return self._max_over(sparse.csr_matrix(rows, dtype=np.float64), 0, self.n_exemplars)

    def class_max_similarity(self, rows: sparse.spmatrix, codes: np.ndarray) -> np.ndarray:
        """Per row, the largest similarity to an exemplar of the reason `codes[row]` (0 for a reason without one):
        never above `max_similarity`, and equal to it when the nearest note is of that reason."""
        rows = sparse.csr_matrix(rows, dtype=np.float64)
        codes = np.asarray(codes).astype(str)
        out = np.zeros(rows.shape[0])
        for code in np.unique(codes):
            span = self._ranges.get(str(code))
            if span is not None:
                where = np.flatnonzero(codes == code)
                out[where] = self._max_over(rows[where], *span)
        return out

    def _max_over(self, rows: sparse.csr_matrix, start: int, end: int) -> np.ndarray:
        out = np.zeros(rows.shape[0])
        if end <= start:
            return out
        every = (start, end) == (0, self.n_exemplars)
        rest_t = None if every else self._rest_t[start:end]
        for first in range(0, rows.shape[0], _BLOCK_ROWS):
            block = rows[first : first + _BLOCK_ROWS]
            out[first : first + _BLOCK_ROWS] = self._products(block, start, end, rest_t).max(axis=1)
        return np.clip(out, 0.0, 1.0)

    def _products(self, rows: sparse.csr_matrix, start: int, end: int, rest_t: sparse.csr_matrix | None) -> np.ndarray:
        """`rows @ exemplars[:, start:end]` as a dense (rows × exemplars) array: dense block with BLAS, rest sparse
        (`rest_t`: the sparse rest of those exemplars, exemplars × features; None for every exemplar)."""
        n = rows.shape[0]
        which = np.repeat(np.arange(n), np.diff(rows.indptr))
        in_dense = self._is_dense[rows.indices]
        dense_rows = np.zeros((n, len(self._dense_columns)))
        dense_rows[which[in_dense], self._position[rows.indices[in_dense]]] = rows.data[in_dense]
        out = dense_rows @ self._dense_t[start:end].T
        sparse_part = ~in_dense
        if sparse_part.any():
            counts = np.bincount(which[sparse_part], minlength=n)
            rest_rows = sparse.csr_matrix(
                (rows.data[sparse_part], rows.indices[sparse_part], np.concatenate([[0], np.cumsum(counts)])),
                shape=rows.shape,
            )
            if rest_t is None:
                product = (rest_rows @ self._rest).tocoo()  # rows × exemplars
                out[product.row, product.col] += product.data
            else:
                product = (rest_t @ rest_rows.T).tocoo()  # exemplars × rows
                out[product.col, product.row] += product.data
        return out
