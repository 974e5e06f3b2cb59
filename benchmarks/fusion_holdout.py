"""Choosing the fusion weights without looking at dev: a hold-out split of MF3QA train.

The dev questions judge the default configuration, so they must not choose it. This script
holds out a seeded 10% of the *training* pairs, trains the default embedder on the other
90%, indexes all training answers (so the held-out answers compete with answers the
embedder has seen, as dev answers do), and scores the held-out questions for each fusion
setting. The library default (score fusion, dense 0.6 / lexical 0.4) is the best of these.
With ``--translation`` it also trains the word-translation table on the same 90% and scores
the default fusion with each translation weight (the third side, index/translation.py).

    python benchmarks/fusion_holdout.py --work benchmarks/results/holdout [--translation]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO.parent / "shared" / "data" / "mf3qa" / "train.jsonl"
TRANSLATION_WEIGHTS = [0.0, 0.25, 0.5, 0.75, 1.0]
# (dense, lexical, translation) weights beyond the 0.6/0.4 line, for --translation
TRANSLATION_MIXES = [(1.0, lexical, translation) for lexical in (0.3, 0.5)
                     for translation in (0.7, 1.0, 1.5)]
SETTINGS = [("score", 1.0, 0.0), ("score", 0.8, 0.2), ("score", 0.7, 0.3), ("score", 0.6, 0.4),
            ("score", 0.5, 0.5), ("score", 0.0, 1.0), ("rrf", 1.0, 1.0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument("--work", type=Path, help="folder for the embedder and index")
    parser.add_argument("--fraction", type=float, default=0.1, help="share held out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--translation", action="store_true",
                        help="also train a translation table on the fit pairs and choose its "
                        "fusion weight")
    parser.add_argument("--candidates", type=int, nargs="+", default=[100],
                        help="passages each side contributes before fusion (default: 100)")
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
    translation = None
    if args.translation:
        from training.translation import fit_translation, pair_terms

        translation = fit_translation(pair_terms([(r["question"], r["answer"]) for r in fit]))
    build_index([d for d in documents if d], work / "index", embedder=embedder, progress=False,
                translation=translation)
    queries = [(r["id"], r["question"]) for r in held]

    grid = ([("score", 0.6, 0.4, w) for w in TRANSLATION_WEIGHTS]
            + [("score", *mix) for mix in TRANSLATION_MIXES] if args.translation
            else [(*setting, 0.0) for setting in SETTINGS])
    results = []
    for candidates in args.candidates:
        for method, dense_weight, lexical_weight, translation_weight in grid:
            fusion = FusionConfig(method=method, dense_weight=dense_weight,
                                  lexical_weight=lexical_weight,
                                  translation_weight=translation_weight, candidates=candidates)
            retriever = Retriever.load(work / "index", embedder, fusion=fusion)
            metrics = evaluate_retrieval(retriever, queries, progress=False)
            results.append({"method": method, "dense_weight": dense_weight,
                            "lexical_weight": lexical_weight,
                            "translation_weight": translation_weight,
                            "candidates": candidates, **metrics})
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({"fit_pairs": len(fit), "held_out": len(held), "results": results}))
    else:
        print(f"{len(fit):,} pairs fit, {len(held):,} held-out questions, "
              f"{len(documents):,} training answers indexed")
        print(f"{'fusion':<28}{'MRR@10':>8}{'R@1':>8}{'R@5':>8}{'R@20':>8}")
        for r in results:
            name = f"{r['method']} {r['dense_weight']}/{r['lexical_weight']}"
            if args.translation:
                name += f" +tr {r['translation_weight']}"
            if len(args.candidates) > 1:
                name += f" c{r['candidates']}"
            print(f"{name:<28}{r['mrr@10']:>8.4f}{r['recall@1']:>8.4f}{r['recall@5']:>8.4f}"
                  f"{r['recall@20']:>8.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
