"""``gaokerena train ...`` commands (plugged into the CLI through an entry point)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(registry) -> None:
    group = registry.group("train", "train the Persian embedder (and, later, the LLM stages)")
    embedder = group.add_parser(
        "embedder",
        help="train a Persian sentence-transformers embedder from scratch on the CPU",
        description="Train a static-embedding sentence-transformers model on question/answer "
        "pairs (MultipleNegativesRanking loss, a Persian tokenizer trained on the pairs). "
        "The result loads with SentenceTransformer(DIR) and serves as `--embedder DIR`.",
    )
    embedder.add_argument("--pairs", action="append", required=True, type=Path,
                          metavar="FILE.jsonl", help="JSONL with question and answer; repeatable")
    embedder.add_argument("--query-field", default="question", help="default: question")
    embedder.add_argument("--document-field", default="answer", help="default: answer")
    embedder.add_argument("--out", required=True, type=Path, help="model folder to write")
    embedder.add_argument("--dimension", type=int, default=512)
    embedder.add_argument("--vocab-size", type=int, default=30_000)
    embedder.add_argument("--min-frequency", type=int, default=50,
                          help="rarer words are split into sub-words (use 2 for a few hundred "
                          "pairs)")
    embedder.add_argument("--epochs", type=int, default=10)
    embedder.add_argument("--min-steps", type=int, default=0,
                          help="train at least this many steps, adding epochs on small data")
    embedder.add_argument("--batch-size", type=int, default=1024)
    embedder.add_argument("--learning-rate", type=float, default=0.2)
    embedder.add_argument("--hard-negatives", action="store_true",
                          help="add one BM25-mined hard negative per pair")
    embedder.add_argument("--max-minutes", type=float, help="stop training after this long")
    embedder.add_argument("--seed", type=int, default=12)
    embedder.add_argument("--json", action="store_true", help="print the run summary as JSON")
    embedder.add_argument("--quiet", action="store_true", help="no progress bars")
    embedder.set_defaults(func=run_train_embedder)


def run_train_embedder(args: argparse.Namespace) -> int:
    from training.embedder import EmbedderTrainConfig, PairFields, load_pairs, train_embedder

    try:
        config = EmbedderTrainConfig(
            dimension=args.dimension, vocab_size=args.vocab_size,
            min_frequency=args.min_frequency, epochs=args.epochs,
            min_steps=args.min_steps, batch_size=args.batch_size, learning_rate=args.learning_rate,
            hard_negatives=args.hard_negatives, max_minutes=args.max_minutes, seed=args.seed,
        )
    except ValueError as error:
        from index.errors import DataError

        raise DataError(str(error)) from None
    pairs = load_pairs(args.pairs, PairFields(args.query_field, args.document_field))
    summary = train_embedder(pairs, args.out, config, progress=not args.quiet)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"trained {args.out} on {summary['pairs']} pairs: {summary['steps']} steps, "
              f"loss {summary['final_loss']}, {summary['seconds']} s")
    return 0
