"""Integration tests on the real Persian data in ../shared/data (skipped when absent)."""

import pytest

from index.build import build_index
from index.metrics import evaluate_retrieval, load_queries
from index.records import load_documents
from index.retriever import Retriever

pytestmark = pytest.mark.data


def test_mf3qa_files_load_with_their_ids_and_sites(shared_data):
    train = load_documents(shared_data / "mf3qa" / "train.jsonl")
    dev = load_documents(shared_data / "mf3qa" / "dev.jsonl")
    assert (len(train), len(dev)) == (18_225, 2_000)
    assert dev[0].doc_id == "dev-00000" and dev[0].site == "niniban.com"
    assert {d.site for d in train} == {"drhast.com", "niniban.com"}


def test_bm25_finds_real_doctor_answers_for_real_questions(shared_data, tmp_path):
    dev = shared_data / "mf3qa" / "dev.jsonl"
    documents = load_documents(dev)[:600]
    build_index(documents, tmp_path / "dev", progress=False)
    retriever = Retriever.load(tmp_path / "dev")
    queries = load_queries(dev, limit=600)[:200]
    result = evaluate_retrieval(retriever, queries, progress=False)
    assert result["n"] == 200 and result["invalid"] == 0
    # 600 candidate answers: chance MRR@10 is about 0.005; hazm-analyzed BM25 does far better.
    assert result["mrr@10"] > 0.2 and result["recall@20"] > 0.4


def test_every_real_question_passes_the_query_checks(shared_data, demo_retriever):
    from index.errors import QueryError

    refused = []
    for doc_id, question in load_queries(shared_data / "mf3qa" / "dev.jsonl"):
        try:
            demo_retriever.check_query(question)
        except QueryError:
            refused.append(doc_id)
    assert refused == []
