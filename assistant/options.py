"""Command-line options for choosing a backend and decoding, shared by every command that
answers (``ask``, ``serve``, ``eval``): same names, same defaults, same loading code, so a
model that answers in the terminal answers the same way on the page and in an evaluation.
"""

from __future__ import annotations

import argparse

BACKENDS = ("extractive", "hf", "openai")


def add_backend_options(parser: argparse.ArgumentParser, default: str = "extractive",
                        choices: tuple[str, ...] = BACKENDS) -> None:
    """--backend, --model, --adapter, --merge, --base-url."""
    parser.add_argument("--backend", choices=choices, default=default)
    parser.add_argument("--model", help="hf: hub id or folder (default: "
                        "gaokerena/gaokerena-v1.0); openai: the served model name (or "
                        "GAOKERENA_OPENAI_MODEL)")
    parser.add_argument("--adapter", help="hf: a peft LoRA adapter (hub id or folder)")
    parser.add_argument("--merge", action="store_true", help="hf: merge the adapter into the model")
    parser.add_argument("--base-url", help="openai: e.g. http://127.0.0.1:8000/v1 "
                        "(or GAOKERENA_OPENAI_BASE_URL)")


def add_generation_options(parser: argparse.ArgumentParser) -> None:
    """--max-new-tokens, --paper-settings."""
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--paper-settings", action="store_true",
                        help="the Gaokerena paper's decoding: repetition penalty 1.2, 1024 tokens")


def generation_config(args: argparse.Namespace):
    """The decoding settings the options ask for; a bad value is a user error."""
    from assistant.backends.base import GenerationConfig
    from index.errors import DataError

    try:
        return (GenerationConfig.paper() if args.paper_settings
                else GenerationConfig(max_new_tokens=args.max_new_tokens))
    except ValueError as error:
        raise DataError(f"invalid option: {error}") from None


def hf_generator(args: argparse.Namespace):
    """A local transformers model from --model/--adapter/--merge (and --device if given)."""
    from assistant.backends.hf import DEFAULT_MODEL, HFConfig, HFGenerator

    return HFGenerator(HFConfig(model=args.model or DEFAULT_MODEL, adapter=args.adapter,
                                merge=args.merge, device=getattr(args, "device", None)))


def build_generator(args: argparse.Namespace):
    """The generator ``--backend`` names, or None for the extractive backend."""
    if args.backend == "hf":
        return hf_generator(args)
    if args.backend == "openai":
        from assistant.backends.openai_backend import OpenAIConfig, OpenAIGenerator

        return OpenAIGenerator(OpenAIConfig.from_env(base_url=args.base_url, model=args.model))
    return None
