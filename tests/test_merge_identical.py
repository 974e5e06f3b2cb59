import json

import pytest

from index.build import Chunk, Source, build_index, merge_identical
from index.config import ChunkConfig, IndexConfig
from index.errors import IndexFormatError
from index.metrics import evaluate_retrieval
from index.records import Document
from index.retriever import Retriever

STOCK = "دوست عزیز، تست خانگی بارداری دقت کافی ندارد؛ آزمایش خون بدهید."


def chunk(row, doc_id, text, site=""):
    return Chunk(row, doc_id, text, site, "", "")


def test_identical_passages_become_one_that_cites_every_document():
    chunks = [chunk(0, "a", STOCK, "x.com"), chunk(1, "b", "سردرد میگرنی"),
              chunk(2, "c", STOCK, "y.com"), chunk(3, "d", STOCK + "  ")]
    merged, texts = merge_identical(chunks, [c.text for c in chunks])
    assert [c.row for c in merged] == [0, 1] and texts == [STOCK, "سردرد میگرنی"]
    assert merged[0].doc_ids == ("a", "c", "d")
    assert merged[0].also[0] == Source("c", "y.com", "", "")
    assert merged[1].also == ()


def test_a_document_repeating_its_own_passage_is_cited_once():
    chunks = [chunk(0, "a", STOCK), chunk(1, "a", STOCK), chunk(2, "b", STOCK)]
    merged, _ = merge_identical(chunks, [c.text for c in chunks])
    assert len(merged) == 1 and merged[0].doc_ids == ("a", "b")


def docs():
    return [Document("q1", STOCK, site="x.com"), Document("q2", "میگرن با نور بدتر می‌شود"),
            Document("q3", STOCK.replace("ي", "ی"), site="y.com")]


def test_search_shows_a_repeated_answer_once_and_counts_it_for_each_question(tmp_path):
    manifest = build_index(docs(), tmp_path / "i", progress=False)
    assert manifest.documents == 3 and manifest.chunks == 2
    retriever = Retriever.load(tmp_path / "i")
    hits = retriever.search("تست خانگی بارداری", k=5)
    assert hits[0].doc_ids == ("q1", "q3") and hits[0].to_dict()["also"][0]["site"] == "y.com"
    assert len({h.text for h in hits}) == len(hits)
    queries = [("q3", "تست خانگی بارداری دقیق است؟"), ("q1", "آزمایش خون برای بارداری")]
    assert evaluate_retrieval(retriever, queries, progress=False)["recall@1"] == 1.0


def test_merging_can_be_turned_off(tmp_path):
    config = IndexConfig(chunk=ChunkConfig(merge_identical=False))
    assert build_index(docs(), tmp_path / "i", config, progress=False).chunks == 3


def test_a_damaged_list_of_sources_is_reported(tmp_path):
    build_index(docs(), tmp_path / "i", progress=False)
    path = tmp_path / "i" / "chunks.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    records[0]["also"] = "q3"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(IndexFormatError, match=r"chunks\.jsonl:1: damaged"):
        Retriever.load(tmp_path / "i", verify=False)
