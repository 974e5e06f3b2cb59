from index.config import FusionConfig
from index.fusion import fuse, reciprocal_rank_fusion, score_fusion


def test_documents_ranked_well_by_both_sides_win():
    fused = reciprocal_rank_fusion([[1, 2, 3], [2, 3, 1]], [1.0, 1.0], rrf_k=60)
    assert [item for item, _ in fused] == [2, 1, 3]


def test_weights_shift_the_ranking_towards_one_side():
    dense, lexical = [10, 20], [20, 10]
    assert reciprocal_rank_fusion([dense, lexical], [3.0, 1.0])[0][0] == 10
    assert reciprocal_rank_fusion([dense, lexical], [1.0, 3.0])[0][0] == 20


def test_zero_weight_ignores_a_side():
    fused = reciprocal_rank_fusion([[1], [2]], [1.0, 0.0])
    assert [item for item, _ in fused] == [1]


def test_score_fusion_normalises_unbounded_bm25_scores():
    # Raw sums would rank 2 first (0.5 + 40 > 0.9 + 30); scaled to [0, 1] per side, 1 is
    # best (1 + 0.75 > 0.5 + 1), and the fused scores are those scaled sums, no tie to break.
    cosine = ([1, 2, 3], [0.9, 0.5, 0.1])
    bm25 = ([2, 1, 3], [40.0, 30.0, 0.0])
    fused = score_fusion([cosine, bm25], [1.0, 1.0])
    assert [item for item, _ in fused] == [1, 2, 3]
    assert [round(score, 6) for _, score in fused] == [1.75, 1.5, 0.0]


def test_fuse_works_with_one_side_missing():
    fused = fuse(None, ([5, 6], [2.0, 1.0]), FusionConfig())
    assert [item for item, _ in fused] == [5, 6]
