"""``gaokerena serve``: the Gradio web app (plugged into the CLI through an entry point).

The backend and model options are those of ``gaokerena ask`` (same names, same defaults, same
loading code), so a command that answers in the terminal serves the same answers on the page.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.options import add_backend_options, add_generation_options


def register(registry) -> None:
    serve = registry.command(
        "serve",
        help="serve the web app: plain and grounded answers side by side, with sources",
        description="Start the Persian web app on http://HOST:PORT: one question, the plain "
        "answer («بدون بازیابی») and the grounded answer («با بازیابی») streamed side by side, "
        "the numbered sources, an emergency banner and optional preference votes. Backends as "
        "in `gaokerena ask`: 'extractive' (no model; the plain column then explains that it "
        "needs one), 'hf' (transformers, Gaokerena by default), 'openai' (any "
        "OpenAI-compatible server) or 'llamacpp' (a GGUF file, in this process). Questions "
        "are never logged or stored.",
    )
    serve.add_argument("--index", type=Path, required=True,
                       help="index folder from `gaokerena index build` (e.g. .cache/demo/index)")
    add_backend_options(serve)
    serve.add_argument("--k", type=int, default=5, help="passages to retrieve (default: 5; "
                       "users can change it on the page)")
    add_generation_options(serve)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only; "
                       "0.0.0.0 serves the local network)")
    serve.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    serve.add_argument("--share", action="store_true",
                       help="also open a temporary public gradio.live link (needs network)")
    serve.add_argument("--votes-file", type=Path,
                       help="JSONL file where votes are appended when a user opts in on the "
                       "page (default: votes are never stored and the opt-in is hidden)")
    serve.add_argument("--concurrency", type=int, default=8,
                       help="answers generated at once; more requests wait in the queue "
                       "(default: 8; use 1-2 for a local model: hf on one GPU, llamacpp)")
    serve.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from assistant.options import BackendConfig, assistant_config, load_generator
    from assistant.pipeline import Assistant
    from index.cli import invalid_option
    from index.errors import DataError
    from index.retriever import Retriever
    from ui.app import UIConfig, build_demo, launch

    if not 0 < args.port < 65536:
        raise DataError(f"--port must be between 1 and 65535, got {args.port}")
    with invalid_option():
        config = UIConfig(votes_file=args.votes_file, concurrency=args.concurrency)
    assistant_settings, backend = assistant_config(args), BackendConfig.from_args(args)
    assistant = Assistant(Retriever.load(args.index), load_generator(backend),
                          assistant_settings)
    demo = build_demo(assistant, config)
    launch(demo, host=args.host, port=args.port, share=args.share)
    return 0
