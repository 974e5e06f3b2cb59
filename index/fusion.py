"""Combining the dense and lexical rankings into one.

The two retrievers fail differently: BM25 misses paraphrases, a small embedder misses rare
exact terms (drug names, numbers). Reciprocal rank fusion needs no score calibration, which
matters because BM25 scores are unbounded and cosine scores are not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.config import FusionConfig


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float], rrf_k: int = 60
) -> list[tuple[int, float]]:
    """Fuse ranked id lists: score(d) = sum_i weight_i / (rrf_k + rank_i(d)), ranks from 1.

    Example:
        >>> reciprocal_rank_fusion([[1, 2], [2, 3]], [1.0, 1.0], rrf_k=1)
        [(2, 0.8333333333333333), (1, 0.5), (3, 0.3333333333333333)]
    """
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if weight == 0:
            continue
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def score_fusion(
    results: Sequence[tuple[Sequence[int], Sequence[float]]], weights: Sequence[float]
) -> list[tuple[int, float]]:
    """Fuse by a weighted sum of each list's min-max normalised scores (missing = 0)."""
    fused: dict[int, float] = {}
    for (ids, scores), weight in zip(results, weights, strict=True):
        if weight == 0 or len(ids) == 0:
            continue
        values = np.asarray(scores, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        span = high - low or 1.0
        for item, value in zip(ids, values, strict=True):
            fused[int(item)] = fused.get(int(item), 0.0) + weight * (value - low) / span
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def fuse(
    dense: tuple[Sequence[int], Sequence[float]] | None,
    lexical: tuple[Sequence[int], Sequence[float]] | None,
    config: FusionConfig,
    translation: tuple[Sequence[int], Sequence[float]] | None = None,
    encoder: tuple[Sequence[int], Sequence[float]] | None = None,
) -> list[tuple[int, float]]:
    """Fuse whichever sides are present, with the configured method and weights.

    Each side is (ids, scores); for ``rrf`` the ids must come best first. A side searched
    alone (one mode of the retriever) keeps its own order and scores whatever its weight:
    there is nothing to weigh it against.
    """
    sides = [
        (side, weight)
        for side, weight in ((dense, config.dense_weight), (lexical, config.lexical_weight),
                             (translation, config.translation_weight),
                             (encoder, config.encoder_weight))
        if side is not None
    ]
    if len(sides) == 1:
        ids, scores = sides[0][0]
        return [(int(item), float(score)) for item, score in zip(ids, scores, strict=True)]
    if config.method == "rrf":
        return reciprocal_rank_fusion(
            [list(ids) for (ids, _), _ in sides], [w for _, w in sides], config.rrf_k
        )
    return score_fusion([side for side, _ in sides], [w for _, w in sides])
