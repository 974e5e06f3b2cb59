"""FAISS vector indexes: exact for small corpora, approximate (HNSW, IVF) for large ones.

Vectors are L2-normalised, so inner product is cosine similarity. The index type is a
config choice because the right one depends on size: a flat index is exact and fast enough
up to a few hundred thousand chunks; past that HNSW or IVF with scalar or product
quantisation keeps queries in milliseconds and memory within a home machine.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.config import DenseConfig
from index.errors import IndexFormatError

APPROXIMATE_KIND = "ivfsq"


def resolve_kind(config: DenseConfig, n: int) -> DenseConfig:
    """``auto`` made concrete for ``n`` passages: exact below ``exact_below``, else ivfsq.

    Where the exact scan starts to dominate a query (benchmarks/scale.py: about 9 ms of a
    hybrid query at 100k passages on two cores, 90 ms at 1M), an 8-bit IVF index answers in
    about a millisecond in a quarter of the memory, with MRR@10 within 1% of exact.
    """
    if config.kind != "auto":
        return config
    return replace(config, kind="flat" if n < config.exact_below else APPROXIMATE_KIND)


def _nlist(config: DenseConfig, n: int) -> int:
    if config.ivf_nlist:
        return config.ivf_nlist
    return max(1, min(65536, int(4 * math.sqrt(n))))


def build_dense_index(vectors: np.ndarray, config: DenseConfig):  # -> faiss.Index
    """Build and fill a FAISS inner-product index of the configured kind."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    config = resolve_kind(config, n)
    metric = faiss.METRIC_INNER_PRODUCT
    if config.kind == "flat" or n == 0:
        index = faiss.IndexFlatIP(dim)
    elif config.kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, config.hnsw_m, metric)
        index.hnsw.efConstruction = config.hnsw_ef_construction
    else:
        nlist = min(_nlist(config, n), max(1, n // 39))  # FAISS wants >= 39 points per list
        if config.kind == "ivf":
            spec = f"IVF{nlist},Flat"
        elif config.kind == "ivfsq":
            spec = f"IVF{nlist},SQ8"
        else:
            if dim % config.pq_m:
                raise ValueError(
                    f"pq_m ({config.pq_m}) must divide the embedding dimension ({dim}); "
                    f"try pq_m={next(m for m in (64, 48, 32, 24, 16, 8, 4, 2, 1) if dim % m == 0)}"
                )
            spec = f"IVF{nlist},PQ{config.pq_m}"
        index = faiss.index_factory(dim, spec, metric)
        # k-means needs tens of points per list, not all of them: a sample keeps 1M fast.
        sample = vectors
        if n > nlist * 64:
            picks = np.random.default_rng(0).choice(n, nlist * 64, replace=False)
            sample = vectors[np.sort(picks)]
        index.train(sample)
    index.add(vectors)
    configure_search(index, config)
    return index


def configure_search(index, config: DenseConfig) -> None:
    """Set the query-time knobs (efSearch, nprobe) that are not saved with the index."""
    import faiss

    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = config.hnsw_ef_search
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = config.ivf_nprobe


def _enable_reconstruct(index) -> None:
    """IVF indexes need a row -> list map to give vectors back (used by score fusion)."""
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.make_direct_map()


def save_dense_index(index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load_dense_index(path: Path, config: DenseConfig):
    import faiss

    try:
        index = faiss.read_index(str(path))
    except RuntimeError as error:
        raise IndexFormatError(
            f"{path}: the FAISS file is damaged or truncated ({str(error).splitlines()[0]}); "
            "rebuild the index with `gaokerena index build`"
        ) from None
    configure_search(index, config)
    _enable_reconstruct(index)
    return index


@contextmanager
def one_thread() -> Iterator[None]:
    """Run FAISS single-threaded in this thread for a one-query search.

    One query has nothing to share out, and OpenMP's hand-offs are not free: on a busy
    two-core machine, reconstructing 90 rows of an IVF index took 36-500 ms with two threads
    and 0.1-0.3 ms with one; an HNSW search 13 ms against 0.2. OpenMP keeps the thread count
    per thread, so other threads (an index build) keep theirs.
    """
    import faiss

    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def score_rows(index, query_vector: np.ndarray, rows: list[int]) -> np.ndarray | None:
    """Inner products of one query with the stored vectors of ``rows``, or None if the index
    cannot give its vectors back (an IVF index without a direct map)."""
    if not rows:
        return np.zeros(0, dtype=np.float32)
    try:
        with one_thread():
            vectors = index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
    except RuntimeError:
        return None
    # einsum's own loop, not BLAS: a hundred rows do not need threads, and on a busy machine
    # waking BLAS threads cost up to 8 ms where the arithmetic takes 0.1.
    return np.einsum("ij,j->i", vectors, np.asarray(query_vector, dtype=np.float32).reshape(-1))


def search_dense(index, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, row ids) per query; rows padded with -1 when the index is small."""
    k = max(1, min(k, index.ntotal)) if index.ntotal else 1
    query_vectors = np.ascontiguousarray(query_vectors, dtype=np.float32)
    if len(query_vectors) == 1:
        with one_thread():
            scores, ids = index.search(query_vectors, k)
    else:
        scores, ids = index.search(query_vectors, k)
    return scores, ids
