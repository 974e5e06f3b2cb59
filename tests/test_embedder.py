import time

import numpy as np
import pytest

from index.embed import load_embedder
from index.errors import DataError, EmbedderUnavailable
from training.embedder import EmbedderTrainConfig, load_pairs, persian_tokenizer_normalizer


def test_trained_embedder_loads_with_plain_sentence_transformers(tiny_embedder_dir):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_embedder_dir), device="cpu")
    vectors = model.encode(["سردرد میگرنی", "میگرن و سردرد", "شکستگی استخوان"],
                           normalize_embeddings=True)
    assert vectors.shape == (3, 64)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])


def test_training_writes_a_summary(tiny_embedder_dir):
    import json

    summary = json.loads((tiny_embedder_dir / "training_summary.json").read_text())
    assert summary["pairs"] == 200 and summary["steps"] >= 60 and summary["final_loss"] < 2


def test_tokenizer_drops_stopwords_and_splits_half_spaces():
    normalized = persian_tokenizer_normalizer().normalize_str("من از قرص‌های سردرد")
    assert normalized.split() == ["قرص", "سردرد"]


def test_missing_local_folder_is_unavailable(tmp_path):
    with pytest.raises(EmbedderUnavailable, match="no such model folder"):
        load_embedder(str(tmp_path / "nothing-here"))


def test_folder_that_is_not_a_model_is_explained(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "readme.txt").write_text("hi")
    with pytest.raises(EmbedderUnavailable, match="not a sentence-transformers model"):
        load_embedder(str(tmp_path / "junk"))


def test_hub_id_offline_fails_fast_and_names_both_fixes():
    started = time.perf_counter()
    with pytest.raises(EmbedderUnavailable) as info:
        load_embedder("intfloat/multilingual-e5-small")
    assert time.perf_counter() - started < 30
    assert "gaokerena train embedder" in str(info.value) and "network" in str(info.value)


def test_encoding_is_normalised(tiny_embedder):
    vectors = tiny_embedder.encode_documents(["فشار خون", "قند خون"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_pairs_need_both_columns(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"question": "سوال"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="--query-field"):
        load_pairs([path])


def test_bad_hyper_parameter_is_explained():
    with pytest.raises(ValueError, match="learning_rate"):
        EmbedderTrainConfig(learning_rate=0)
