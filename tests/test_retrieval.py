import json
import shutil

import pytest

from index.build import DENSE_NAME, build_index
from index.errors import DataError, IndexFormatError, QueryError
from index.metrics import evaluate_retrieval, load_queries
from index.records import Document
from index.retriever import Retriever

from .conftest import DEMO_QUERIES


def test_hybrid_search_returns_passages_with_citation_metadata(demo_retriever):
    hits = demo_retriever.search("سرم تیر می‌کشد و از نور اذیت می‌شوم", k=5)
    assert demo_retriever.mode == "hybrid"
    assert len(hits) == 5 and [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert hits[0].site == "gaokerena-rag demo" and hits[0].doc_id.startswith("demo-")
    assert hits[0].score >= hits[-1].score
    assert any(h.dense_rank is not None and h.lexical_rank is not None for h in hits)


def test_paraphrased_questions_find_their_passage(demo_retriever):
    queries = load_queries(DEMO_QUERIES)
    result = evaluate_retrieval(demo_retriever, queries, progress=False)
    assert result["n"] == 80 and result["missing"] == 0
    # Floors well below what this tiny 64-dim model reaches on the 80 paraphrases.
    assert result["mrr@10"] >= 0.5
    assert result["recall@20"] >= 0.85


def test_each_side_can_be_searched_alone(demo_index, tiny_embedder):
    lexical = Retriever.load(demo_index, mode="lexical")
    dense = Retriever.load(demo_index, tiny_embedder, mode="dense")
    assert lexical.mode == "lexical" and dense.mode == "dense"
    assert lexical.search("دیابت نوع دو", k=3) and dense.search("دیابت نوع دو", k=3)


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "empty"), ("   \n", "empty"), ("؟؟ !!", "no words"),
     ("I have a headache since yesterday", "not in Persian"), ("سر" * 50_001, "limit")],
)
def test_unusable_queries_are_refused_with_a_reason(demo_retriever, query, message):
    with pytest.raises(QueryError, match=message):
        demo_retriever.search(query)


def test_latin_drug_name_inside_persian_question_is_fine(demo_retriever):
    assert demo_retriever.search("آیا ibuprofen برای سردرد خوب است؟", k=3)


def test_lexical_only_index_still_answers(tmp_path, demo_documents):
    build_index(demo_documents, tmp_path / "bm25", embedder=None, progress=False)
    retriever = Retriever.load(tmp_path / "bm25")
    assert retriever.mode == "lexical"
    assert retriever.search("فشار خون بالا", k=3)[0].doc_id.startswith("demo-")


def test_index_folder_is_readable_and_records_its_making(demo_index):
    manifest = json.loads((demo_index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == 1
    assert manifest["embedder"]["dimension"] == 64
    assert manifest["config"]["normalizer"]["persian_numbers"] is True
    assert manifest["documents"] == manifest["chunks"] == 200
    assert set(manifest["files"]) >= {"chunks.jsonl", DENSE_NAME}
    assert not list(demo_index.rglob("*.pkl")) and not list(demo_index.rglob("*.pickle"))
    first = json.loads((demo_index / "chunks.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["doc_id"] == "demo-001" and first["text"]


def copy_index(source, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(source, target)
    return target


def test_truncated_faiss_file_is_caught_by_its_checksum(demo_index, tmp_path):
    index = copy_index(demo_index, tmp_path)
    data = (index / DENSE_NAME).read_bytes()
    (index / DENSE_NAME).write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexFormatError, match="checksum"):
        Retriever.load(index)


def test_truncated_faiss_file_is_caught_even_unverified(demo_index, tmp_path, tiny_embedder):
    index = copy_index(demo_index, tmp_path)
    data = (index / DENSE_NAME).read_bytes()
    (index / DENSE_NAME).write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexFormatError, match="damaged or truncated"):
        Retriever.load(index, tiny_embedder, verify=False)


def test_folder_without_manifest_is_not_an_index(tmp_path):
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "chunks.jsonl").write_text("{}\n")
    with pytest.raises(IndexFormatError, match="interrupted build"):
        Retriever.load(tmp_path / "half")


def test_index_refuses_a_different_embedder(demo_index, tmp_path, demo_pairs):
    from index.embed import load_embedder
    from training.embedder import EmbedderTrainConfig, train_embedder

    other = tmp_path / "other"
    train_embedder(demo_pairs[:50], other,
                   EmbedderTrainConfig(dimension=64, epochs=1, min_steps=2, batch_size=25, seed=3,
                                       min_frequency=2),
                   progress=False)
    with pytest.raises(IndexFormatError, match="encodes differently"):
        Retriever.load(demo_index, load_embedder(str(other)))


class ExplodingEmbedder:
    """Stands in for a build killed while embedding."""

    name, dimension = "exploding", 8

    def encode_documents(self, texts):
        raise KeyboardInterrupt


def test_interrupted_build_leaves_no_index_and_keeps_the_old_one(tmp_path, demo_documents):
    out = tmp_path / "idx"
    build_index(demo_documents[:20], out, embedder=None, progress=False)
    before = (out / "manifest.json").read_text()
    with pytest.raises(KeyboardInterrupt):
        build_index(demo_documents, out, embedder=ExplodingEmbedder(), progress=False)
    assert (out / "manifest.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_build_refuses_to_replace_a_folder_that_is_not_an_index(tmp_path, demo_documents):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    with pytest.raises(IndexFormatError, match="refusing"):
        build_index(demo_documents, tmp_path / "notes", progress=False)
    assert (tmp_path / "notes" / "mine.txt").read_text() == "keep me"


def test_empty_corpus_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no documents"):
        build_index([], tmp_path / "x", progress=False)


def test_long_documents_are_chunked_and_count_once(tmp_path):
    text = " ".join(f"جمله {i} درباره فشار خون و نمک است." for i in range(200))
    docs = [Document("long", text), Document("short", "قند خون بالا در دیابت")]
    manifest = build_index(docs, tmp_path / "i", progress=False)
    assert manifest.documents == 2 and manifest.chunks > 3
    hits = Retriever.load(tmp_path / "i").search("فشار خون نمک", k=10)
    assert {h.doc_id for h in hits} == {"long"}


@pytest.mark.parametrize("kind", ["hnsw", "ivf", "ivfsq"])
def test_approximate_indexes_search_like_the_exact_one(tmp_path, demo_documents, tiny_embedder,
                                                       demo_retriever, kind):
    from index.config import DenseConfig, IndexConfig

    config = IndexConfig(dense=DenseConfig(kind=kind, ivf_nlist=4, ivf_nprobe=4))
    build_index(demo_documents, tmp_path / kind, config, tiny_embedder, progress=False)
    retriever = Retriever.load(tmp_path / kind, tiny_embedder)
    query = "قند خونم بالاست و زیاد تشنه می‌شوم"
    exact = [h.doc_id for h in demo_retriever.search(query, k=5)]
    approximate = [h.doc_id for h in retriever.search(query, k=5)]
    assert len(set(exact) & set(approximate)) >= 4


def test_rank_fusion_can_replace_score_fusion(demo_index, tiny_embedder):
    from index.config import FusionConfig

    retriever = Retriever.load(demo_index, tiny_embedder, fusion=FusionConfig(method="rrf"))
    hits = retriever.search("درد قفسه سینه هنگام ورزش", k=5)
    assert len(hits) == 5 and hits[0].score <= 2 / 61


def test_leftovers_of_a_killed_build_are_cleared_by_the_next(tmp_path, demo_documents):
    leftover = tmp_path / ".idx.partial-99999999-deadbeef"
    leftover.mkdir()
    (leftover / "chunks.jsonl").write_text("half written")
    build_index(demo_documents[:10], tmp_path / "idx", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_auto_builds_exact_vectors_for_a_small_corpus_and_ivfsq_for_a_large_one():
    from index.config import DenseConfig
    from index.dense import resolve_kind

    config = DenseConfig(exact_below=1000)
    assert config.kind == "auto"
    assert resolve_kind(config, 999).kind == "flat"
    assert resolve_kind(config, 1000).kind == "ivfsq"
    assert resolve_kind(DenseConfig(kind="hnsw"), 10**7).kind == "hnsw"


def test_the_manifest_records_the_kind_auto_chose(demo_documents, tiny_embedder, tmp_path):
    from index.config import DenseConfig, IndexConfig

    config = IndexConfig(dense=DenseConfig(exact_below=100, ivf_nprobe=4))
    manifest = build_index(demo_documents, tmp_path / "auto", config, embedder=tiny_embedder,
                           progress=False)
    assert manifest.config["dense"]["kind"] == "ivfsq"
    retriever = Retriever.load(tmp_path / "auto", tiny_embedder)
    assert retriever.search("دیابت نوع دو", k=3)
