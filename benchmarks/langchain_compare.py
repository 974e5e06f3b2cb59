"""Our hybrid Retriever against the LangChain equivalent, on the same passages and embedder.

LangChain side: EnsembleRetriever (weights 0.5/0.5, reciprocal rank fusion) over
BM25Retriever (rank_bm25, fed the same hazm analyzer terms as our BM25) and a FAISS vector
store filled by a LangChain Embeddings wrapper around the same sentence-transformers folder.
Both sides see the same normalized passages (the index's chunks) and the same normalized
queries, and fetch the same number of candidates per side, so the figures differ only by
the machinery.

Target from the issue: our query latency at least 10x lower (LangChain p50 / ours p50 >= 10)
at no loss of quality. Reports MRR@10 and Recall@20 on the dev questions and p50/p95 latency
(one query at a time).

Needs an embedder and an index built by retrieval_quality.py:

    python benchmarks/retrieval_quality.py --work benchmarks/results/mf3qa
    python benchmarks/langchain_compare.py --embedder benchmarks/results/mf3qa/embedder \\
        --index benchmarks/results/mf3qa/index
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MF3QA = REPO.parent / "shared" / "data" / "mf3qa"
TARGET_SPEEDUP = 10.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", type=Path, required=True,
                        help="the embedder folder the index was built with")
    parser.add_argument("--index", type=Path, required=True,
                        help="a hybrid index folder (from retrieval_quality.py --work DIR)")
    parser.add_argument("--queries", type=Path, default=MF3QA / "dev.jsonl",
                        help="JSONL with id and question (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def make_embeddings(folder: Path):
    """A LangChain Embeddings over the model folder, with the model's own prompts."""
    from langchain_core.embeddings import Embeddings
    from sentence_transformers import SentenceTransformer

    class FolderEmbeddings(Embeddings):
        def __init__(self) -> None:
            self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.model.encode_document(texts, batch_size=64,
                                              normalize_embeddings=True).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.model.encode_query([text], normalize_embeddings=True)[0].tolist()

    return FolderEmbeddings()


def build_langchain(retriever, embedder_dir: Path):
    """EnsembleRetriever(BM25 + FAISS) over the index's passages, normalized like ours."""
    from langchain.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy

    candidates = retriever.config.fusion.candidates
    texts = [retriever.normalizer(chunk.text) for chunk in retriever.chunks]
    metadatas = [{"row": chunk.row, "doc_ids": list(chunk.doc_ids)} for chunk in retriever.chunks]
    lexical = retriever.config.lexical
    bm25 = BM25Retriever.from_texts(texts, metadatas=metadatas, preprocess_func=retriever.analyzer,
                                    bm25_params={"k1": lexical.k1, "b": lexical.b}, k=candidates)
    store = FAISS.from_texts(texts, make_embeddings(embedder_dir), metadatas=metadatas,
                             distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT)
    dense = store.as_retriever(search_kwargs={"k": candidates})
    return EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5],
                             c=retriever.config.fusion.rrf_k, id_key="row")


def measure(search, queries: list[tuple[str, str]]) -> dict:
    """Rank-based metrics and per-query latency of ``search(question) -> [passage doc ids]``."""
    import numpy as np

    from index.errors import QueryError
    from index.metrics import first_relevant_rank, summarize_ranks

    search(queries[0][1])  # warm-up
    ranks, latencies = [], []
    for doc_id, question in queries:
        started = time.perf_counter()
        try:
            found = search(question)
        except QueryError:
            found = []
        latencies.append(time.perf_counter() - started)
        ranks.append(first_relevant_rank(found[:20], doc_id))
    p50, p95 = np.percentile(np.asarray(latencies) * 1000, [50, 95])
    result = summarize_ranks(ranks)
    return {"mrr@10": result["mrr@10"], "recall@20": result["recall@20"], "n": result["n"],
            "p50_ms": round(float(p50), 2), "p95_ms": round(float(p95), 2)}


def run(args: argparse.Namespace) -> dict:
    import torch

    torch.set_num_threads(2)
    from index.embed import EmbedderConfig, load_embedder
    from index.metrics import load_queries
    from index.retriever import Retriever

    embedder = load_embedder(EmbedderConfig(name=str(args.embedder), show_progress=False))
    ours = Retriever.load(args.index, embedder, mode="hybrid")
    indexed = {doc_id for chunk in ours.chunks for doc_id in chunk.doc_ids}
    queries = [q for q in load_queries(args.queries, limit=args.limit) if q[0] in indexed]

    started = time.perf_counter()
    ensemble = build_langchain(ours, args.embedder)
    build_seconds = time.perf_counter() - started

    def search_ours(question: str) -> list[tuple[str, ...]]:
        return [hit.doc_ids for hit in ours.search(question, k=20)]

    def search_langchain(question: str) -> list[list[str]]:
        normalized = ours.check_query(question)  # the same normalization ours does
        return [doc.metadata["doc_ids"] for doc in ensemble.invoke(normalized)]

    report = {"passages": len(ours.chunks), "langchain_build_seconds": round(build_seconds, 1),
              "ours": measure(search_ours, queries),
              "langchain": measure(search_langchain, queries)}
    report["speedup_p50"] = round(report["langchain"]["p50_ms"] / report["ours"]["p50_ms"], 1)
    report["target_speedup"] = TARGET_SPEEDUP
    return report


def print_report(report: dict) -> None:
    n = report["ours"]["n"]
    print(f"{report['passages']:,} passages, {n:,} questions; LangChain retriever built in "
          f"{report['langchain_build_seconds']} s")
    print(f"{'':22} {'MRR@10':>7} {'R@20':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for name, label in (("ours", "ours (index.Retriever)"), ("langchain", "LangChain ensemble")):
        row = report[name]
        print(f"{label:22} {row['mrr@10']:7.4f} {row['recall@20']:7.4f} {row['p50_ms']:8.2f} "
              f"{row['p95_ms']:8.2f}")
    ok = report["speedup_p50"] >= TARGET_SPEEDUP
    print(f"speed-up (LangChain p50 / ours p50): {report['speedup_p50']}x, target >= "
          f"{TARGET_SPEEDUP:.0f}x {'ok' if ok else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    report = run(args)
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
