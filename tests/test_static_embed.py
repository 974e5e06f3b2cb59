"""A static embedder runs without torch and gives sentence-transformers' vectors."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from index.embed import Embedder, EmbedderConfig, load_embedder
from index.static_embed import StaticEmbedder

from .conftest import REPO

TEXTS = ["سردرد و تب کودک", "داروی فشار خون را با غذا بخورم یا ناشتا؟", "", "؟!", "abc 123",
         "قرص‌های آهن در بارداری " * 30]


def reference(folder):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    return Embedder(model, str(folder), EmbedderConfig(name=str(folder), show_progress=False))


def test_a_trained_static_folder_loads_without_sentence_transformers(tiny_embedder_dir):
    embedder = load_embedder(EmbedderConfig(name=str(tiny_embedder_dir), show_progress=False))
    assert isinstance(embedder, StaticEmbedder)
    assert embedder.name == str(tiny_embedder_dir.resolve())


def test_static_vectors_equal_sentence_transformers(tiny_embedder_dir):
    ours = load_embedder(EmbedderConfig(name=str(tiny_embedder_dir), show_progress=False))
    theirs = reference(tiny_embedder_dir)
    assert ours.dimension == theirs.dimension
    np.testing.assert_allclose(ours.encode_documents(TEXTS), theirs.encode_documents(TEXTS),
                               atol=1e-5)
    np.testing.assert_allclose(ours.encode_queries(TEXTS), theirs.encode_queries(TEXTS),
                               atol=1e-5)
    assert ours.fingerprint() == pytest.approx(theirs.fingerprint(), abs=1e-5)


def test_the_models_own_prompts_are_prepended(tiny_embedder_dir, tmp_path):
    folder = tmp_path / "prompted"
    shutil.copytree(tiny_embedder_dir, folder)
    settings = folder / "config_sentence_transformers.json"
    data = json.loads(settings.read_text(encoding="utf-8"))
    data["prompts"] = {"query": "پرسش: ", "document": "پاسخ: "}
    settings.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    ours = load_embedder(EmbedderConfig(name=str(folder), show_progress=False))
    theirs = reference(folder)
    np.testing.assert_allclose(ours.encode_queries(TEXTS), theirs.encode_queries(TEXTS),
                               atol=1e-5)
    assert not np.allclose(ours.encode_queries(TEXTS[:2]), ours.encode_documents(TEXTS[:2]))


def test_other_model_folders_still_load_through_sentence_transformers(tiny_embedder_dir,
                                                                       tmp_path):
    folder = tmp_path / "renamed"
    shutil.copytree(tiny_embedder_dir, folder)
    from safetensors.numpy import load_file, save_file

    weights = load_file(str(folder / "model.safetensors"))
    save_file({"embeddings": weights["embedding.weight"]}, str(folder / "model.safetensors"))
    embedder = load_embedder(EmbedderConfig(name=str(folder), show_progress=False))
    assert not isinstance(embedder, StaticEmbedder)


def test_encoding_with_a_static_embedder_never_imports_torch(tiny_embedder_dir):
    code = (
        "import sys\n"
        "from index.embed import load_embedder\n"
        f"e = load_embedder({str(tiny_embedder_dir)!r})\n"
        "e.encode_queries(['سردرد'])\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, check=True)
    assert done.stdout.strip() == "[]"
