"""One-query searches run FAISS single-threaded without changing the thread count after."""

import faiss
import numpy as np

from index.config import DenseConfig
from index.dense import build_dense_index, one_thread, score_rows, search_dense


def vectors(n=400, dim=16):
    data = np.random.default_rng(3).standard_normal((n, dim)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


def test_one_thread_restores_the_thread_count():
    before = faiss.omp_get_max_threads()
    with one_thread():
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == before


def test_row_scores_are_inner_products_with_the_stored_vectors():
    data = vectors()
    index = build_dense_index(data, DenseConfig(kind="flat"))
    rows = [5, 17, 399]
    np.testing.assert_allclose(score_rows(index, data[0], rows), data[rows] @ data[0],
                               rtol=1e-5)
    scores, ids = search_dense(index, data[:1], 3)
    assert ids[0][0] == 0 and abs(scores[0][0] - 1) < 1e-5
