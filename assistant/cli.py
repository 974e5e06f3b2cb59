"""``gaokerena ask``: answer one question from an index (plugged in by entry point)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(registry) -> None:
    ask = registry.command(
        "ask",
        help="answer a Persian medical question from an index (extractive: quotes sources)",
        description="Retrieve the best passages for a question and answer by quoting them with "
        "numbered sources. No language model is needed; the question is not logged.",
    )
    ask.add_argument("--index", required=True, type=Path, help="index folder")
    ask.add_argument("--k", type=int, default=5, help="passages to retrieve (default: 5)")
    ask.add_argument("--passages", type=int, default=2, help="passages to quote (default: 2)")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("question", nargs="+", help="the question, in Persian")
    ask.set_defaults(func=run_ask)


def run_ask(args: argparse.Namespace) -> int:
    from assistant.extractive import extractive_answer
    from index.retriever import Retriever

    question = " ".join(args.question)
    retriever = Retriever.load(args.index)
    answer = extractive_answer(retriever.search(question, k=args.k), passages=args.passages)
    if args.json:
        print(json.dumps({"question": question, **answer.to_dict()}, ensure_ascii=False))
    else:
        print(f"پرسش: {question}\n\n{answer.text}")
    return 0
