"""Choosing the fusion weights without looking at dev: a hold-out split of MF3QA train.

The dev questions judge the default configuration, so they must not choose it. This script
holds out a seeded 10% of the *training* pairs, trains the default embedder on the other
90%, indexes all training answers (so the held-out answers compete with answers the
embedder has seen, as dev answers do), and scores the held-out questions for each fusion
setting. The library default (score fusion, dense 0.6 / lexical 0.4) is the best of these.

    python benchmarks/fusion_holdout.py --work benchmarks/results/holdout
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO.parent / "shared" / "data" / "mf3qa" / "train.jsonl"
SETTINGS = [("score", 1.0, 0.0), ("score", 0.8, 0.2), ("score", 0.7, 0.3), ("score", 0.6, 0.4),
            ("score", 0.5, 0.5), ("score", 0.0, 1.0), ("rrf", 1.0, 1.0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument("--work", type=Path, help="folder for the embedder and index")
    parser.add_argument("--fraction", type=float, default=0.1, help="share held out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    from index.build import build_index
    from index.config import FusionConfig
    from index.embed import EmbedderConfig, load_embedder
    from index.metrics import evaluate_retrieval
    from index.records import FieldConfig, iter_jsonl, record_to_document
    from index.retriever import Retriever
    from training.embedder import train_embedder

    records = [record for _, record in iter_jsonl(args.train)]
    random.Random(args.seed).shuffle(records)
    cut = int(len(records) * (1 - args.fraction))
    fit, held = records[:cut], records[cut:]
    work = args.work or Path(tempfile.mkdtemp(prefix="holdout-"))
    embedder_dir = work / "embedder"
    if not (embedder_dir / "training_summary.json").exists():
        train_embedder([(r["question"], r["answer"]) for r in fit], embedder_dir, progress=False)
    embedder = load_embedder(EmbedderConfig(str(embedder_dir), show_progress=False))
    fields = FieldConfig()
    documents = [record_to_document(r, fields, "train", r["id"]) for r in records]
    build_index([d for d in documents if d], work / "index", embedder=embedder, progress=False)
    queries = [(r["id"], r["question"]) for r in held]

    results = []
    for method, dense_weight, lexical_weight in SETTINGS:
        fusion = FusionConfig(method=method, dense_weight=dense_weight,
                              lexical_weight=lexical_weight)
        retriever = Retriever.load(work / "index", embedder, fusion=fusion)
        metrics = evaluate_retrieval(retriever, queries, progress=False)
        results.append({"method": method, "dense_weight": dense_weight,
                        "lexical_weight": lexical_weight, **metrics})
    if args.json:
        print(json.dumps({"fit_pairs": len(fit), "held_out": len(held), "results": results}))
    else:
        print(f"{len(fit):,} pairs fit, {len(held):,} held-out questions, "
              f"{len(documents):,} training answers indexed")
        print(f"{'fusion':<22}{'MRR@10':>8}{'R@1':>8}{'R@5':>8}{'R@20':>8}")
        for r in results:
            name = f"{r['method']} {r['dense_weight']}/{r['lexical_weight']}"
            print(f"{name:<22}{r['mrr@10']:>8.4f}{r['recall@1']:>8.4f}{r['recall@5']:>8.4f}"
                  f"{r['recall@20']:>8.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
