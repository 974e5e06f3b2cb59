"""``gaokerena ask``: answer one question, plain and/or grounded (plugged in by entry point)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.options import add_backend_options, add_generation_options


def register(registry) -> None:
    ask = registry.command(
        "ask",
        help="answer a Persian medical question: grounded (rag), plain, or both side by side",
        description="Retrieve passages from --index and answer with the chosen backend: "
        "'extractive' quotes the best passages (no model needed, the default), 'hf' runs a "
        "transformers model locally (Gaokerena by default), 'openai' calls any "
        "OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI), 'llamacpp' runs a GGUF file "
        "(from `gaokerena export gguf`) in this process. The question is not logged.",
    )
    ask.add_argument("--index", type=Path, help="index folder (needed for rag and extractive)")
    add_backend_options(ask)
    ask.add_argument("--mode", choices=("rag", "plain", "both"), default="rag")
    ask.add_argument("--k", type=int, default=5, help="passages to retrieve (default: 5)")
    add_generation_options(ask)
    ask.add_argument("--json", action="store_true", help="print the answers as JSON")
    ask.add_argument("question", nargs="+", help="the question, in Persian")
    ask.set_defaults(func=run_ask)


def run_ask(args: argparse.Namespace) -> int:
    from assistant.extractive import source_label
    from assistant.options import BackendConfig, assistant_config, load_generator
    from assistant.pipeline import Assistant
    from index.errors import DataError

    question = " ".join(args.question)
    needs_index = args.backend == "extractive" or args.mode != "plain"
    if needs_index and args.index is None:
        raise DataError("--index DIR is needed for grounded (rag) or extractive answers; build "
                        "one with `gaokerena index build`, or use --mode plain with a model")
    config, backend = assistant_config(args), BackendConfig.from_args(args)
    retriever = None
    if args.index is not None:
        from index.retriever import Retriever

        retriever = Retriever.load(args.index)
    assistant = Assistant(retriever, load_generator(backend), config)
    if args.mode == "both":
        answers = assistant.compare(question)
    else:
        answers = {args.mode: assistant.answer(question, args.mode)}
    if args.json:
        payload = {"question": question,
                   "answers": {mode: answer.to_dict() for mode, answer in answers.items()}}
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    titles = {"plain": "بدون بازیابی (plain)", "rag": "با بازیابی (rag)"}
    print(f"پرسش: {question}")
    for mode, answer in answers.items():
        print(f"\n=== {titles[mode]} · {answer.backend} · {answer.model_id} ===\n{answer.text}")
        cited = [c for c in answer.citations if c.cited] or answer.citations
        if cited:
            print("\nمنابع:")
            for citation in cited:
                source = " · ".join(p for p in (source_label(citation), citation.url) if p)
                print(f"[{citation.number}] {source}")
    return 0
