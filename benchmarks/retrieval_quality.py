"""Headline retrieval benchmark on MF3QA: train the embedder, build the index, evaluate.

Targets from the issue, on a two-core CPU:
  - training the default Persian embedder on mf3qa/train.jsonl: <= 15 min;
  - building the default hybrid index over train + dev answers (20,225 documents): <= 60 s;
  - hybrid retrieval on the 2,000 dev questions: MRR@10 >= 0.25 and Recall@20 >= 0.55.
Also prints lexical and dense figures beside hybrid, and hybrid query latency (p50/p95 in
ms, k=10, one query at a time).

Keep the embedder and index for langchain_compare.py with --work:

    python benchmarks/retrieval_quality.py --work benchmarks/results/mf3qa
    python benchmarks/retrieval_quality.py --embedder models/fa-static --json
    # smoke run (minutes): a small corpus, 100 questions, a barely trained embedder
    python benchmarks/retrieval_quality.py --max-docs 2000 --limit 100 \\
        --max-pairs 2000 --epochs 1 --min-steps 10
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MF3QA = REPO.parent / "shared" / "data" / "mf3qa"
MODES = ("lexical", "dense", "hybrid")
TARGETS = {"train_seconds": 15 * 60, "build_seconds": 60.0, "hybrid_mrr@10": 0.25,
           "hybrid_recall@20": 0.55}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=MF3QA / "train.jsonl",
                        help="training pairs, also indexed (default: %(default)s)")
    parser.add_argument("--dev", type=Path, default=MF3QA / "dev.jsonl",
                        help="indexed, and its questions are the queries (default: %(default)s)")
    parser.add_argument("--embedder", type=Path,
                        help="use this trained embedder folder instead of training one")
    parser.add_argument("--work", type=Path,
                        help="folder for the embedder and index (default: a temporary folder)")
    parser.add_argument("--limit", type=int, help="only the first N dev questions")
    parser.add_argument("--max-docs", type=int,
                        help="index only N documents (the evaluated questions' answers kept)")
    parser.add_argument("--max-pairs", type=int, help="train on the first N pairs only")
    parser.add_argument("--epochs", type=int, help="override EmbedderTrainConfig.epochs")
    parser.add_argument("--min-steps", type=int, help="override EmbedderTrainConfig.min_steps")
    parser.add_argument("--no-translation", action="store_true",
                        help="skip the word-translation table (the pipeline before it)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    import numpy as np

    p50, p95 = np.percentile(np.asarray(seconds) * 1000, [50, 95])
    return {"p50": round(float(p50), 2), "p95": round(float(p95), 2)}


def select_documents(train_docs, dev_docs, queries, max_docs):
    """All documents, or ``max_docs`` of them that still hold every evaluated answer."""
    documents = train_docs + dev_docs
    if not max_docs or max_docs >= len(documents):
        return documents
    wanted = {doc_id for doc_id, _ in queries}
    kept = [doc for doc in dev_docs if doc.doc_id in wanted][:max_docs]
    return train_docs[: max_docs - len(kept)] + kept


def run(args: argparse.Namespace, work: Path) -> dict:
    import torch

    torch.set_num_threads(2)
    from index.build import build_index
    from index.config import IndexConfig
    from index.embed import EmbedderConfig, load_embedder
    from index.metrics import evaluate_retrieval, load_queries
    from index.records import load_documents
    from index.retriever import Retriever
    from training.embedder import EmbedderTrainConfig, load_pairs, train_embedder

    report: dict = {"work": str(args.work or "temporary, removed"), "targets": TARGETS,
                    "seconds": {}, "modes": {}}

    # 1. The embedder, trained on the training pairs only (dev stays unseen).
    if args.embedder:
        embedder_dir = args.embedder
        report["seconds"]["train"] = None
    else:
        pairs = load_pairs([args.train])[: args.max_pairs or None]
        overrides = {name: value for name, value in
                     (("epochs", args.epochs), ("min_steps", args.min_steps)) if value}
        config = replace(EmbedderTrainConfig(), **overrides)
        embedder_dir = work / "embedder"
        started = time.perf_counter()
        summary = train_embedder(pairs, embedder_dir, config, progress=False)
        report["seconds"]["train"] = round(time.perf_counter() - started, 1)
        report["training"] = {k: summary[k] for k in ("pairs", "epochs", "steps", "final_loss")}
    report["embedder"] = str(embedder_dir)

    # 1b. The word-translation table, on the same training pairs.
    translation = None
    if not args.no_translation:
        from training.translation import fit_translation, pair_terms

        started = time.perf_counter()
        translation = fit_translation(pair_terms(load_pairs([args.train])[: args.max_pairs
                                                                          or None]))
        report["seconds"]["train_translation"] = round(time.perf_counter() - started, 1)

    # 2. The default hybrid index over train + dev answers, timed end to end.
    queries = load_queries(args.dev, limit=args.limit)
    started = time.perf_counter()
    documents = select_documents(load_documents(args.train), load_documents(args.dev), queries,
                                 args.max_docs)
    embedder = load_embedder(EmbedderConfig(name=str(embedder_dir), show_progress=False))
    index_dir = work / "index"
    manifest = build_index(documents, index_dir, IndexConfig(), embedder, progress=False,
                           translation=translation)
    report["seconds"]["build"] = round(time.perf_counter() - started, 1)
    report.update(index=str(index_dir), documents=manifest.documents, chunks=manifest.chunks)

    # 3. The dev questions against each side alone and fused.
    for mode in MODES:
        retriever = Retriever.load(index_dir, embedder, mode=mode)
        started = time.perf_counter()
        report["modes"][mode] = evaluate_retrieval(retriever, queries, progress=False)
        report["seconds"][f"eval_{mode}"] = round(time.perf_counter() - started, 1)

    # 4. Hybrid latency, one query at a time (retriever is the hybrid one from the loop).
    retriever.search(queries[0][1], k=10)
    latencies = []
    for _, question in queries:
        started = time.perf_counter()
        retriever.search(question, k=10)
        latencies.append(time.perf_counter() - started)
    report["hybrid_latency_ms"] = percentiles_ms(latencies)
    return report


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_report(report: dict) -> None:
    seconds, hybrid = report["seconds"], report["modes"]["hybrid"]
    print(f"MF3QA retrieval: {report['documents']:,} documents ({report['chunks']:,} passages), "
          f"{hybrid['n']:,} dev questions; work folder {report['work']}")
    train = seconds["train"]
    if train is None:
        print(f"embedder        given: {report['embedder']}")
    else:
        print(f"train embedder  {train:8.1f} s   target <= {TARGETS['train_seconds']} s   "
              f"{verdict(train <= TARGETS['train_seconds'])}   {report['training']}")
    if seconds.get("train_translation") is not None:
        print(f"train translation {seconds['train_translation']:6.1f} s   (IBM Model 1 table)")
    print(f"build index     {seconds['build']:8.1f} s   target <= {TARGETS['build_seconds']:.0f} s"
          f"    {verdict(seconds['build'] <= TARGETS['build_seconds'])}")
    print(f"\n{'mode':8} {'MRR@10':>7} {'R@1':>7} {'R@5':>7} {'R@20':>7} {'eval s':>7}")
    for mode, result in report["modes"].items():
        print(f"{mode:8} {result['mrr@10']:7.4f} {result['recall@1']:7.4f} "
              f"{result['recall@5']:7.4f} {result['recall@20']:7.4f} "
              f"{seconds[f'eval_{mode}']:7.1f}")
    mrr_ok = hybrid["mrr@10"] >= TARGETS["hybrid_mrr@10"]
    recall_ok = hybrid["recall@20"] >= TARGETS["hybrid_recall@20"]
    print(f"targets (hybrid): MRR@10 >= {TARGETS['hybrid_mrr@10']} {verdict(mrr_ok)}, "
          f"R@20 >= {TARGETS['hybrid_recall@20']} {verdict(recall_ok)}")
    latency = report["hybrid_latency_ms"]
    print(f"hybrid latency (k=10, one query at a time): p50 {latency['p50']} ms, "
          f"p95 {latency['p95']} ms")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # The trainer prints its loss logs on stdout; keep stdout for the figures.
    with (tempfile.TemporaryDirectory(prefix="gaokerena-bench-") as tmp,
          contextlib.redirect_stdout(sys.stderr)):
        report = run(args, args.work or Path(tmp))
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
