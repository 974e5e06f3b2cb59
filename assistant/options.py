"""Which model answers: one :class:`BackendConfig`, one loader, one set of command-line options.

Every command that answers (``ask``, ``serve``, ``eval``) and the Hugging Face Space describe
the backend as a ``BackendConfig`` and load it with :func:`load_generator`: same names, same
defaults, same loading code, so a model that answers in the terminal answers the same way on
the page and in an evaluation. argparse appears only where options become a config.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from index.cli import invalid_option

BACKENDS = ("extractive", "hf", "openai", "llamacpp")


@dataclass(frozen=True)
class BackendConfig:
    """The answering backend and where its model is.

    ``extractive`` needs nothing (it quotes passages); ``hf`` loads ``model`` (default
    Gaokerena) with an optional LoRA ``adapter`` on ``device``; ``openai`` calls ``base_url``
    serving ``model`` (both may come from ``GAOKERENA_OPENAI_*`` variables instead);
    ``llamacpp`` runs the GGUF file ``model`` in this process with ``n_ctx`` tokens of context
    on ``n_threads`` CPU threads (0: llama.cpp's default). ``timeout_s`` and ``retries`` left
    ``None`` keep the openai backend's own defaults.
    """

    backend: str = "extractive"
    model: str | None = None
    adapter: str | None = None
    merge: bool = False
    device: str | None = None
    base_url: str | None = None
    timeout_s: float | None = None
    retries: int | None = None
    n_ctx: int = 4096
    n_threads: int = 0

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got "
                             f"{self.backend!r}")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ValueError(f"timeout must be > 0 seconds, e.g. 60, got {self.timeout_s}")
        if self.retries is not None and self.retries < 0:
            raise ValueError(f"retries must be >= 0, e.g. 2, got {self.retries}")
        if self.backend == "llamacpp" and not self.model:
            raise ValueError("--backend llamacpp needs --model FILE.gguf (write one with "
                             "`gaokerena export gguf`)")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> BackendConfig:
        """The config :func:`add_backend_options` asked for; a bad value is a user error."""
        with invalid_option():
            return cls(backend=args.backend, model=args.model, adapter=args.adapter,
                       merge=args.merge, device=args.device, base_url=args.base_url,
                       timeout_s=args.timeout, retries=args.retries, n_ctx=args.n_ctx,
                       n_threads=args.n_threads)


def load_generator(config: BackendConfig):
    """The generator ``config`` names, or None for the extractive backend (no model)."""
    if config.backend == "hf":
        from assistant.backends.hf import DEFAULT_MODEL, HFConfig, HFGenerator

        with invalid_option():
            hf = HFConfig(model=config.model or DEFAULT_MODEL, adapter=config.adapter,
                          merge=config.merge, device=config.device)
        return HFGenerator(hf)
    if config.backend == "llamacpp":
        from assistant.backends.llamacpp import LlamaCppConfig, LlamaCppGenerator

        with invalid_option():
            llamacpp = LlamaCppConfig(model=config.model or "", n_ctx=config.n_ctx,
                                      n_threads=config.n_threads)
        return LlamaCppGenerator(llamacpp)
    if config.backend == "openai":
        from dataclasses import replace

        from assistant.backends.openai_backend import OpenAIConfig, OpenAIGenerator

        openai = OpenAIConfig.from_env(base_url=config.base_url, model=config.model)
        changes = {"timeout_s": config.timeout_s, "max_retries": config.retries}
        with invalid_option():
            openai = replace(openai, **{k: v for k, v in changes.items() if v is not None})
        return OpenAIGenerator(openai)
    return None


def add_backend_options(parser: argparse.ArgumentParser, default: str = "extractive",
                        choices: tuple[str, ...] = BACKENDS) -> None:
    """--backend, --model, --adapter, --merge, --device, --base-url, --timeout, --retries,
    --n-ctx, --n-threads."""
    parser.add_argument("--backend", choices=choices, default=default)
    parser.add_argument("--model", help="hf: hub id or folder (default: "
                        "gaokerena/gaokerena-v1.0); openai: the served model name (or "
                        "GAOKERENA_OPENAI_MODEL); llamacpp: a .gguf file (`gaokerena export "
                        "gguf` writes one)")
    parser.add_argument("--adapter", help="hf: a peft LoRA adapter (hub id or folder)")
    parser.add_argument("--merge", action="store_true", help="hf: merge the adapter into the model")
    parser.add_argument("--device", help="hf: cpu, cuda, cuda:1 ... (default: cuda if present)")
    parser.add_argument("--base-url", help="openai: e.g. http://127.0.0.1:8000/v1 "
                        "(or GAOKERENA_OPENAI_BASE_URL)")
    parser.add_argument("--timeout", type=float, help="openai: seconds to wait on the server "
                        "(default: 60 or GAOKERENA_OPENAI_TIMEOUT)")
    parser.add_argument("--retries", type=int,
                        help="openai: retries of a failed request (default: 2)")
    parser.add_argument("--n-ctx", type=int, default=4096,
                        help="llamacpp: context window in tokens, prompt and answer "
                        "(default: 4096)")
    parser.add_argument("--n-threads", type=int, default=0,
                        help="llamacpp: CPU threads (default 0: llama.cpp's choice, one per "
                        "core; on a laptop, its performance cores)")


def add_generation_options(parser: argparse.ArgumentParser) -> None:
    """--max-new-tokens, --paper-settings."""
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--paper-settings", action="store_true",
                        help="the Gaokerena paper's decoding: repetition penalty 1.2, 1024 tokens")


def generation_config(args: argparse.Namespace):
    """The decoding settings :func:`add_generation_options` asked for."""
    from assistant.backends.base import GenerationConfig

    with invalid_option():
        return (GenerationConfig.paper() if args.paper_settings
                else GenerationConfig(max_new_tokens=args.max_new_tokens))


def assistant_config(args: argparse.Namespace):
    """``AssistantConfig`` from --k and the generation options (``ask``, ``serve``, ``eval``)."""
    from assistant.pipeline import AssistantConfig

    with invalid_option():
        return AssistantConfig(k=args.k, generation=generation_config(args))
