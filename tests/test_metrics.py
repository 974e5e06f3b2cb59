import pytest

from index.errors import DataError
from index.metrics import first_relevant_rank, summarize_ranks


def test_passages_of_one_document_count_once_at_best_rank():
    assert first_relevant_rank(["a", "a", "b", "c"], "c") == 3
    assert first_relevant_rank(["a", "b"], "z") is None


def test_summary_has_the_documented_keys_and_values():
    result = summarize_ranks([1, 2, None, 15])
    assert result == {"mrr@10": round((1 + 0.5) / 4, 4), "recall@1": 0.25, "recall@5": 0.5,
                      "recall@20": 0.75, "n": 4}


def test_no_queries_is_an_error():
    with pytest.raises(DataError):
        summarize_ranks([])


def test_a_passage_shared_by_several_documents_finds_each_of_them():
    ranked = [("a",), ("b", "c"), ("c", "b"), ("d",)]
    assert first_relevant_rank(ranked, "c") == 2
    assert first_relevant_rank(ranked, "d") == 3
